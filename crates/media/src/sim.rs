//! An in-memory network of str0m peers standing in for browsers, around one [`Sfu`],
//! on a virtual clock: what the tests and the forwarding benchmark drive. Every loop is
//! bounded.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

use crate::{Kind, MediaOutput, MemberId, Role, Sfu};

pub use str0m::media::MediaKind as Publish;

/// The SFU's address on the in-memory network.
pub const SFU: &str = "10.0.0.1:3478";

/// A browser: publishes a microphone and (optionally) a camera, counts what it receives.
pub struct Peer {
    pub id: MemberId,
    addr: SocketAddr,
    rtc: Rtc,
    audio: Option<Mid>,
    video: Option<Mid>,
    /// Its shared screen's line, once it added one, and whether it sends on it.
    screen: Option<Mid>,
    sharing: bool,
    pub connected: bool,
    pub got_audio: u64,
    /// Video frames received on camera lines, and on screen lines (the stream id the
    /// SFU gives a shared screen ends `-screen`).
    pub got_video: u64,
    pub got_screen: u64,
    pub keyframe_requests: u64,
    /// RTP packets from the SFU that carry padding (bandwidth probes), and how many of
    /// them came on SSRC 0 (str0m's probe source when no line can pad).
    pub padding_in: u64,
    pub probe_ssrc_in: u64,
}

impl Peer {
    fn new(now: Instant, id: MemberId, publish: &[MediaKind]) -> (Peer, String, SdpPendingOffer) {
        crate::install_crypto();
        let addr: SocketAddr = format!("10.1.{}.{}:5000", id / 250, id % 250 + 1).parse().unwrap();
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
        let peer = Peer {
            id,
            addr,
            rtc,
            audio,
            video,
            screen: None,
            sharing: false,
            connected: false,
            got_audio: 0,
            got_video: 0,
            got_screen: 0,
            keyframe_requests: 0,
            padding_in: 0,
            probe_ssrc_in: 0,
        };
        (peer, offer.to_sdp_string(), pending)
    }

    /// Adds a video line for its screen: the offer, and the line's mid.
    fn add_screen(&mut self) -> (String, SdpPendingOffer, Mid) {
        let mut api = self.rtc.sdp_api();
        let mid = api.add_media(MediaKind::Video, Direction::SendOnly, Some(format!("s{}", self.id)), None, None);
        let (offer, pending) = api.apply().expect("an offer");
        (offer.to_sdp_string(), pending, mid)
    }

    /// Whether line `mid` it receives carries a shared screen.
    fn is_screen(&self, mid: Mid) -> bool {
        self.rtc.media(mid).is_some_and(|m| m.stream_id().ends_with("-screen"))
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
    pub fn send_media(&mut self, now: Instant, n: u64) {
        self.send_frames(now, n, true, true, 800);
    }

    /// What a call sends at 10 ms step `n`: a 20 ms Opus frame every other step, a VP8
    /// frame of `video_bytes` every third (about 33 fps), a keyframe every 90 steps.
    pub fn send_call(&mut self, now: Instant, n: u64, video_bytes: usize) {
        self.send_frames(now, n, n % 2 == 0, n % 3 == 0, video_bytes);
    }

    fn send_frames(&mut self, now: Instant, n: u64, audio: bool, video: bool, video_bytes: usize) {
        let (audio, videos) = (
            if audio { self.audio } else { None },
            if video { [self.video, self.screen.filter(|_| self.sharing)] } else { [None; 2] },
        );
        if let Some(mid) = audio {
            let w = self.rtc.writer(mid).unwrap();
            let pt = w.payload_params().find(|p| p.spec().codec == Codec::Opus).unwrap().pt();
            let _ = w.write(pt, now, MediaTime::new(n * 480, Frequency::FORTY_EIGHT_KHZ), vec![0xf8u8; 60]);
        }
        for mid in videos.into_iter().flatten() {
            let w = self.rtc.writer(mid).unwrap();
            let pt = w.payload_params().find(|p| p.spec().codec == Codec::Vp8).unwrap().pt();
            // A VP8 keyframe every 30 frames (bit 0 of the first byte clear), else an inter frame.
            let first = if n % 90 == 0 { 0x10 } else { 0x11 };
            let mut frame = vec![first, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00];
            frame.resize(video_bytes.max(10), 0x55);
            let _ = w.write(pt, now, MediaTime::from_90khz(n * 900), frame);
        }
    }
}

/// The SFU, the peers and the datagrams in flight between them.
pub struct Net {
    pub now: Instant,
    pub sfu: Sfu,
    pub peers: Vec<Peer>,
    wire: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    pub track_open: Vec<(MemberId, Kind)>,
    pub lost: Vec<MemberId>,
    /// The caps the SFU told publishers ([`MediaOutput::Bitrate`]), in order.
    pub bitrates: Vec<(MemberId, u64)>,
    /// The frames of recorded rooms, with the virtual time they came at.
    pub frames: Vec<(Instant, u32, crate::record::Frame)>,
    /// Time spent inside the SFU's calls (the benchmark's figure).
    pub sfu_time: Duration,
}

impl Default for Net {
    fn default() -> Net {
        Net::new()
    }
}

impl Net {
    pub fn new() -> Net {
        let now = Instant::now();
        Net {
            now,
            sfu: Sfu::new(SFU.parse().unwrap()),
            peers: Vec::new(),
            wire: VecDeque::new(),
            track_open: Vec::new(),
            lost: Vec::new(),
            bitrates: Vec::new(),
            frames: Vec::new(),
            sfu_time: Duration::ZERO,
        }
    }

