//! A PostgreSQL connection on a thread of its own.
//!
//! The `postgres` client blocks on a runtime of its own, which it cannot do inside a
//! tokio task; the hub's storage calls are synchronous by design (a turn commits before
//! anything of it leaves). So the connection lives on a plain thread, and [`Pg::run`]
//! hands it a closure and waits for the answer: from a tokio task, from a test, from
//! any thread.

use std::sync::mpsc;
use std::time::Duration;

use postgres::{Client, NoTls};

/// Why PostgreSQL did not answer.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The `--database` URL does not parse.
    #[error("database URL: {0}")]
    Url(String),
    /// The server could not be reached or refused the login.
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    /// A statement failed.
    #[error("PostgreSQL: {0}")]
    Query(#[from] postgres::Error),
    /// The connection's thread has stopped (its connection broke).
    #[error("the PostgreSQL connection is closed")]
    Closed,
    /// The database holds a newer schema than this server knows.
    #[error("the database schema is version {found}, newer than this server understands ({known})")]
    Schema { found: i32, known: i32 },
}

type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// One connection, owned by its thread; dropping the handle closes it.
pub struct Pg {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How long a connection attempt may take when the URL does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a session may sit idle inside a transaction before the server ends it
/// (a turn's transaction is sent in one go: it is idle only between round trips).
pub const IDLE_IN_TRANSACTION: Duration = Duration::from_millis(1000);

impl Pg {
    /// Connects to `url` (`postgres://user:password@host:port/database`, or PostgreSQL's
    /// `key=value` form).
    pub fn connect(url: &str) -> Result<Pg, PgError> {
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| PgError::Url(e.to_string()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("lineup-server");
        // A node paused (or cut off) inside a transaction must not hold the lease row's
        // lock, and so block the takeover, for longer than a lease lasts: the server
        // ends such a session, and the paused node finds its connection closed.
        // Notices ("relation already exists, skipping") are not worth a log line.
        config.options(&format!(
            "-c idle_in_transaction_session_timeout={} -c client_min_messages=warning",
            IDLE_IN_TRANSACTION.as_millis()
        ));
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let (jobs, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("lineup-pg".into())
            .spawn(move || {
                let mut client = match config.connect(NoTls) {
                    Ok(client) => client,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                for job in rx {
                    job(&mut client);
                    if client.is_closed() {
                        break;
                    }
                }
            })
            .map_err(|e| PgError::Connect(format!("cannot start its thread: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Pg { jobs: Some(jobs), thread: Some(thread) }),
            Ok(Err(e)) => Err(PgError::Connect(e)),
            Err(_) => Err(PgError::Connect("its thread stopped".into())),
        }
    }

    /// Runs `f` on the connection and waits for its result.
    pub fn run<R: Send + 'static>(&self, f: impl FnOnce(&mut Client) -> R + Send + 'static) -> Result<R, PgError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |client| {
            let _ = tx.send(f(client));
        });
        self.jobs.as_ref().ok_or(PgError::Closed)?.send(job).map_err(|_| PgError::Closed)?;
        rx.recv().map_err(|_| PgError::Closed)
    }

    /// Runs a query-shaped closure and flattens its error into [`PgError`].
    pub fn query<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<R, postgres::Error> + Send + 'static,
    ) -> Result<R, PgError> {
        self.run(f)?.map_err(PgError::from)
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
