//! Report rows: the engine's ended intervals (`EventKind::Interval`) as stored JSON
//! rows, the open interval beside them, the query a report request makes, and CSV.
//!
//! A row is one queue or one agent over one 15-minute interval. Ended intervals are
//! written in the journal's store (SQLite, or PostgreSQL on a cluster) in the turn that
//! closed them, so they are the same after a restart or on another node; the interval
//! still open is read from the engine (`"complete": false`).

use lineup_engine::{AgentInterval, AgentState, IntervalReport, QueueInterval, REPORT_INTERVAL_MS};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::admin_error::AdminError;
use crate::journal::ReportRow;

/// The widest range one request may ask for.
pub const MAX_RANGE_DAYS: u64 = 31;
const DAY_MS: u64 = 86_400_000;

/// What a report is about.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Queue,
    Agent,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Queue => "queue",
            Kind::Agent => "agent",
        }
    }
}

/// "YYYY-MM-DDTHH:MM:SSZ" of Unix milliseconds.
pub fn iso(ms: u64) -> String {
    crate::clock::datetime(ms).replacen(' ', "T", 1) + "Z"
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// One queue over one interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueReportRow {
    /// The interval's start (UTC, RFC 3339).
    pub start: String,
    /// Its end; for the open interval, the time the figures are from.
    pub end: String,
    /// False for the interval still open.
    pub complete: bool,
    #[serde(rename = "queID")]
    pub que_id: u32,
    /// Customers who joined.
    pub offered: u64,
    pub answered: u64,
    /// Answered within the app's `serviceLevelSeconds`.
    #[serde(rename = "answeredWithinSL")]
    pub answered_within_sl: u64,
    /// Left by choice or dropped while waiting.
    pub abandoned: u64,
    /// Waited the queue's maximum wait.
    pub timed_out: u64,
    /// Moved to another queue.
    pub forwarded: u64,
    /// answeredWithinSL / answered (null: none answered).
    pub service_level: Option<f64>,
    /// The answered customers' average wait (null: none answered).
    pub avg_wait_seconds: Option<f64>,
    /// The longest wait that ended in the interval, however it ended.
    pub longest_wait_seconds: f64,
    /// Services that ended.
    pub handled: u64,
    /// Their durations (answer to end), summed.
    pub handle_seconds: f64,
    pub avg_handle_seconds: Option<f64>,
}

/// Seconds in each agent state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StateSeconds {
    pub logged_out: f64,
    pub offline: f64,
    pub busy: f64,
    pub wrap_up: f64,
    pub not_ready: f64,
    pub idle: f64,
}

/// One agent (all its sessions) over one interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentReportRow {
    pub start: String,
    pub end: String,
    pub complete: bool,
    #[serde(rename = "UID")]
    pub uid: String,
    /// Offers made to it.
    pub offers: u64,
    /// Customers it took (an offer accepted, or by hand).
    pub answered: u64,
    /// Offers that timed out.
    pub missed: u64,
    pub handled: u64,
    pub handle_seconds: f64,
    pub avg_handle_seconds: Option<f64>,
    pub state_seconds: StateSeconds,
    /// Seconds not ready, per reason code (`DNDType`).
    pub reason_seconds: BTreeMap<String, f64>,
}

fn avg(total_ms: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| total_ms as f64 / n as f64 / 1000.0)
}

/// One queue's row.
pub fn queue_row(start_ms: u64, end_ms: u64, complete: bool, q: &QueueInterval) -> QueueReportRow {
    QueueReportRow {
        start: iso(start_ms),
        end: iso(end_ms),
        complete,
        que_id: q.queue.0,
        offered: q.offered,
        answered: q.answered,
        answered_within_sl: q.answered_within_sl,
        abandoned: q.abandoned,
        timed_out: q.timed_out,
        forwarded: q.forwarded,
        service_level: (q.answered > 0).then(|| q.answered_within_sl as f64 / q.answered as f64),
        avg_wait_seconds: avg(q.wait_ms_answered, q.answered),
        longest_wait_seconds: secs(q.longest_wait_ms),
        handled: q.handled,
        handle_seconds: secs(q.handle_ms),
        avg_handle_seconds: avg(q.handle_ms, q.handled),
    }
}

/// One agent's row.
pub fn agent_row(start_ms: u64, end_ms: u64, complete: bool, a: &AgentInterval) -> AgentReportRow {
    let st = |s: AgentState| secs(a.state_ms[s as usize]);
    AgentReportRow {
        start: iso(start_ms),
        end: iso(end_ms),
        complete,
        uid: a.user_id.to_string(),
        offers: a.offers,
        answered: a.answered,
        missed: a.missed,
        handled: a.handled,
        handle_seconds: secs(a.handle_ms),
        avg_handle_seconds: avg(a.handle_ms, a.handled),
        state_seconds: StateSeconds {
            logged_out: st(AgentState::LoggedOut),
            offline: st(AgentState::Offline),
            busy: st(AgentState::Busy),
            wrap_up: st(AgentState::WrapUp),
            not_ready: st(AgentState::NotReady),
            idle: st(AgentState::Idle),
        },
        reason_seconds: a.reason_ms.iter().map(|(code, ms)| (code.to_string(), secs(*ms))).collect(),
    }
}

