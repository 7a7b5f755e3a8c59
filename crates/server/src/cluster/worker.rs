//! A named thread with a stop flag, joined when stopped or dropped: the lease keeper's
//! and the ownership loop's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct Worker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Runs `body` on a thread named `name`; `body` polls the flag it is given.
    pub fn spawn(name: String, body: impl FnOnce(&AtomicBool) + Send + 'static) -> std::io::Result<Worker> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new().name(name).spawn(move || body(&flag))?;
        Ok(Worker { stop, thread: Some(thread) })
    }

    /// Whether the thread has ended by itself.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Raises the flag and waits for the thread to end.
    pub fn halt(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.halt();
    }
}
