//! A call's recording: the Opus and VP8 frames the SFU received from the room's
//! publishing members, written as they come into one WebM (Matroska) file through
//! libwebm (the `webm` crate). Each member's microphone and camera is a track of its
//! own, numbered in the order their first frames came; nothing is decoded or mixed.
//!
//! Matroska declares its tracks before the first frame, and a camera's size is known
//! only from its first keyframe, so the first frames wait in memory until every
//! party's track has shown up ([`EXPECTED_TRACKS`] of them) or [`GATHER`] has passed.
//! A track that first appears after that is not in the file ([`Summary::late_frames`]).
//! Video frames before a track's first keyframe cannot be decoded and are dropped.

use std::io::{Seek, Write};
use std::time::{Duration, Instant};

use webm::mux::{AudioCodecId, SegmentBuilder, SegmentMode, VideoCodecId, Writer};

use crate::{Kind, MemberId};

/// How long the first frames wait for the other tracks.
pub const GATHER: Duration = Duration::from_secs(2);
/// The tracks of a 1:1 call: each party's microphone and camera.
pub const EXPECTED_TRACKS: usize = 4;
/// A camera whose first frames carry no size (never in practice): 640×480.
const DEFAULT_SIZE: (u32, u32) = (640, 480);
/// The most frames kept while gathering (about 2 s of a call: a bound, not a goal).
const MAX_GATHERED: usize = 2_000;

/// One frame of a recorded room, as the SFU received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub member: MemberId,
    pub kind: Kind,
    /// Opus or VP8 (the only codecs a recording holds; others are skipped upstream).
    pub keyframe: bool,
    /// The frame as received (shared with the forwarding, not copied).
    pub data: std::sync::Arc<[u8]>,
}

/// A track of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackInfo {
    /// The Matroska track number (1-based).
    pub number: u64,
    pub member: MemberId,
    pub kind: Kind,
}

/// What a finished recording holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub tracks: Vec<TrackInfo>,
    /// From the first frame to the last.
    pub duration: Duration,
    pub frames: u64,
    /// Frames of tracks that appeared after the tracks were declared.
    pub late_frames: u64,
}

/// Why a recording could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("the WebM writer refused: {0:?}")]
    Webm(webm::mux::Error),
    #[error("no frame was recorded")]
    Empty,
}

type Segment<W> = webm::mux::Segment<W>;

/// One recording being written to `W` (a file, or memory in tests).
pub struct Recording<W: Write + Seek> {
    dest: Option<W>,
    start: Option<Instant>,
    /// Frames waiting for the tracks to be declared, with their times.
    gathered: Vec<(Instant, Frame)>,
    /// The (member, kind) pairs of the gathered frames, in order of first appearance.
    seen: Vec<(MemberId, Kind)>,
    segment: Option<Segment<W>>,
    tracks: Vec<TrackInfo>,
    /// The time of the last frame written (libwebm needs times that never go back).
    last_ns: u64,
    /// Tracks whose first keyframe was written (video only).
    keyed: Vec<u64>,
    frames: u64,
    late_frames: u64,
    /// The tracks to wait for before declaring them (at most [`GATHER`]).
    expected: usize,
}

impl<W: Write + Seek> Recording<W> {
    /// A call's recording: its parties' microphones and cameras ([`EXPECTED_TRACKS`]).
    pub fn new(dest: W) -> Recording<W> {
        Recording::expecting(dest, EXPECTED_TRACKS)
    }

    /// A recording of `expected` tracks (a screen share's: one).
    pub fn expecting(dest: W, expected: usize) -> Recording<W> {
        Recording {
            expected,
            dest: Some(dest),
            start: None,
            gathered: Vec::new(),
            seen: Vec::new(),
            segment: None,
            tracks: Vec::new(),
            last_ns: 0,
            keyed: Vec::new(),
            frames: 0,
            late_frames: 0,
        }
    }

