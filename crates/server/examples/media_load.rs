//! The media server's cost through the real server: a release `lineup-server` on
//! loopback, and str0m peers standing in for browsers (each its own UDP socket, the
//! signalling over the WebSocket as PROTOCOL.md §10.8 says) in 1:1 calls sending audio
//! (50 Opus frames/s) and 720p-sized video (33 VP8 frames/s of 7.5 KB, ~2 Mbit/s). Calls
//! are added in steps; each step measures, over a window, the server process's CPU
//! (user + system from /proc, so its sockets and syscalls count), the CPU per forwarded
//! stream, and whether frames arrive on time at the peers (frames delivered, the longest
//! gap between two video frames). It stops at the first step whose frames are late, and
//! prints the calls one core of the server carries.
//!
//! The peers run in this process on the same machine: they encrypt and decrypt as much
//! as the server, so on a small machine they, not the server, may be what runs out
//! first (the table shows this process's CPU beside the server's).
//!
//! `cargo xtask media-load`, or `cargo run --release -p lineup-server --example
//! media_load -- target/release/lineup-server`. Only 127.0.0.1 is contacted; every loop
//! is bounded.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;

#[path = "shared/loadkit.rs"]
mod loadkit;
#[path = "shared/server.rs"]
mod server;

use loadkit::Client;
use server::Server;

/// A 720p VP8 frame at about 2 Mbit/s and 33 frames a second.
const VIDEO_BYTES: usize = 7_500;
/// How long each step is measured, after its new calls settle.
const WINDOW: Duration = Duration::from_secs(8);
const SETTLE: Duration = Duration::from_secs(3);
/// The steps: calls in total.
const STEPS: [usize; 7] = [5, 10, 20, 30, 40, 60, 80];
/// Late: fewer than this share of the video frames sent arrived in the window, or a
/// peer waited longer than this between two video frames.
const DELIVERED: f64 = 0.95;
const LONGEST_GAP: Duration = Duration::from_millis(200);

/// What a peer counted since the step's window began.
#[derive(Default)]
struct Counts {
    video: AtomicU64,
    /// The longest gap between two video frames, µs.
    max_gap_us: AtomicU64,
    last_us: AtomicU64,
}

/// A browser stand-in: its session, its peer connection, its socket.
struct Peer {
    ws: Client,
    rtc: Rtc,
    socket: UdpSocket,
    addr: SocketAddr,
    audio: Mid,
    video: Mid,
}

impl Peer {
    /// Joins room `meet_id`'s media with a microphone and a camera.
    async fn join(mut ws: Client, meet_id: u64) -> Peer {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        // As a browser's: room for a burst (the kernel's default is about 200 KB).
        let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(1 << 20);
        let addr = socket.local_addr().unwrap();
        let mut rtc = Rtc::builder().build(Instant::now());
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        let mut api = rtc.sdp_api();
        let audio = api.add_media(MediaKind::Audio, Direction::SendOnly, Some("me".into()), None, None);
        let video = api.add_media(MediaKind::Video, Direction::SendOnly, Some("me".into()), None, None);
        let (offer, pending) = api.apply().unwrap();
        let r = ws.request(json!({"op": "MediaJoin", "meetID": meet_id, "sdp": offer.to_sdp_string()})).await;
        assert_eq!(r["err"], 0, "MediaJoin: {r}");
        let answer = SdpAnswer::from_sdp_string(r["data"]["sdp"].as_str().unwrap()).unwrap();
        rtc.sdp_api().accept_answer(pending, answer).unwrap();
        Peer { ws, rtc, socket, addr, audio, video }
    }

