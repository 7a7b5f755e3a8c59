//! Call recordings: the media task hands the frames of recorded rooms to a thread of
//! their own, which writes each call to `recordings/<app>/<id>.webm` in the data
//! directory (lineup-media's [`Recording`]: WebM, a track per party's microphone and
//! camera). When the call ends, the file is finished, a row goes into the
//! `recordings` table and a `recording` business event into the webhook outbox, with
//! the call's `sessionid`. A screen shared during a recorded call is a recording of its
//! own (one VP8 track of kind `screen`, from the share's start to its stop), with the
//! same `sessionid`: a WebM file declares its tracks before its first frame, and a
//! share starts at any time. The thread has its own connection to the store's SQLite
//! file, so a recording that ends while the server stops is still kept.
//!
//! A single node keeps the row and the event in its SQLite store (`SqliteKeeper`); a
//! cluster node in the cluster's index and the app's outbox
//! (`crate::cluster::keeper`): each is a [`Keep`].

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use lineup_media::record::{Frame, Recording, Summary};
use lineup_media::{Kind, MemberId};
use rusqlite::Connection;
use serde_json::json;

use crate::recording::{enqueue, file_name};
use crate::store::recordings::{self, RecordingRow};

/// Frames waiting for the thread (about 10 s of a few calls): more are dropped, never
/// waited for (the media task must not stall). Starts and ends always go.
const QUEUE: usize = 8_192;

/// The call a room's recording belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecording {
    pub app: String,
    /// The call's id: the `sessionid` of its call events.
    pub session_id: String,
}

/// What became of a recording, told back to the media task: its row, or why no file
/// was kept.
#[derive(Debug)]
pub struct Finished {
    pub room: u32,
    pub id: String,
    pub kept: Result<RecordingRow, String>,
}

enum Command {
    Start { room: u32, call: CallRecording, id: String },
    Party { room: u32, member: MemberId, uid: String },
    Frame { room: u32, at: Instant, frame: Frame },
    Finish { room: u32 },
    StartShare { room: u32, call: CallRecording, id: String, member: MemberId, uid: String },
    FinishShare { room: u32 },
}

/// The media task's handle on the recording thread. Dropping it finishes every
/// recording in progress and waits for the thread.
pub struct Recorder {
    tx: Option<Sender<Command>>,
    thread: Option<JoinHandle<()>>,
    dropped: Arc<AtomicU64>,
    /// Frames sent and not yet taken by the thread.
    queued: Arc<AtomicUsize>,
    /// What became of each recording, until the media task takes it.
    finished: Option<tokio::sync::mpsc::UnboundedReceiver<Finished>>,
}

impl Recorder {
    /// Starts the thread of a single node: rows into the store's SQLite file in
    /// `data_dir`; `wake` wakes the webhook worker once an event is stored.
    pub fn spawn(data_dir: &Path, wake: Arc<tokio::sync::Notify>) -> Result<Recorder, String> {
        let db = data_dir.join("lineup.sqlite3");
        let conn = Connection::open(&db).map_err(|e| format!("recordings: cannot open {}: {e}", db.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(|e| format!("recordings: {e}"))?;
        let (done, finished) = tokio::sync::mpsc::unbounded_channel();
        let mut recorder = Recorder::launch(data_dir, Box::new(SqliteKeeper { conn, wake }), done)?;
        recorder.finished = Some(finished);
        Ok(recorder)
    }

    /// Starts the thread of one app hub on a cluster node: files in `data_dir`, rows
    /// into the cluster's index, what became of each recording to `done`.
    pub fn spawn_cluster(
        data_dir: &Path,
        keeper: Box<dyn Keep>,
        done: tokio::sync::mpsc::UnboundedSender<Finished>,
    ) -> Result<Recorder, String> {
        Recorder::launch(data_dir, keeper, done)
    }

    fn launch(
        data_dir: &Path,
        keeper: Box<dyn Keep>,
        done: tokio::sync::mpsc::UnboundedSender<Finished>,
    ) -> Result<Recorder, String> {
        let (tx, rx) = mpsc::channel();
        let dropped = Arc::new(AtomicU64::new(0));
        let queued = Arc::new(AtomicUsize::new(0));
        let writer = Writer {
            done,
            dir: data_dir.to_path_buf(),
            keeper,
            active: HashMap::new(),
            shares: HashMap::new(),
            dropped: dropped.clone(),
            queued: queued.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| format!("recordings: cannot start the thread: {e}"))?;
        Ok(Recorder { tx: Some(tx), thread: Some(thread), dropped, queued, finished: None })
    }

    fn send(&self, c: Command) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(c);
        }
    }