    /// A frame received at `at`.
    pub fn push(&mut self, at: Instant, frame: Frame) -> Result<(), RecordError> {
        let start = *self.start.get_or_insert(at);
        if self.segment.is_some() {
            return self.write(at, &frame);
        }
        if !self.seen.contains(&(frame.member, frame.kind)) {
            self.seen.push((frame.member, frame.kind));
        }
        self.gathered.push((at, frame));
        if self.seen.len() >= self.expected
            || at.saturating_duration_since(start) >= GATHER
            || self.gathered.len() >= MAX_GATHERED
        {
            self.declare()?;
        }
        Ok(())
    }

    /// Declares the tracks seen so far and writes the gathered frames.
    fn declare(&mut self) -> Result<(), RecordError> {
        let dest = self.dest.take().ok_or(RecordError::Empty)?;
        let mut builder = SegmentBuilder::new(Writer::new(dest))
            .and_then(|b| b.set_writing_app("lineup-server"))
            .and_then(|b| b.set_mode(SegmentMode::File))
            .map_err(RecordError::Webm)?;
        for (member, kind) in std::mem::take(&mut self.seen) {
            let number = match kind {
                Kind::Audio => {
                    let (b, t) =
                        builder.add_audio_track(48_000, 2, AudioCodecId::Opus, None).map_err(RecordError::Webm)?;
                    builder = b.set_codec_private(t, &opus_head()).map_err(RecordError::Webm)?;
                    webm::mux::Track::track_number(&t)
                }
                Kind::Video | Kind::Screen => {
                    let (w, h) = self
                        .gathered
                        .iter()
                        .filter(|(_, f)| f.member == member && f.kind == kind && f.keyframe)
                        .find_map(|(_, f)| vp8_size(&f.data))
                        .unwrap_or(DEFAULT_SIZE);
                    let (b, t) = builder.add_video_track(w, h, VideoCodecId::VP8, None).map_err(RecordError::Webm)?;
                    builder = b;
                    webm::mux::Track::track_number(&t)
                }
            };
            self.tracks.push(TrackInfo { number, member, kind });
        }
        self.segment = Some(builder.build());
        for (at, frame) in std::mem::take(&mut self.gathered) {
            self.write(at, &frame)?;
        }
        Ok(())
    }

    fn write(&mut self, at: Instant, frame: &Frame) -> Result<(), RecordError> {
        let Some(track) = self.tracks.iter().find(|t| t.member == frame.member && t.kind == frame.kind) else {
            self.late_frames += 1;
            return Ok(());
        };
        let number = track.number;
        if frame.kind != Kind::Audio && !self.keyed.contains(&number) {
            if !frame.keyframe {
                return Ok(());
            }
            self.keyed.push(number);
        }
        let since = at.saturating_duration_since(self.start.unwrap_or(at)).as_nanos() as u64;
        self.last_ns = self.last_ns.max(since);
        let keyframe = frame.kind == Kind::Audio || frame.keyframe;
        let segment = self.segment.as_mut().ok_or(RecordError::Empty)?;
        segment.add_frame(number, &frame.data, self.last_ns, keyframe).map_err(RecordError::Webm)?;
        self.frames += 1;
        Ok(())
    }

    /// Writes the end of the file (cues, duration): what it holds, and the destination.
    pub fn finish(mut self) -> Result<(Summary, W), RecordError> {
        if self.segment.is_none() && !self.gathered.is_empty() {
            self.declare()?;
        }
        let segment = self.segment.take().ok_or(RecordError::Empty)?;
        if self.frames == 0 {
            return Err(RecordError::Empty);
        }
        let writer = segment.finalize(None).map_err(|_| RecordError::Webm(webm::mux::Error::Unknown))?;
        let summary = Summary {
            tracks: self.tracks,
            duration: Duration::from_nanos(self.last_ns),
            frames: self.frames,
            late_frames: self.late_frames,
        };
        Ok((summary, writer.into_inner()))
    }
}