    /// Sends what the peer connection has; counts the video that arrived. The next
    /// time it wants.
    async fn drain(&mut self, counts: &Counts, epoch: Instant) -> Instant {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Transmit(t)) => {
                    let _ = self.socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Timeout(t)) => return t,
                Ok(Output::Event(Event::MediaData(d))) if d.params.spec().codec == Codec::Vp8 => {
                    let now = epoch.elapsed().as_micros() as u64;
                    let last = counts.last_us.swap(now, Ordering::Relaxed);
                    if last > 0 {
                        counts.max_gap_us.fetch_max(now.saturating_sub(last), Ordering::Relaxed);
                    }
                    counts.video.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Output::Event(_)) => {}
                Err(_) => return Instant::now() + Duration::from_millis(10),
            }
        }
    }

    /// Step `n` of 10 ms: an Opus frame every other step, a VP8 frame every third (a
    /// keyframe every 90).
    fn send(&mut self, n: u64) {
        let now = Instant::now();
        if n % 2 == 0 {
            if let Some(w) = self.rtc.writer(self.audio) {
                let pt = w.payload_params().find(|p| p.spec().codec == Codec::Opus).map(|p| p.pt());
                if let Some(pt) = pt {
                    let _ = w.write(pt, now, MediaTime::new(n * 480, Frequency::FORTY_EIGHT_KHZ), vec![0xf8u8; 80]);
                }
            }
        }
        if n % 3 == 0 {
            if let Some(w) = self.rtc.writer(self.video) {
                let pt = w.payload_params().find(|p| p.spec().codec == Codec::Vp8).map(|p| p.pt());
                if let Some(pt) = pt {
                    let mut frame =
                        vec![if n % 90 == 0 { 0x10 } else { 0x11 }, 0, 0, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02];
                    frame.resize(VIDEO_BYTES, 0x55);
                    let _ = w.write(pt, now, MediaTime::from_90khz(n * 900), frame);
                }
            }
        }
    }

    /// Sends and receives until `stop`; answers the server's renegotiation offers.
    async fn run(mut self, counts: Arc<Counts>, stop: Arc<AtomicBool>, epoch: Instant) {
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut buf = vec![0u8; 2048];
        let mut n = 0u64;
        let mut next = self.drain(&counts, epoch).await;
        while !stop.load(Ordering::Relaxed) {
            tokio::select! {
                _ = tick.tick() => {
                    n += 1;
                    self.send(n);
                }
                r = self.socket.recv_from(&mut buf) => {
                    if let Ok((len, source)) = r {
                        if let Ok(contents) = buf[..len].try_into() {
                            let input = Input::Receive(Instant::now(), Receive { proto: Protocol::Udp, source, destination: self.addr, contents });
                            let _ = self.rtc.handle_input(input);
                        }
                    }
                }
                f = self.ws.rx.recv() => match f {
                    Some((_, f)) if f["name"] == "MediaOffer" => {
                        let Ok(offer) = SdpOffer::from_sdp_string(f["data"]["sdp"].as_str().unwrap_or_default()) else { continue };
                        if let Ok(answer) = self.rtc.sdp_api().accept_offer(offer) {
                            self.ws.send(json!({"op": "MediaAnswer", "sdp": answer.to_sdp_string()})).await;
                        }
                    }
                    Some(_) => {}
                    None => break,
                },
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(next)) => {
                    let _ = self.rtc.handle_input(Input::Timeout(Instant::now()));
                }
            }
            next = self.drain(&counts, epoch).await;
        }
    }
}

/// The kernel's UDP datagrams dropped so far for a full receive buffer and a full send
/// buffer (machine-wide: on loopback, the server's and the peers').
fn udp_drops() -> (u64, u64) {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut rows = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let (Some(names), Some(values)) = (rows.next(), rows.next()) else { return (0, 0) };
    let field = |name: &str| {
        let i = names.split_whitespace().position(|n| n == name);
        i.and_then(|i| values.split_whitespace().nth(i)).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    (field("RcvbufErrors"), field("SndbufErrors"))
}

/// CPU seconds (user + system) of a process so far.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's closing parenthesis; utime and stime are 14 and 15.
    // (The first of them, index 0, is field 3: the state.)
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = 100.0; // USER_HZ on Linux
    let field = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (field(11) + field(12)) / ticks
}

/// One call: an agent's room with the customer in it, both joined to its media.
async fn call(s: &Server, i: usize) -> (Peer, Peer) {
    let mut agent = Client::new(s.login("media", &format!("agent{i}")).await);
    let mut cust = Client::new(s.login("media", &format!("cust{i}")).await);
    let room = agent.request(json!({"op": "CreateMeeting", "subject": "load", "pswd": ""})).await;
    let meet_id = room["data"]["ID"].as_u64().expect("a room");
    for c in [&mut agent, &mut cust] {
        let r: Value = c.request(json!({"op": "EnterMeeting", "meetID": meet_id, "pswd": ""})).await;
        assert_eq!(r["err"], 0, "EnterMeeting: {r}");
    }
    (Peer::join(agent, meet_id).await, Peer::join(cust, meet_id).await)
}