    /// `room` is recorded from now on, for `call`, as recording `id`.
    pub fn start(&self, room: u32, call: CallRecording, id: String) {
        self.send(Command::Start { room, call, id });
    }

    /// What became of each recording ([`Finished`]), once: the media task takes it.
    pub fn take_finished(&mut self) -> Option<tokio::sync::mpsc::UnboundedReceiver<Finished>> {
        self.finished.take()
    }

    /// `member` of the recorded `room` is `uid` (named in the recording's tracks).
    pub fn party(&self, room: u32, member: MemberId, uid: String) {
        self.send(Command::Party { room, member, uid });
    }

    /// A frame of `room`; dropped (and counted) while [`QUEUE`] frames wait.
    pub fn frame(&self, room: u32, at: Instant, frame: Frame) {
        if self.queued.fetch_add(1, Ordering::Relaxed) >= QUEUE {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.send(Command::Frame { room, at, frame });
    }

    /// The recording of `room` ends (the call ended), and its share's if one runs.
    pub fn finish(&self, room: u32) {
        self.send(Command::Finish { room });
    }

    /// `member` (`uid`) of the recorded `room` shares its screen: recorded as `id` until
    /// [`Recorder::finish_share`] (or the call's end).
    pub fn start_share(&self, room: u32, call: CallRecording, id: String, member: MemberId, uid: String) {
        self.send(Command::StartShare { room, call, id, member, uid });
    }

    /// The share in `room` ended.
    pub fn finish_share(&self, room: u32) {
        self.send(Command::FinishShare { room });
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A recording in progress.
struct Active {
    id: String,
    call: CallRecording,
    started_ms: u64,
    /// Relative to the data directory.
    file: String,
    recording: Recording<BufWriter<File>>,
    parties: HashMap<MemberId, String>,
    failed: bool,
}

/// The thread's state.
struct Writer {
    done: tokio::sync::mpsc::UnboundedSender<Finished>,
    dir: PathBuf,
    keeper: Box<dyn Keep>,
    active: HashMap<u32, Active>,
    /// The screen shares being recorded, by room.
    shares: HashMap<u32, Active>,
    dropped: Arc<AtomicU64>,
    queued: Arc<AtomicUsize>,
}

fn unix_ms() -> u64 {
    crate::clock::now().as_millis()
}

impl Writer {
    fn run(mut self, rx: Receiver<Command>) {
        while let Ok(c) = rx.recv() {
            match c {
                Command::Start { room, call, id } => self.start(room, call, id),
                Command::Party { room, member, uid } => {
                    if let Some(a) = self.active.get_mut(&room) {
                        a.parties.insert(member, uid);
                    }
                }
                Command::Frame { room, at, frame } => {
                    self.queued.fetch_sub(1, Ordering::Relaxed);
                    let to = if frame.kind == Kind::Screen { &mut self.shares } else { &mut self.active };
                    if let Some(a) = to.get_mut(&room).filter(|a| !a.failed) {
                        if let Err(e) = a.recording.push(at, frame) {
                            tracing::warn!(recording = %a.id, "recording failed: {e}");
                            a.failed = true;
                        }
                    }
                }
                Command::Finish { room } => {
                    for a in [self.active.remove(&room), self.shares.remove(&room)].into_iter().flatten() {
                        self.complete(room, a);
                    }
                }
                Command::StartShare { room, call, id, member, uid } => {
                    if let Some(old) = self.shares.remove(&room) {
                        self.complete(room, old);
                    }
                    if let Some(mut a) = self.open(room, call, id, 1) {
                        a.parties.insert(member, uid);
                        self.shares.insert(room, a);
                    }
                }
                Command::FinishShare { room } => {
                    if let Some(a) = self.shares.remove(&room) {
                        self.complete(room, a);
                    }
                }
            }
        }
        // The media task stopped (the server stops): what was recorded is kept.
        let left: Vec<(u32, Active)> = self.active.drain().chain(self.shares.drain()).collect();
        for (room, a) in left {
            self.complete(room, a);
        }
    }

    fn start(&mut self, room: u32, call: CallRecording, id: String) {
        if let Some(old) = self.active.remove(&room) {
            self.complete(room, old);
        }
        if let Some(a) = self.open(room, call, id, lineup_media::record::EXPECTED_TRACKS) {
            self.active.insert(room, a);
        }
    }

    /// A new recording's file, of `tracks` tracks (None: it could not be created, and
    /// the media task is told).
    fn open(&mut self, room: u32, call: CallRecording, id: String, tracks: usize) -> Option<Active> {
        let file = file_name(&call.app, &id);
        let path = self.dir.join(&file);
        let opened = path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|_| File::create(&path));
        match opened {
            Ok(f) => {
                let recording = Recording::expecting(BufWriter::new(f), tracks);
                tracing::info!(recording = %id, app = %call.app, sessionid = %call.session_id, room, "recording started");
                Some(Active {
                    id,
                    call,
                    started_ms: unix_ms(),
                    file,
                    recording,
                    parties: HashMap::new(),
                    failed: false,
                })
            }
            Err(e) => {
                tracing::warn!("cannot record room {room}: {}: {e}", path.display());
                let _ =
                    self.done.send(Finished { room, id, kept: Err("the recording file could not be created".into()) });
                None
            }
        }
    }

    /// Finishes the file; keeps it (row, webhook) or removes it; tells the media task.
    fn complete(&mut self, room: u32, a: Active) {
        let id = a.id.clone();
        let kept = self.write_out(room, a);
        let _ = self.done.send(Finished { room, id, kept });
    }

    /// Finishes the file: the row kept, or why nothing was.
    fn write_out(&mut self, room: u32, a: Active) -> Result<RecordingRow, String> {
        let path = self.dir.join(&a.file);
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(recording = %a.id, "{dropped} frames were dropped: the recorder fell behind");
        }
        if a.failed {
            tracing::warn!(recording = %a.id, room, "no recording kept: writing it failed (logged above)");
            let _ = std::fs::remove_file(&path);
            return Err("writing the recording failed".into());
        }
        let (summary, file) = match a.recording.finish() {
            Ok(done) => done,
            Err(e) => {
                tracing::info!(recording = %a.id, room, "no recording kept: {e}");
                let _ = std::fs::remove_file(&path);
                return Err(match e {
                    lineup_media::record::RecordError::Empty => {
                        "nothing was recorded: no party's media reached the server".into()
                    }
                    _ => "writing the recording failed".into(),
                });
            }
        };
        let bytes = file
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|mut f| f.flush().and_then(|_| f.sync_all()).map(|_| f));
        let bytes = match bytes.and_then(|f| f.metadata()) {
            Ok(m) => m.len(),
            Err(e) => {
                tracing::warn!(recording = %a.id, "cannot write {}: {e}", path.display());
                let _ = std::fs::remove_file(&path);
                return Err("writing the recording failed".into());
            }
        };
        let row = RecordingRow {
            id: a.id.clone(),
            app: a.call.app.clone(),
            node: String::new(),
            session_id: a.call.session_id.clone(),
            meet_id: room,
            started_ms: a.started_ms,
            ended_ms: unix_ms(),
            duration_ms: summary.duration.as_millis() as u64,
            bytes,
            tracks: tracks_json(&summary, &a.parties).to_string(),
            file: a.file.clone(),
        };
        if let Err(e) = self.keep(&row) {
            tracing::warn!(recording = %a.id, "cannot store the recording: {e}");
            return Err("storing the recording failed".into());
        }
        tracing::info!(recording = %a.id, sessionid = %row.session_id, duration_ms = row.duration_ms, bytes, "recording finished");
        Ok(row)
    }

