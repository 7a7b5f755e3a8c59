//! The SFU with str0m peers standing in for browsers, on an in-memory network and a
//! virtual clock: ICE-lite, DTLS, renegotiation, forwarding, keyframe requests, a
//! monitor that only listens, members leaving. Every loop is bounded.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lineup_media::{Kind, MediaOutput, MemberId, Role, Sfu};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

const SFU: &str = "10.0.0.1:3478";

/// A browser: publishes a microphone and (optionally) a camera, counts what it receives.
struct Peer {
    id: MemberId,
    addr: SocketAddr,
    rtc: Rtc,
    audio: Option<Mid>,
    video: Option<Mid>,
    connected: bool,
    got_audio: u64,
    got_video: u64,
    keyframe_requests: u64,
}

impl Peer {
    fn new(now: Instant, id: MemberId, publish: &[MediaKind]) -> (Peer, String, SdpPendingOffer) {
        lineup_media::install_crypto();
        let addr: SocketAddr = format!("10.0.1.{id}:5000").parse().unwrap();
        let mut rtc = Rtc::builder().build(now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        let mut api = rtc.sdp_api();
        let (mut audio, mut video) = (None, None);
        for kind in publish {
            let mid = api.add_media(*kind, Direction::SendOnly, Some(format!("s{id}")), None, None);
            match kind {
                MediaKind::Audio => audio = Some(mid),
                MediaKind::Video => video = Some(mid),
            }
        }
        let (offer, pending) = api.apply().expect("an offer");
        let peer = Peer { id, addr, rtc, audio, video, connected: false, got_audio: 0, got_video: 0, keyframe_requests: 0 };
        (peer, offer.to_sdp_string(), pending)
    }

    fn accept_answer(&mut self, pending: SdpPendingOffer, answer: &str) {
        let answer = SdpAnswer::from_sdp_string(answer).expect("the SFU's answer parses");
        self.rtc.sdp_api().accept_answer(pending, answer).expect("the answer is accepted");
    }

    /// The SFU's renegotiation offer: our answer.
    fn answer(&mut self, offer: &str) -> String {
        let offer = SdpOffer::from_sdp_string(offer).expect("the SFU's offer parses");
        self.rtc.sdp_api().accept_offer(offer).expect("the offer is accepted").to_sdp_string()
    }

    /// A 10 ms Opus frame and a VP8 frame (synthetic), called every 10 ms.
    fn send_media(&mut self, now: Instant, n: u64) {
        if let Some(mid) = self.audio {
            let w = self.rtc.writer(mid).unwrap();
            let pt = w.payload_params().find(|p| p.spec().codec == Codec::Opus).unwrap().pt();
            let _ = w.write(pt, now, MediaTime::new(n * 480, Frequency::FORTY_EIGHT_KHZ), vec![0xf8u8; 60]);
        }
        if let Some(mid) = self.video {
            let w = self.rtc.writer(mid).unwrap();
            let pt = w.payload_params().find(|p| p.spec().codec == Codec::Vp8).unwrap().pt();
            // A VP8 keyframe every 30 frames (bit 0 of the first byte clear), else an inter frame.
            let first = if n % 30 == 0 { 0x10 } else { 0x11 };
            let mut frame = vec![first, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00];
            frame.resize(800, 0x55);
            let _ = w.write(pt, now, MediaTime::from_90khz(n * 900), frame);
        }
    }
}

/// The SFU, the peers and the datagrams in flight between them.
struct Net {
    now: Instant,
    sfu: Sfu,
    peers: Vec<Peer>,
    wire: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    track_open: Vec<(MemberId, Kind)>,
    lost: Vec<MemberId>,
}

impl Net {
    fn new() -> Net {
        let now = Instant::now();
        Net { now, sfu: Sfu::new(SFU.parse().unwrap()), peers: Vec::new(), wire: VecDeque::new(), track_open: Vec::new(), lost: Vec::new() }
    }

    fn join(&mut self, id: MemberId, room: u32, role: Role, publish: &[MediaKind]) {
        let (mut peer, offer, pending) = Peer::new(self.now, id, publish);
        let answer = self.sfu.join(self.now, id, &format!("user{id}"), room, role, &offer).expect("the SFU answers the offer");
        peer.accept_answer(pending, &answer);
        self.peers.push(peer);
    }

    fn peer(&mut self, id: MemberId) -> &mut Peer {
        self.peers.iter_mut().find(|p| p.id == id).unwrap()
    }