/// The Opus identification header (RFC 7845 §5.1) Matroska's A_OPUS wants as codec
/// private data: version 1, 2 channels, 312 samples of pre-skip, 48 kHz, no gain.
fn opus_head() -> Vec<u8> {
    let mut h = b"OpusHead".to_vec();
    h.push(1);
    h.push(2);
    h.extend_from_slice(&312u16.to_le_bytes());
    h.extend_from_slice(&48_000u32.to_le_bytes());
    h.extend_from_slice(&0i16.to_le_bytes());
    h.push(0);
    h
}

/// A VP8 keyframe's width and height (RFC 6386 §9.1: a 3-byte tag, the start code
/// 9d 01 2a, then 14-bit width and height).
pub fn vp8_size(frame: &[u8]) -> Option<(u32, u32)> {
    if frame.len() < 10 || frame[0] & 1 != 0 || frame[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let w = u16::from_le_bytes([frame[6], frame[7]]) & 0x3fff;
    let h = u16::from_le_bytes([frame[8], frame[9]]) & 0x3fff;
    (w > 0 && h > 0).then_some((u32::from(w), u32::from(h)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn vp8(key: bool) -> Vec<u8> {
        let mut f = vec![if key { 0x10 } else { 0x11 }, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00];
        f.resize(200, 0x55);
        f
    }

    #[test]
    fn vp8_size_reads_keyframes_only() {
        assert_eq!(vp8_size(&vp8(true)), Some((320, 240)));
        assert_eq!(vp8_size(&vp8(false)), None);
        assert_eq!(vp8_size(&[0x10, 0, 0]), None);
    }

    #[test]
    fn tracks_wait_for_the_parties_then_frames_follow() {
        let t0 = Instant::now();
        let mut r = Recording::new(Cursor::new(Vec::new()));
        let frame = |member, kind, keyframe| Frame {
            member,
            kind,
            keyframe,
            data: if kind == Kind::Video { vp8(keyframe).into() } else { vec![0xf8; 60].into() },
        };
        // A delta frame before the first keyframe is dropped; three tracks wait.
        r.push(t0, frame(1, Kind::Video, false)).unwrap();
        r.push(t0, frame(1, Kind::Audio, false)).unwrap();
        r.push(t0 + Duration::from_millis(20), frame(1, Kind::Video, true)).unwrap();
        r.push(t0 + Duration::from_millis(30), frame(2, Kind::Audio, false)).unwrap();
        assert!(r.segment.is_none());
        r.push(t0 + Duration::from_millis(40), frame(2, Kind::Video, true)).unwrap();
        assert_eq!(r.tracks.len(), 4);
        for i in 0..100 {
            r.push(t0 + Duration::from_millis(60 + 20 * i), frame(1 + i % 2, Kind::Audio, false)).unwrap();
        }
        let (summary, out) = r.finish().unwrap();
        assert_eq!(summary.frames, 4 + 100);
        assert_eq!(summary.late_frames, 0);
        assert_eq!(summary.duration, Duration::from_millis(60 + 20 * 99));
        let bytes = out.into_inner();
        assert_eq!(&bytes[..4], &[0x1a, 0x45, 0xdf, 0xa3], "an EBML header");
        assert!(bytes.windows(6).any(|w| w == b"A_OPUS") && bytes.windows(5).any(|w| w == b"V_VP8"));
    }

    #[test]
    fn a_late_track_is_counted_and_an_empty_recording_refused() {
        let t0 = Instant::now();
        let mut r = Recording::new(Cursor::new(Vec::new()));
        r.push(t0, Frame { member: 1, kind: Kind::Audio, keyframe: false, data: vec![1; 40].into() }).unwrap();
        r.push(t0 + GATHER, Frame { member: 1, kind: Kind::Audio, keyframe: false, data: vec![1; 40].into() }).unwrap();
        r.push(t0 + GATHER, Frame { member: 2, kind: Kind::Audio, keyframe: false, data: vec![1; 40].into() }).unwrap();
        let (summary, _) = r.finish().unwrap();
        assert_eq!((summary.tracks.len(), summary.frames, summary.late_frames), (1, 2, 1));
        assert!(matches!(Recording::new(Cursor::new(Vec::new())).finish(), Err(RecordError::Empty)));
    }
}