    pub fn join(&mut self, id: MemberId, room: u32, role: Role, publish: &[MediaKind]) {
        let (mut peer, offer, pending) = Peer::new(self.now, id, publish);
        let answer =
            self.sfu.join(self.now, id, &format!("user{id}"), room, role, &offer).expect("the SFU answers the offer");
        peer.accept_answer(pending, &answer);
        self.peers.push(peer);
    }

    /// Member `id` shares its screen: a new video line (its offer, taken by the SFU), said
    /// to be the screen ([`Sfu::share`]); shared again, the same line.
    pub fn share(&mut self, id: MemberId) -> Result<(), crate::MediaError> {
        let now = self.now;
        let peer = self.peer(id);
        let (offer, pending, mid) = match peer.screen {
            Some(mid) => {
                // The same line: an offer that changes nothing else (str0m makes an offer
                // only for a change; an ICE restart is one a browser's renegotiation may carry).
                let mut api = peer.rtc.sdp_api();
                api.ice_restart(true);
                let (offer, pending) = api.apply().expect("an offer");
                (offer.to_sdp_string(), pending, mid)
            }
            None => peer.add_screen(),
        };
        let answer = self.sfu.share(now, id, &mid.to_string(), &offer)?;
        let peer = self.peer(id);
        peer.accept_answer(pending, &answer);
        peer.screen = Some(mid);
        peer.sharing = true;
        Ok(())
    }

    /// Member `id` stops sharing (its line stays, silent: a browser's `replaceTrack(null)`).
    pub fn unshare(&mut self, id: MemberId) -> bool {
        let now = self.now;
        self.peer(id).sharing = false;
        self.sfu.unshare(now, id)
    }

    pub fn peer(&mut self, id: MemberId) -> &mut Peer {
        self.peers.iter_mut().find(|p| p.id == id).unwrap()
    }

    /// Everything the SFU and the peers have to say, until all is quiet.
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut busy = false;
            while let Some(o) = self.sfu.poll_output() {
                busy = true;
                match o {
                    MediaOutput::Transmit { destination, contents, .. } => {
                        self.wire.push_back((SFU.parse().unwrap(), destination, contents))
                    }
                    MediaOutput::Offer { member, sdp } => {
                        let answer = self.peer(member).answer(&sdp);
                        self.sfu.accept_answer(self.now, member, &answer).expect("our answer is accepted");
                    }
                    MediaOutput::TrackOpen { member, kind } => self.track_open.push((member, kind)),
                    MediaOutput::Lost { member } => self.lost.push(member),
                    MediaOutput::Frame { room, frame } => self.frames.push((self.now, room, frame)),
                    MediaOutput::Bitrate { member, bps } => self.bitrates.push((member, bps)),
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
                                Codec::Vp8 if p.is_screen(d.mid) => p.got_screen += 1,
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
                    let t = Instant::now();
                    self.sfu.handle_receive(self.now, from, to, &bytes);
                    self.sfu_time += t.elapsed();
                } else if let Some(p) = self.peers.iter_mut().find(|p| p.addr == to) {
                    // An RTP packet's header is in the clear (SRTP): its padding bit and SSRC.
                    if bytes.len() >= 12 && bytes[0] >> 6 == 2 && !(192..=223).contains(&bytes[1]) {
                        p.padding_in += u64::from(bytes[0] & 0x20 != 0);
                        p.probe_ssrc_in += u64::from(bytes[8..12] == [0, 0, 0, 0]);
                    }
                    let input = Input::Receive(
                        self.now,
                        Receive {
                            proto: Protocol::Udp,
                            source: from,
                            destination: to,
                            contents: bytes.as_slice().try_into().unwrap(),
                        },
                    );
                    p.rtc.handle_input(input).expect("the peer takes the datagram");
                }
            }
            if !busy {
                return;
            }
        }
        panic!("the network never settled");
    }

    /// Moves the virtual clock by `ms`, every peer sending media each 10 ms step.
    pub fn run_media(&mut self, ms: u64) {
        self.run(ms, |net, n| {
            let now = net.now;
            for p in &mut net.peers {
                p.send_media(now, n);
            }
        });
    }

    /// Moves the virtual clock by `ms` in 10 ms steps, everyone handling the time.
    pub fn run(&mut self, ms: u64, mut each: impl FnMut(&mut Net, u64)) {
        for step in 0..ms / 10 {
            self.now += Duration::from_millis(10);
            let now = self.now;
            let t = Instant::now();
            self.sfu.handle_timeout(now);
            self.sfu_time += t.elapsed();
            for p in &mut self.peers {
                p.rtc.handle_input(Input::Timeout(now)).unwrap();
            }
            each(self, step);
            self.settle();
        }
    }
}
