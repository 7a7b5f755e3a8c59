//! A browser's media stood in for by a str0m peer: real UDP on loopback, signalling on
//! the WebSocket as PROTOCOL.md §10.8 describes (shared by the media tests of a single
//! node and of a cluster).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;

use crate::common::Client;

/// A browser in a room: its WebSocket session, its peer connection, what it received.
pub struct Peer {
    pub ws: Client,
    pub rtc: Rtc,
    pub socket: UdpSocket,
    pub addr: SocketAddr,
    pub audio: Mid,
    pub video: Mid,
    pub got_audio: u64,
    pub got_video: u64,
    /// Audio frames of the size a supervisor's peer sends (99 bytes).
    pub got_supervisor: u64,
    /// The size of this peer's audio frames.
    pub audio_bytes: usize,
    pub tracks: Vec<Value>,
    /// Whether `step` reads the WebSocket (offers, track states).
    pub signalling: bool,
    /// Frames sent so far (the media clock).
    pub sent: u64,
}

impl Peer {
    /// Joins `meet_id`'s media with a microphone and a camera.
    pub async fn join(ws: Client, meet_id: u64) -> Peer {
        Peer::enter(ws, json!({"op": "MediaJoin", "meetID": meet_id}), 60).await
    }

    /// Sends `op` (MediaJoin or MediaMonitor) with an offer of a microphone and a camera.
    pub async fn enter(mut ws: Client, mut op: Value, audio_bytes: usize) -> Peer {
        lineup_media::install_crypto();
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let mut rtc = Rtc::builder().build(Instant::now());
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        let mut api = rtc.sdp_api();
        let audio = api.add_media(MediaKind::Audio, Direction::SendOnly, Some("me".into()), None, None);
        let video = api.add_media(MediaKind::Video, Direction::SendOnly, Some("me".into()), None, None);
        let (offer, pending) = api.apply().unwrap();
        op["sdp"] = json!(offer.to_sdp_string());
        let r = ws.request(op).await;
        assert_eq!(r["err"], 0, "{r}");
        let answer = SdpAnswer::from_sdp_string(r["data"]["sdp"].as_str().unwrap()).unwrap();
        rtc.sdp_api().accept_answer(pending, answer).unwrap();
        Peer {
            ws,
            rtc,
            socket,
            addr,
            audio,
            video,
            got_audio: 0,
            got_video: 0,
            got_supervisor: 0,
            audio_bytes,
            tracks: Vec::new(),
            signalling: true,
            sent: 0,
        }
    }

    /// Sends what the peer connection has, reads what arrived, answers the server's
    /// offers: one round of about `ms` milliseconds.
    pub async fn step(&mut self, ms: u64) {
        loop {
            match self.rtc.poll_output().unwrap() {
                Output::Transmit(t) => {
                    self.socket.send_to(&t.contents, t.destination).await.unwrap();
                }
                Output::Timeout(_) => break,
                Output::Event(Event::MediaData(d)) => match d.params.spec().codec {
                    Codec::Opus if d.data.len() == 99 => self.got_supervisor += 1,
                    Codec::Opus => self.got_audio += 1,
                    Codec::Vp8 => self.got_video += 1,
                    _ => {}
                },
                Output::Event(_) => {}
            }
        }
        let mut buf = vec![0u8; 2048];
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        while let Ok(Ok((n, source))) = tokio::time::timeout_at(deadline, self.socket.recv_from(&mut buf)).await {
            let input = Input::Receive(
                Instant::now(),
                Receive {
                    proto: Protocol::Udp,
                    source,
                    destination: self.addr,
                    contents: buf[..n].try_into().unwrap(),
                },
            );
            self.rtc.handle_input(input).unwrap();
        }
        self.rtc.handle_input(Input::Timeout(Instant::now())).unwrap();
        // The WebSocket: renegotiation offers and track states.
        if !self.signalling {
            return;
        }
        self.ws.no_notice("-", 1).await;
        while let Some(i) = self.ws.notices.iter().position(|n| n["name"] == "MediaOffer" || n["name"] == "MediaTrack")
        {
            let n = self.ws.notices.remove(i).unwrap();
            if n["name"] == "MediaTrack" {
                self.tracks.push(n["data"].clone());
                continue;
            }
            let offer = SdpOffer::from_sdp_string(n["data"]["sdp"].as_str().unwrap()).unwrap();
            let answer = self.rtc.sdp_api().accept_offer(offer).unwrap();
            let r = self.ws.request(json!({"op": "MediaAnswer", "sdp": answer.to_sdp_string()})).await;
            assert_eq!(r["err"], 0, "{r}");
        }
    }

    /// A 10 ms Opus frame and a VP8 frame (synthetic).
    pub fn send_media(&mut self) {
        let n = self.sent;
        self.sent += 1;
        let now = Instant::now();
        let w = self.rtc.writer(self.audio).unwrap();
        let pt = w.payload_params().find(|p| p.spec().codec == Codec::Opus).unwrap().pt();
        let _ = w.write(pt, now, MediaTime::new(n * 480, Frequency::FORTY_EIGHT_KHZ), vec![0xf8u8; self.audio_bytes]);
        let w = self.rtc.writer(self.video).unwrap();
        let pt = w.payload_params().find(|p| p.spec().codec == Codec::Vp8).unwrap().pt();
        let mut frame = vec![if n % 30 == 0 { 0x10 } else { 0x11 }, 0, 0, 0x9d, 0x01, 0x2a];
        frame.resize(600, 0x55);
        let _ = w.write(pt, now, MediaTime::from_90khz(n * 900), frame);
    }
}

/// Every peer sends media and steps (`ms` of reading each round), for `secs`.
pub async fn exchange(peers: &mut [&mut Peer], secs: u64, ms: u64) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(secs) {
        for p in peers.iter_mut() {
            p.send_media();
            p.step(ms).await;
        }
    }
}