    /// The row and the webhook deliveries.
    fn keep(&mut self, row: &RecordingRow) -> Result<(), String> {
        self.keeper.keep(row)
    }
}

/// The tracks of a recording, named by their parties' UIDs.
fn tracks_json(summary: &Summary, parties: &HashMap<MemberId, String>) -> serde_json::Value {
    summary
        .tracks
        .iter()
        .map(|t| json!({"track": t.number, "usrID": parties.get(&t.member).cloned().unwrap_or_default(), "kind": t.kind.name()}))
        .collect()
}

/// Where a finished recording is kept: its row, and its `recording` webhook event.
pub trait Keep: Send {
    fn keep(&mut self, row: &RecordingRow) -> Result<(), String>;
}

/// A single node: the row and the webhook deliveries into its SQLite store, in one
/// transaction.
struct SqliteKeeper {
    conn: Connection,
    wake: Arc<tokio::sync::Notify>,
}

impl Keep for SqliteKeeper {
    fn keep(&mut self, row: &RecordingRow) -> Result<(), String> {
        let stored = (|| {
            let tx = self.conn.transaction()?;
            recordings::insert(&tx, row)?;
            let stored = enqueue(&tx, row)?;
            tx.commit()?;
            Ok::<_, rusqlite::Error>(stored)
        })()
        .map_err(|e| e.to_string())?;
        if stored > 0 {
            self.wake.notify_one();
        }
        Ok(())
    }
}
