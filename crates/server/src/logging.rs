//! Log output: human text (the default) or one JSON object per line
//! (`LINEUP_LOG_FORMAT=json`), filtered by `LINEUP_LOG` / `RUST_LOG` (default `info`).
//!
//! Levels: state changes of the server (start, recovery, stop, dead webhook
//! deliveries, refused panics) at INFO and above; logins, resumes, each WebSocket op
//! and each REST request at DEBUG, with app, session, UID, op, request id and latency.

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `LINEUP_LOG_FORMAT`: `text` (default) or `json`.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<LogFormat, String> {
        match env("LINEUP_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("") | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(format!("LINEUP_LOG_FORMAT: '{other}' is not a log format (text or json)")),
        }
    }
}

/// Installs the global subscriber; returns the format chosen.
pub fn init(env: impl Fn(&str) -> Option<String>) -> Result<LogFormat, String> {
    let format = LogFormat::from_env(&env)?;
    let filter = env("LINEUP_LOG").or_else(|| env("RUST_LOG")).unwrap_or_else(|| "info".into());
    let filter = EnvFilter::try_new(&filter).map_err(|e| format!("LINEUP_LOG: '{filter}': {e}"))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init(),
    }
    .map_err(|e| format!("cannot install the logger: {e}"))?;
    Ok(format)
}