fn value(row: impl Serialize) -> Value {
    serde_json::to_value(row).expect("report rows serialize")
}

/// An ended interval as rows to store.
pub fn stored_rows(r: &IntervalReport) -> Vec<ReportRow> {
    let (start, end) = (r.start.as_millis(), r.end.as_millis());
    let queues = r.queues.iter().map(|q| ReportRow {
        kind: Kind::Queue.name().into(),
        subject: q.queue.0.to_string(),
        start_ms: start,
        body: value(queue_row(start, end, true, q)).to_string(),
    });
    let agents = r.agents.iter().map(|a| ReportRow {
        kind: Kind::Agent.name().into(),
        subject: a.user_id.to_string(),
        start_ms: start,
        body: value(agent_row(start, end, true, a)).to_string(),
    });
    queues.chain(agents).collect()
}

/// The open interval's rows of `kind`.
pub fn open_rows(r: &IntervalReport, kind: Kind) -> Vec<(String, Value)> {
    let (start, end) = (r.start.as_millis(), r.end.as_millis());
    match kind {
        Kind::Queue => {
            r.queues.iter().map(|q| (q.queue.0.to_string(), value(queue_row(start, end, false, q)))).collect()
        }
        Kind::Agent => {
            r.agents.iter().map(|a| (a.user_id.to_string(), value(agent_row(start, end, false, a)))).collect()
        }
    }
}

/// A report request: `from`, `to` (Unix milliseconds, `YYYY-MM-DD` or
/// `YYYY-MM-DDTHH:MM:SSZ`; default the last 24 hours), an optional `queue` or `agent`,
/// and `format` (`json`, the default, or `csv`).
#[derive(Debug, PartialEq, Eq)]
pub struct ReportQuery {
    pub from_ms: u64,
    pub to_ms: u64,
    pub subject: Option<String>,
    pub csv: bool,
}

impl ReportQuery {
    pub fn parse(
        kind: Kind,
        params: &std::collections::HashMap<String, String>,
        now_ms: u64,
    ) -> Result<ReportQuery, AdminError> {
        let known = ["from", "to", "format", if kind == Kind::Queue { "queue" } else { "agent" }];
        if let Some(k) = params.keys().find(|k| !known.contains(&k.as_str())) {
            let k = lineup_protocol::fields::clip(k);
            return Err(AdminError::bad(format!("unknown parameter '{k}' (known: {})", known.join(", "))));
        }
        let to_ms = match params.get("to") {
            Some(v) => parse_time("to", v)?,
            None => now_ms,
        };
        let from_ms = match params.get("from") {
            Some(v) => parse_time("from", v)?,
            None => to_ms.saturating_sub(DAY_MS),
        };
        if from_ms >= to_ms {
            return Err(AdminError::bad(format!("from ({}) must be before to ({})", iso(from_ms), iso(to_ms))));
        }
        if to_ms - from_ms > MAX_RANGE_DAYS * DAY_MS {
            let days = (to_ms - from_ms).div_ceil(DAY_MS);
            return Err(AdminError::bad(format!("from..to spans {days} days; at most {MAX_RANGE_DAYS} per request")));
        }
        let csv = match params.get("format").map(String::as_str) {
            None | Some("json") => false,
            Some("csv") => true,
            Some(other) => {
                let other = lineup_protocol::fields::clip(other);
                return Err(AdminError::bad(format!("format '{other}' is not json or csv")));
            }
        };
        let subject = match kind {
            Kind::Queue => match params.get("queue") {
                Some(v) => Some(
                    v.parse::<u32>()
                        .map_err(|_| {
                            AdminError::bad(format!("queue '{}' is not a QueueID", lineup_protocol::fields::clip(v)))
                        })?
                        .to_string(),
                ),
                None => None,
            },
            Kind::Agent => params.get("agent").cloned(),
        };
        Ok(ReportQuery { from_ms, to_ms, subject, csv })
    }

    /// Whether an interval starting at `start_ms` is in range (an interval is reported
    /// when it starts in `from..to`; `from` is rounded down to an interval's start).
    pub fn covers(&self, start_ms: u64) -> bool {
        start_ms >= self.range_start() && start_ms < self.to_ms
    }

    pub fn range_start(&self) -> u64 {
        self.from_ms / REPORT_INTERVAL_MS * REPORT_INTERVAL_MS
    }
}

