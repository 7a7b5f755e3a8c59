//! The SFU with str0m peers standing in for browsers, on an in-memory network and a
//! virtual clock: ICE-lite, DTLS, renegotiation, forwarding, keyframe requests, a
//! monitor that only listens, members leaving. Every loop is bounded.

use lineup_media::sim::Net;
use lineup_media::{Kind, Role};
use str0m::media::MediaKind;

#[test]
fn two_members_connect_and_receive_each_others_audio_and_video() {
    let mut net = Net::new();
    net.join(1, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.join(2, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.run(2_000, |_, _| {});
    assert!(net.peers.iter().all(|p| p.connected), "ICE-lite and DTLS come up on the in-memory network");
    let mut opened = net.track_open.clone();
    opened.sort_by_key(|(m, k)| (*m, *k == Kind::Video));
    assert_eq!(
        opened,
        [(1, Kind::Audio), (1, Kind::Video), (2, Kind::Audio), (2, Kind::Video)],
        "each track is open at the server"
    );
    net.run_media(3_000);
    for p in &net.peers {
        assert!(p.got_audio > 100, "member {} got {} audio frames", p.id, p.got_audio);
        assert!(p.got_video > 100, "member {} got {} video frames", p.id, p.got_video);
    }
    let stats = net.sfu.stats();
    assert!(stats.forwarded > 400 && stats.forwarded <= stats.received, "{stats:?}");
    // A subscriber's new track asks its publisher for a keyframe.
    assert!(net.peers.iter().all(|p| p.keyframe_requests >= 1), "keyframe requests reach the publishers");
}

#[test]
fn rooms_are_apart_and_a_monitor_hears_without_being_heard() {
    let mut net = Net::new();
    net.join(1, 7, Role::Full, &[MediaKind::Audio]);
    net.join(2, 7, Role::Full, &[MediaKind::Audio]);
    net.join(3, 8, Role::Full, &[MediaKind::Audio]);
    net.join(4, 7, Role::Monitor, &[MediaKind::Audio]);
    net.run(2_000, |_, _| {});
    net.run_media(2_000);
    let got = |net: &mut Net, id| net.peer(id).got_audio;
    assert!(got(&mut net, 4) > 150, "the monitor hears both members of room 7 ({})", got(&mut net, 4));
    // 10 ms frames for 2 s: one publisher is about 200 frames, two 400.
    assert!(
        (160..=240).contains(&got(&mut net, 1)),
        "member 1 hears member 2 only, not the monitor ({})",
        got(&mut net, 1)
    );
    assert!(got(&mut net, 4) > 320, "the monitor hears both ({})", got(&mut net, 4));
    assert_eq!(got(&mut net, 3), 0, "room 8 hears nothing of room 7");
    assert_eq!(net.sfu.room_members(7).len(), 3);
}

#[test]
fn a_member_who_leaves_stops_and_the_others_go_on() {
    let mut net = Net::new();
    net.join(1, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.join(2, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.join(3, 7, Role::Full, &[MediaKind::Audio]);
    net.run_media(2_000);
    net.sfu.leave(2);
    let before = net.peer(3).got_audio;
    net.run_media(1_000);
    let after = net.peer(3).got_audio - before;
    // 10 ms frames: one publisher left is about 100 frames a second (two were 200).
    assert!((80..=120).contains(&after), "member 3 now hears member 1 only: {after} frames in 1 s");
    assert_eq!(net.sfu.room_members(7), vec![1, 3]);
    assert!(net.sfu.accept_answer(net.now, 2, "v=0").is_err(), "a member who left has no media");
}

#[test]
fn a_whisper_reaches_the_agent_only_and_a_barge_reaches_everyone() {
    let mut net = Net::new();
    net.join(1, 7, Role::Full, &[MediaKind::Audio]); // the agent
    net.join(2, 7, Role::Full, &[MediaKind::Audio]); // the customer
    net.join(3, 7, Role::Whisper { to: 1 }, &[MediaKind::Audio]); // the supervisor
    net.run(2_000, |_, _| {});
    net.run_media(2_000);
    // 10 ms frames for 2 s: one publisher is about 200 frames.
    let got = |net: &mut Net, id| net.peer(id).got_audio;
    assert!(got(&mut net, 1) > 320, "the agent hears the customer and the whisper ({})", got(&mut net, 1));
    assert!((160..=240).contains(&got(&mut net, 2)), "the customer hears the agent only ({})", got(&mut net, 2));
    assert!(got(&mut net, 3) > 320, "the supervisor hears both ({})", got(&mut net, 3));
    // Barging in: the same supervisor, fully in.
    net.sfu.leave(3);
    net.peers.retain(|p| p.id != 3);
    net.join(4, 7, Role::Full, &[MediaKind::Audio]);
    net.run(2_000, |_, _| {});
    let before = got(&mut net, 2);
    net.run_media(2_000);
    assert!(got(&mut net, 2) - before > 320, "after the barge the customer hears the agent and the supervisor");
}

#[test]
fn a_recorded_room_hands_out_its_members_frames_and_they_make_a_webm() {
    use lineup_media::record::Recording;
    let mut net = Net::new();
    net.join(1, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.join(2, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.join(3, 8, Role::Full, &[MediaKind::Audio]);
    net.join(4, 7, Role::Monitor, &[MediaKind::Audio]);
    net.sfu.record(7, true);
    net.run(2_000, |_, _| {});
    net.run_media(3_000);
    assert!(
        net.frames.iter().all(|(_, room, f)| *room == 7 && (f.member == 1 || f.member == 2)),
        "room 7's full members only"
    );
    let count = |member, kind| net.frames.iter().filter(|(_, _, f)| f.member == member && f.kind == kind).count();
    for member in [1, 2] {
        assert!(count(member, Kind::Audio) > 250, "member {member}'s audio: {}", count(member, Kind::Audio));
        assert!(count(member, Kind::Video) > 80, "member {member}'s video: {}", count(member, Kind::Video));
    }
    assert!(net.frames.iter().any(|(_, _, f)| f.kind == Kind::Video && f.keyframe), "keyframes are marked");
    let mut rec = Recording::new(std::io::Cursor::new(Vec::new()));
    for (at, _, f) in net.frames.drain(..) {
        rec.push(at, f).unwrap();
    }
    let (summary, out) = rec.finish().unwrap();
    assert_eq!(summary.tracks.len(), 4);
    assert!(summary.duration >= std::time::Duration::from_millis(2_900), "{:?}", summary.duration);
    assert!(out.into_inner().len() > 100_000);
    // Recording stops when told.
    net.sfu.record(7, false);
    net.run_media(500);
    assert!(net.frames.is_empty());
}

/// Everyone sends as a call does (33 frames a second of 400 bytes, within the links'
/// first estimates) for `ms`.
fn call(net: &mut Net, ms: u64) {
    net.run(ms, |net, n| {
        let now = net.now;
        for p in &mut net.peers {
            p.send_call(now, n, 400);
        }
    });
}

#[test]
fn a_shared_screen_reaches_the_others_as_a_track_of_its_own_until_it_stops() {
    let mut net = Net::new();
    net.join(1, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.join(2, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.join(3, 7, Role::Monitor, &[MediaKind::Audio]);
    call(&mut net, 1_000);
    net.share(1).expect("member 1 shares its screen");
    call(&mut net, 2_000);
    assert!(net.track_open.contains(&(1, Kind::Screen)), "the driver is told a screen opened: {:?}", net.track_open);
    for id in [3, 2] {
        let p = net.peer(id);
        assert!(p.got_screen > 40, "member {id} receives the screen on its own line: {} frames", p.got_screen);
        assert!(p.got_video > 40, "member {id} still receives the camera: {}", p.got_video);
    }
    assert_eq!(net.peer(1).got_screen, 0, "the sharer is not sent its own screen");
    // Stopped: the others' screen lines stop; the cameras go on.
    assert!(net.unshare(1));
    assert!(!net.unshare(1), "a second stop finds no share");
    call(&mut net, 500);
    let (screen, video) = (net.peer(2).got_screen, net.peer(2).got_video);
    call(&mut net, 1_000);
    assert_eq!(net.peer(2).got_screen, screen, "no screen frames after the stop");
    assert!(net.peer(2).got_video > video + 25, "the camera goes on");
    // Shared again on the same line: the others receive it again.
    net.share(1).expect("shared again");
    call(&mut net, 1_500);
    assert!(net.peer(2).got_screen > screen + 25, "the screen is back: {} after {screen}", net.peer(2).got_screen);
}

#[test]
fn a_recorded_share_is_handed_out_as_screen_frames() {
    let mut net = Net::new();
    net.join(1, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.join(2, 7, Role::Full, &[MediaKind::Audio]);
    net.sfu.record(7, true);
    call(&mut net, 500);
    net.share(1).unwrap();
    call(&mut net, 1_000);
    let kinds = |net: &Net, k| net.frames.iter().filter(|(_, _, f)| f.member == 1 && f.kind == k).count();
    assert!(kinds(&net, Kind::Screen) > 25, "screen frames: {}", kinds(&net, Kind::Screen));
    assert!(kinds(&net, Kind::Video) > 25, "camera frames still camera frames: {}", kinds(&net, Kind::Video));
}

/// A link is probed (padding bursts that find its capacity) only while it carries video:
/// an audio-only call sends nothing but audio, and no probe ever goes on SSRC 0 (which a
/// browser lists as a receive stream of its own).
#[test]
fn a_link_is_probed_only_while_it_carries_video() {
    let mut net = Net::new();
    net.join(1, 7, Role::Full, &[MediaKind::Audio]);
    net.join(2, 7, Role::Full, &[MediaKind::Audio]);
    net.run(2_000, |_, _| {});
    net.run_media(10_000);
    for p in &net.peers {
        assert!(p.got_audio > 900, "member {} hears the other ({})", p.id, p.got_audio);
        assert_eq!((p.padding_in, p.probe_ssrc_in), (0, 0), "an audio-only call: member {} gets audio only", p.id);
    }
    // Member 1's screen: member 2 now receives video, and its link is probed on that line.
    net.share(1).unwrap();
    let told = net.bitrates.len();
    net.run_media(10_000);
    let (screen, probes) = (net.peer(2).got_screen, net.peer(2).probe_ssrc_in);
    assert!(screen > 500, "the screen arrives ({screen})");
    assert_eq!(probes, 0, "a probe goes on the video line's RTX, never SSRC 0");
    assert!(
        net.bitrates.len() > told,
        "the link that now carries video is probed (str0m reports estimates only with a bitrate to probe for): {:?}",
        net.bitrates
    );
    assert_eq!(net.peer(1).padding_in, 0, "member 1 still receives audio only");
    // The share ends: once its line stopped, no more probes.
    assert!(net.unshare(1));
    net.run_media(1_000);
    let padded = net.peer(2).padding_in;
    net.run_media(10_000);
    assert_eq!(net.peer(2).padding_in, padded, "no probes once the link carries audio only again");
    assert!(net.peers.iter().all(|p| p.probe_ssrc_in == 0));
}

/// A video call's estimates start where the link starts (no dip from probes the browser
/// cannot account for) and the caps told to publishers follow them.
#[test]
fn a_video_calls_caps_do_not_dip_at_the_start() {
    let mut net = Net::new();
    net.join(1, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.join(2, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.run(2_000, |_, _| {});
    net.run_media(10_000);
    assert!(!net.bitrates.is_empty(), "publishers are told a cap");
    assert!(
        net.bitrates.iter().all(|(_, bps)| *bps >= 500_000),
        "no cap below 500 kbps on an open link: {:?}",
        net.bitrates
    );
    assert!(net.peers.iter().all(|p| p.probe_ssrc_in == 0 && p.got_video > 900));
    for id in [1, 2] {
        let last = net.bitrates.iter().rev().find(|(m, _)| *m == id).map(|(_, bps)| *bps);
        assert!(last > Some(936_000), "the estimate of the link to {id}'s subscriber grows: {:?}", net.bitrates);
    }
}