    /// Everything the SFU and the peers have to say, until all is quiet.
    fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut busy = false;
            while let Some(o) = self.sfu.poll_output() {
                busy = true;
                match o {
                    MediaOutput::Transmit { destination, contents } => self.wire.push_back((SFU.parse().unwrap(), destination, contents)),
                    MediaOutput::Offer { member, sdp } => {
                        let answer = self.peer(member).answer(&sdp);
                        self.sfu.accept_answer(self.now, member, &answer).expect("our answer is accepted");
                    }
                    MediaOutput::TrackOpen { member, kind } => self.track_open.push((member, kind)),
                    MediaOutput::Lost { member } => self.lost.push(member),
                }
            }
            for p in &mut self.peers {
                loop {
                    match p.rtc.poll_output().expect("the peer polls") {
                        Output::Transmit(t) => {
                            busy = true;
                            self.wire.push_back((t.source, t.destination, t.contents.to_vec()));
                        }
                        Output::Timeout(_) => break,
                        Output::Event(e) => match e {
                            Event::Connected => p.connected = true,
                            Event::MediaData(d) => match d.params.spec().codec {
                                Codec::Opus => p.got_audio += 1,
                                Codec::Vp8 => p.got_video += 1,
                                _ => {}
                            },
                            Event::KeyframeRequest(_) => p.keyframe_requests += 1,
                            _ => {}
                        },
                    }
                }
            }
            while let Some((from, to, bytes)) = self.wire.pop_front() {
                busy = true;
                if to == SFU.parse().unwrap() {
                    self.sfu.handle_receive(self.now, from, to, &bytes);
                } else if let Some(p) = self.peers.iter_mut().find(|p| p.addr == to) {
                    let input = Input::Receive(self.now, Receive { proto: Protocol::Udp, source: from, destination: to, contents: bytes.as_slice().try_into().unwrap() });
                    p.rtc.handle_input(input).expect("the peer takes the datagram");
                }
            }
            if !busy {
                return;
            }
        }
        panic!("the network never settled");
    }

    /// Moves the virtual clock by `ms` in 10 ms steps, everyone handling the time.
    fn run(&mut self, ms: u64, mut each: impl FnMut(&mut Net, u64)) {
        for step in 0..ms / 10 {
            self.now += Duration::from_millis(10);
            let now = self.now;
            self.sfu.handle_timeout(now);
            for p in &mut self.peers {
                p.rtc.handle_input(Input::Timeout(now)).unwrap();
            }
            each(self, step);
            self.settle();
        }
    }
}

#[test]
fn two_members_connect_and_receive_each_others_audio_and_video() {
    let mut net = Net::new();
    net.join(1, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.join(2, 7, Role::Full, &[MediaKind::Audio, MediaKind::Video]);
    net.run(2_000, |_, _| {});
    assert!(net.peers.iter().all(|p| p.connected), "ICE-lite and DTLS come up on the in-memory network");
    let mut opened = net.track_open.clone();
    opened.sort_by_key(|(m, k)| (*m, *k == Kind::Video));
    assert_eq!(opened, [(1, Kind::Audio), (1, Kind::Video), (2, Kind::Audio), (2, Kind::Video)], "each track is open at the server");
    net.run(3_000, |net, n| {
        for p in &mut net.peers {
            p.send_media(net.now, n);
        }
    });
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
    net.run(2_000, |net, n| {
        for p in &mut net.peers {
            p.send_media(net.now, n);
        }
    });
    let got = |net: &mut Net, id| net.peer(id).got_audio;
    assert!(got(&mut net, 4) > 150, "the monitor hears both members of room 7 ({})", got(&mut net, 4));
    // 10 ms frames for 2 s: one publisher is about 200 frames, two 400.
    assert!((160..=240).contains(&got(&mut net, 1)), "member 1 hears member 2 only, not the monitor ({})", got(&mut net, 1));
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
    net.run(2_000, |net, n| {
        for p in &mut net.peers {
            p.send_media(net.now, n);
        }
    });
    net.sfu.leave(2);
    let before = net.peer(3).got_audio;
    net.run(1_000, |net, n| {
        for p in &mut net.peers {
            p.send_media(net.now, n);
        }
    });
    let after = net.peer(3).got_audio - before;
    // 10 ms frames: one publisher left is about 100 frames a second (two were 200).
    assert!((80..=120).contains(&after), "member 3 now hears member 1 only: {after} frames in 1 s");
    assert_eq!(net.sfu.room_members(7), vec![1, 3]);
    assert!(net.sfu.accept_answer(net.now, 2, "v=0").is_err(), "a member who left has no media");
}
