//! The SFU's cost: concurrent 1:1 audio+video calls (str0m peers on the in-memory
//! network, each member sending a 20 ms Opus frame and about 33 VP8 frames a second),
//! measured as the CPU time spent inside the SFU per second of media. Prints, for
//! ~1 Mbit/s video (4 KB frames), for 720p video (~2 Mbit/s, 7.5 KB frames) and for
//! 720p calls each monitored by a supervisor (who receives all four tracks), the CPU
//! per forwarded stream (a track sent to one subscriber: mediasoup's "consumer",
//! LiveKit's "down-track"), the forwarded streams and the calls one core carries; then
//! the cost of recording a call (its frames muxed into WebM in memory) and of a
//! recorded room's frames handed out by the SFU. The same through the real server, with
//! its sockets and syscalls: `cargo xtask media-load`.
//!
//! `cargo bench -p lineup-media` (or `cargo xtask bench`).

use std::time::Duration;

use lineup_media::sim::Net;
use lineup_media::Role;
use str0m::media::MediaKind;

const VIDEO_BYTES: usize = 4_000;
const SECONDS: u64 = 5;

/// What each call of a run is.
#[derive(Copy, Clone)]
struct Calls {
    video_bytes: usize,
    recorded: bool,
    /// A supervisor monitors each call (it receives both parties' tracks).
    monitored: bool,
}

const PLAIN: Calls = Calls { video_bytes: VIDEO_BYTES, recorded: false, monitored: false };
/// 720p at about 2 Mbit/s (33 frames of 7.5 KB a second).
const HD: Calls = Calls { video_bytes: 7_500, recorded: false, monitored: false };

fn run(calls: u64, kind: Calls) -> (Duration, u64, Net) {
    let mut net = Net::new();
    for c in 0..calls {
        for m in 0..2 {
            net.join(c * 3 + m + 1, c as u32 + 1, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
        }
        if kind.monitored {
            // A monitor's microphone line is not forwarded (it only listens).
            net.join(c * 3 + 3, c as u32 + 1, Role::Monitor, &[MediaKind::Audio]);
        }
        net.sfu.record(c as u32 + 1, kind.recorded);
    }
    // Connect and renegotiate first; then measure media alone.
    net.run(2_000, |_, _| {});
    net.sfu_time = Duration::ZERO;
    let before = net.sfu.stats().forwarded;
    net.run(SECONDS * 1_000, |net, n| {
        let now = net.now;
        for p in &mut net.peers {
            p.send_call(now, n, kind.video_bytes);
        }
    });
    let got: u64 = net.peers.iter().map(|p| p.got_audio + p.got_video).sum();
    assert!(got > calls * 2 * SECONDS * 50, "media flows through the SFU ({got} frames)");
    let forwarded = net.sfu.stats().forwarded - before;
    (net.sfu_time, forwarded, net)
}

/// Muxing each recorded call's frames (as the recorder thread does) into memory: the CPU
/// time, the bytes written and the media time covered.
fn record(net: &mut Net) -> (Duration, usize, Duration) {
    let frames = std::mem::take(&mut net.frames);
    let span = frames.last().map(|f| f.0).zip(frames.first().map(|f| f.0)).map_or(Duration::ZERO, |(b, a)| b - a);
    let mut rooms: Vec<(u32, lineup_media::record::Recording<std::io::Cursor<Vec<u8>>>)> = Vec::new();
    let t = std::time::Instant::now();
    for (at, room, f) in frames {
        let i = match rooms.iter().position(|(r, _)| *r == room) {
            Some(i) => i,
            None => {
                rooms.push((room, lineup_media::record::Recording::new(std::io::Cursor::new(Vec::new()))));
                rooms.len() - 1
            }
        };
        rooms[i].1.push(at, f).expect("the frames are written");
    }
    let mut bytes = 0;
    for (_, rec) in rooms {
        let (summary, out) = rec.finish().expect("the recording finishes");
        assert_eq!((summary.tracks.len(), summary.late_frames), (4, 0), "a track per party's microphone and camera");
        bytes += out.into_inner().len();
    }
    (t.elapsed(), bytes, span)
}

/// One table: calls of `kind`, each forwarding `streams_per_call` streams.
fn table(title: &str, kind: Calls, streams_per_call: u64, sizes: &[u64]) {
    println!("{title}, {SECONDS} s of media:");
    println!(
        "{:>6} {:>8} {:>14} {:>16} {:>22} {:>18} {:>16}",
        "calls", "streams", "frames fwd/s", "SFU CPU / s", "CPU per stream", "streams per core", "calls per core"
    );
    for &calls in sizes {
        let (cpu, forwarded, _) = run(calls, kind);
        let streams = calls * streams_per_call;
        let per_second = cpu.as_secs_f64() / SECONDS as f64;
        let per_stream_us = per_second / streams as f64 * 1e6;
        let per_core = calls as f64 / per_second;
        println!(
            "{calls:>6} {streams:>8} {:>14.0} {:>13.1} ms {:>15.1} µs/s ({:.3}%) {:>18.0} {per_core:>16.0}",
            forwarded as f64 / SECONDS as f64,
            per_second * 1e3,
            per_stream_us,
            per_stream_us / 1e4,
            streams as f64 / per_second,
        );
    }
}

fn main() {
    // Each member's audio and video, forwarded to the other: 4 streams a call; a monitor
    // receives the four again.
    table(
        &format!("SFU forwarding, 1:1 calls with audio (50 frames/s) and video (~33 frames/s, {VIDEO_BYTES} B) per member"),
        PLAIN,
        4,
        &[1, 5, 10, 25],
    );
    table("1:1 calls with audio and 720p video (~33 frames/s of 7.5 KB, ~2 Mbit/s) per member", HD, 4, &[5, 25]);
    table(
        "720p calls, each monitored by a supervisor (who receives both parties' audio and video)",
        Calls { monitored: true, ..HD },
        8,
        &[5, 25],
    );
    println!("(CPU inside the SFU only: the peers' own encryption and packetizing is not counted; one thread)");
    // Recording: the SFU handing out a recorded room's frames, and the WebM muxing.
    let (plain, _, _) = run(5, PLAIN);
    let (with, _, mut net) = run(5, Calls { recorded: true, ..PLAIN });
    let (mux, bytes, span) = record(&mut net);
    let media_s = span.as_secs_f64().max(1e-9);
    println!(
        "recording: 5 recorded calls cost the SFU {:.1} ms/s against {:.1} ms/s unrecorded; muxing them: {:.2} ms per second of media, {:.0} KB/s of WebM for the 5",
        with.as_secs_f64() / SECONDS as f64 * 1e3,
        plain.as_secs_f64() / SECONDS as f64 * 1e3,
        mux.as_secs_f64() / media_s * 1e3,
        bytes as f64 / media_s / 1e3,
    );
}