/// Unix milliseconds, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn parse_time(field: &str, v: &str) -> Result<u64, AdminError> {
    let bad = || {
        let v = lineup_protocol::fields::clip(v);
        AdminError::bad(format!("{field} '{v}' is not a time (Unix milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"))
    };
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse::<u64>().map_err(|_| bad());
    }
    let (date, time) = match v.split_once('T') {
        Some((d, t)) => (d, Some(t.strip_suffix('Z').ok_or_else(bad)?)),
        None => (v, None),
    };
    let num = |s: &str, len: usize| {
        if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse::<i64>().ok()
        } else {
            None
        }
    };
    let mut d = date.split('-');
    let (y, m, day) = match (d.next(), d.next(), d.next(), d.next()) {
        (Some(y), Some(m), Some(dd), None) => {
            (num(y, 4).ok_or_else(bad)?, num(m, 2).ok_or_else(bad)?, num(dd, 2).ok_or_else(bad)?)
        }
        _ => return Err(bad()),
    };
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    let secs_of_day = match time {
        None => 0,
        Some(t) => {
            let mut p = t.split(':');
            match (p.next(), p.next(), p.next(), p.next()) {
                (Some(h), Some(mi), Some(s), None) => {
                    let (h, mi, s) =
                        (num(h, 2).ok_or_else(bad)?, num(mi, 2).ok_or_else(bad)?, num(s, 2).ok_or_else(bad)?);
                    if h > 23 || mi > 59 || s > 59 {
                        return Err(bad());
                    }
                    h * 3600 + mi * 60 + s
                }
                _ => return Err(bad()),
            }
        }
    };
    // Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    let (yy, mm) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = (days * 86_400 + secs_of_day) * 1000;
    // A day the month does not have (2026-02-30) reads back as another date.
    if crate::clock::datetime(ms as u64)[..10] != *date {
        return Err(bad());
    }
    Ok(ms as u64)
}

/// Rows as CSV (RFC 4180, a header line first; nested figures flattened: agents'
/// `stateSeconds.idle` → `idleSeconds`, `reasonSeconds.2` → `reason2Seconds`). A
/// text cell that a spreadsheet would run as a formula starts with `'`.
pub fn csv(kind: Kind, rows: &[Value]) -> String {
    let mut columns: Vec<String> = match kind {
        Kind::Queue => [
            "start",
            "end",
            "complete",
            "queID",
            "offered",
            "answered",
            "answeredWithinSL",
            "abandoned",
            "timedOut",
            "forwarded",
            "serviceLevel",
            "avgWaitSeconds",
            "longestWaitSeconds",
            "handled",
            "handleSeconds",
            "avgHandleSeconds",
        ]
        .map(String::from)
        .to_vec(),
        Kind::Agent => {
            let mut c: Vec<String> = [
                "start",
                "end",
                "complete",
                "UID",
                "offers",
                "answered",
                "missed",
                "handled",
                "handleSeconds",
                "avgHandleSeconds",
            ]
            .map(String::from)
            .to_vec();
            c.extend(AgentState::ALL.iter().map(|s| state_column(s.name())));
            c
        }
    };
    let mut reasons: Vec<u32> = rows
        .iter()
        .filter_map(|r| r["reasonSeconds"].as_object())
        .flat_map(|m| m.keys().filter_map(|k| k.parse().ok()))
        .collect();
    reasons.sort_unstable();
    reasons.dedup();
    columns.extend(reasons.iter().map(|c| format!("reason{c}Seconds")));
    let mut out = columns.iter().map(|c| cell(&Value::String(c.clone()))).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    for row in rows {
        let line: Vec<String> = columns
            .iter()
            .map(|c| {
                if let Some(state) = AgentState::ALL.iter().find(|s| state_column(s.name()) == *c) {
                    cell(&row["stateSeconds"][state.name()])
                } else if let Some(code) = c.strip_prefix("reason").and_then(|c| c.strip_suffix("Seconds")) {
                    cell(row["reasonSeconds"].get(code).unwrap_or(&json!(0.0)))
                } else {
                    cell(&row[c.as_str()])
                }
            })
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// `wrap_up` → `wrapUpSeconds`.
fn state_column(state: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in state.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out + "Seconds"
}

fn cell(v: &Value) -> String {
    let text = match v {
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        other => return other.to_string(),
    };
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text };
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_every_documented_form_and_nothing_else() {
        assert_eq!(parse_time("from", "1795000000000").unwrap(), 1_795_000_000_000);
        assert_eq!(parse_time("from", "2026-11-18T11:06:40Z").unwrap(), 1_795_000_000_000);
        assert_eq!(parse_time("from", "2000-02-29").unwrap(), 951_782_400_000);
        for bad in [
            "",
            "yesterday",
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "2026-11-18T11:06:40",
            "2026-11-18T25:00:00Z",
            "-5",
            "1e9",
        ] {
            let e = parse_time("from", bad).unwrap_err();
            assert!(e.to_string().contains("from"), "{bad}: {e}");
        }
    }

    #[test]
    fn csv_quotes_and_defuses_cells() {
        assert_eq!(cell(&json!("a,b")), "\"a,b\"");
        assert_eq!(cell(&json!("say \"hi\"")), "\"say \"\"hi\"\"\"");
        assert_eq!(cell(&json!("=SUM(A1)")), "'=SUM(A1)");
        assert_eq!(cell(&Value::Null), "");
        assert_eq!(cell(&json!(1.5)), "1.5");
        assert_eq!(state_column("wrap_up"), "wrapUpSeconds");
    }
}
