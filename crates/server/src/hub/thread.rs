//! The hub's own thread: a hub commits its turn synchronously (an fsync, or a PostgreSQL
//! round trip), so it runs on a thread of its own, with a single-threaded tokio runtime
//! for its channel and timers, never on the server's async workers — a node with more
//! busy apps than workers keeps answering every socket.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use crate::journal::JournalError;

/// Why a hub ended before it was asked to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubFailure {
    /// Its journal could not be written (nothing of the failed turn was committed,
    /// sent or answered).
    #[error("cannot write the journal: {0}")]
    Journal(String),
    /// It panicked outside a job.
    #[error("the hub stopped unexpectedly (a panic)")]
    Panicked,
    /// Its thread's runtime could not be made.
    #[error("cannot start the hub: {0}")]
    Start(String),
}

/// The running hub: completes when its thread has ended (after the hub's last turn and
/// snapshot, or at once when aborted), with why it ended early if it did.
pub struct HubTask {
    abort: Option<oneshot::Sender<()>>,
    ended: oneshot::Receiver<Result<(), HubFailure>>,
    thread: std::thread::JoinHandle<()>,
}

impl HubTask {
    /// Runs `run` on a new thread named `name`. `Err` when the thread cannot start.
    pub(super) fn start<F>(name: String, run: F) -> std::io::Result<HubTask>
    where
        F: Future<Output = Result<(), JournalError>> + Send + 'static,
    {
        let (abort, aborted) = oneshot::channel::<()>();
        let (ended_tx, ended) = oneshot::channel();
        let thread = std::thread::Builder::new().name(name).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ended_tx.send(Err(HubFailure::Start(e.to_string())));
                    return;
                }
            };
            let ended = runtime.block_on(async move {
                tokio::select! {
                    // An abort wins over work that is ready at the same time.
                    biased;
                    // Dropped at its next await, as an aborted task is: nothing more is
                    // flushed (a cluster node lets its app go as a dying process would).
                    Ok(()) = aborted => Ok(()),
                    ended = run => ended.map_err(|e| HubFailure::Journal(e.to_string())),
                }
            });
            drop(runtime);
            let _ = ended_tx.send(ended);
        })?;
        Ok(HubTask { abort: Some(abort), ended, thread })
    }

    /// Ends the hub at its next wait, without its last turn or snapshot.
    pub fn abort(&mut self) {
        if let Some(abort) = self.abort.take() {
            let _ = abort.send(());
        }
    }

    /// Whether the hub's thread has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }
}

impl Future for HubTask {
    /// `Err` with the reason when the hub ended early.
    type Output = Result<(), HubFailure>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.ended).poll(cx).map(|ended| ended.unwrap_or(Err(HubFailure::Panicked)))
    }
}