#[tokio::main]
async fn main() {
    str0m::crypto::from_feature_flags().install_process_default();
    let bin = std::env::args().nth(1).unwrap_or_else(|| "target/release/lineup-server".into());
    // Steps other than the default, in calls: `media_load BIN 60 80`.
    let steps: Vec<usize> = std::env::args().skip(2).filter_map(|a| a.parse().ok()).collect();
    let steps = if steps.is_empty() { STEPS.to_vec() } else { steps };
    let s = Server::start(&bin, &[]).await;
    s.app("media", json!({"recordCalls": false}), &[]).await;
    let server_pid = s.pid().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let epoch = Instant::now();
    let mut counts: Vec<Arc<Counts>> = Vec::new();
    let mut tasks = Vec::new();
    println!(
        "lineup-server's media through its UDP socket: 1:1 calls, audio + 720p-sized video (33 frames/s of {VIDEO_BYTES} B) each way; {} s windows",
        WINDOW.as_secs()
    );
    println!(
        "{:>6} {:>8} {:>12} {:>17} {:>16} {:>12} {:>12} {:>12} {:>16}",
        "calls",
        "streams",
        "server CPU",
        "CPU per stream",
        "calls per core",
        "delivered",
        "longest gap",
        "peers' CPU",
        "UDP dropped (receive / send)"
    );
    let mut best: Option<(usize, f64)> = None;
    for target in steps {
        while tasks.len() / 2 < target {
            let (a, b) = call(&s, tasks.len() / 2).await;
            for p in [a, b] {
                let c = Arc::new(Counts::default());
                counts.push(c.clone());
                tasks.push(tokio::spawn(p.run(c, stop.clone(), epoch)));
            }
        }
        tokio::time::sleep(SETTLE).await;
        for c in &counts {
            c.video.store(0, Ordering::Relaxed);
            c.max_gap_us.store(0, Ordering::Relaxed);
            c.last_us.store(0, Ordering::Relaxed);
        }
        let (server0, own0, drops0, t0) = (cpu_seconds(&server_pid), cpu_seconds("self"), udp_drops(), Instant::now());
        tokio::time::sleep(WINDOW).await;
        let secs = t0.elapsed().as_secs_f64();
        let server = (cpu_seconds(&server_pid) - server0) / secs;
        let own = (cpu_seconds("self") - own0) / secs;
        let drops = udp_drops();
        let dropped = format!("{} / {}", drops.0 - drops0.0, drops.1 - drops0.1);
        let expected = counts.len() as f64 * secs * 100.0 / 3.0;
        let delivered = counts.iter().map(|c| c.video.load(Ordering::Relaxed)).sum::<u64>() as f64 / expected;
        let gap = counts.iter().map(|c| c.max_gap_us.load(Ordering::Relaxed)).max().unwrap_or(0) as f64 / 1e3;
        let streams = target * 4;
        let per_stream_us = server / streams as f64 * 1e6;
        let per_core = target as f64 / server.max(1e-9);
        println!(
            "{target:>6} {streams:>8} {:>10.1} % {:>11.0} µs/s {per_core:>16.0} {:>10.1} % {:>9.0} ms {:>10.1} % {dropped:>16}",
            server * 100.0,
            per_stream_us,
            delivered * 100.0,
            gap,
            own * 100.0,
        );
        if delivered < DELIVERED || gap > LONGEST_GAP.as_secs_f64() * 1e3 {
            println!("frames are late at {target} calls (delivered under {:.0} % or a gap over {} ms): the last step on time is the figure", DELIVERED * 100.0, LONGEST_GAP.as_millis());
            break;
        }
        best = Some((target, per_core));
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(2), t).await;
    }
    match best {
        Some((calls, per_core)) => println!(
            "on time up to {calls} calls ({} forwarded streams); at that step one core of the server carries about {per_core:.0} calls",
            calls * 4
        ),
        None => println!("frames were late from the first step"),
    }
}
