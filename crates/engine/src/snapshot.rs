//! Snapshots of the whole ACD state: every app, queue, customer, agent, offer, service,
//! room, call and deadline, in a versioned binary format, and a digest of it.
//!
//! # Formats, and changing the state types
//!
//! - Version 2 (written now): MessagePack with field and variant names
//!   (`rmp_serde`'s named form), so a reader finds each field by its name.
//! - Version 1 (written until 2026-12): bincode, fields by position. It is read with
//!   today's types, so it stays readable only while they keep that layout; the
//!   upgrade test reads a version-1 data directory kept in `crates/server/tests/fixtures`.
//!
//! A change to a type reachable from the state (`state.rs`, `sessions.rs`, `timers.rs`,
//! `model.rs`):
//! - a new field takes `#[serde(default)]` (a version-2 snapshot without it reads as
//!   the default); a new enum variant is fine as it is;
//! - a renamed or retyped field, or one whose meaning changes, bumps
//!   [`SNAPSHOT_VERSION`] and adds the step from the old version to [`Engine::restore`];
//! - once it breaks the version-1 layout, version 1 is read through a frozen copy of
//!   the old types (or the release notes say which release to pass through first);
//! - either way, a fixture written by the previous release is added beside the others,
//!   and the upgrade test reads it.
//!
//! A snapshot is canonical: hash maps are written in key order, so two engines in the
//! same state give the same bytes (and the same [`digest`](Engine::digest)) whatever
//! the history of their maps. The driver takes one between steps (after draining the
//! outputs), stores it beside its journal of inputs, and on start-up restores it and
//! replays the inputs journaled after it.

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::ids::{OfferId, QueueId, ServiceId};
use crate::sessions::Sessions;
use crate::state::{App, Call, Offer, Queue, Room, Service};
use crate::time::Time;
use crate::timers::Timers;
use crate::agent_state::AgentBook;
use crate::wait_estimate::WaitBook;
use crate::wallboard::WallBook;
use crate::reports::ReportBook;
use crate::routing::RoutingBook;
use crate::skills::SkillBook;
use crate::callback::CallbackBook;
use crate::user_status::UserStatusBook;

/// The first bytes of every snapshot.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"LNUPSNAP";
/// The format written by this version; [`Engine::restore`] reads it and every earlier
/// one (see the module's documentation).
pub const SNAPSHOT_VERSION: u32 = 2;

/// Why a snapshot cannot be restored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotError {
    #[error("not a Lineup engine snapshot (bad magic bytes)")]
    NotASnapshot,
    #[error("snapshot format version {found} is newer than this build reads (versions 1 to {SNAPSHOT_VERSION}): run the release that wrote it, or a newer one")]
    Version { found: u32 },
    #[error("snapshot is damaged: {0}")]
    Corrupt(String),
}

/// Writes a hash map in key order (canonical bytes).
pub(crate) fn sorted<S, K, V, H>(map: &HashMap<K, V, H>, s: S) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    K: Ord + Serialize,
    V: Serialize,
{
    let mut entries: Vec<(&K, &V)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    s.collect_map(entries)
}

/// A borrowed hash map, written in key order.
struct Sorted<'a, K, V>(&'a FxHashMap<K, V>);

impl<K: Ord + Serialize, V: Serialize> Serialize for Sorted<'_, K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        sorted(self.0, s)
    }
}

/// The engine's state as written (borrowed).
#[derive(Serialize)]
struct StateRef<'a> {
    now: Time,
    apps: &'a Vec<App>,
    sessions: &'a Sessions,
    queues: Sorted<'a, QueueId, Queue>,
    offers: Sorted<'a, OfferId, Offer>,
    services: Sorted<'a, ServiceId, Service>,
    rooms: Sorted<'a, u32, Room>,
    calls: Sorted<'a, u64, Call>,
    next_room: u32,
    timers: &'a Timers,
    next_id: u64,
    next_queue: u32,
    user_status: &'a UserStatusBook,
    agent_book: &'a AgentBook,
    wait_book: &'a WaitBook,
    wall_book: &'a WallBook,
    report_book: &'a ReportBook,
    routing: &'a RoutingBook,
    callback_book: &'a CallbackBook,
    skill_book: &'a SkillBook,
}

/// The engine's state as read back (owned); same field order as [`StateRef`].
#[derive(Deserialize)]
struct State {
    now: Time,
    apps: Vec<App>,
    sessions: Sessions,
    queues: FxHashMap<QueueId, Queue>,
    offers: FxHashMap<OfferId, Offer>,
    services: FxHashMap<ServiceId, Service>,
    rooms: FxHashMap<u32, Room>,
    calls: FxHashMap<u64, Call>,
    next_room: u32,
    timers: Timers,
    next_id: u64,
    next_queue: u32,
    /// Absent from snapshots of versions before user status.
    #[serde(default)]
    user_status: UserStatusBook,
    /// Absent from snapshots of versions before agent states.
    #[serde(default)]
    agent_book: AgentBook,
    /// Absent from snapshots of versions before estimated waits.
    #[serde(default)]
    wait_book: WaitBook,
    /// Absent from snapshots of versions before the wallboard.
    #[serde(default)]
    wall_book: WallBook,
    /// Absent from snapshots of versions before reports.
    #[serde(default)]
    report_book: ReportBook,
    /// Absent from snapshots of versions before overflow and aging.
    #[serde(default)]
    routing: RoutingBook,
    /// Absent from snapshots of versions before callbacks.
    #[serde(default)]
    callback_book: CallbackBook,
    /// Absent from snapshots of versions before skills.
    #[serde(default)]
    skill_book: SkillBook,
}

/// A version 1 snapshot's state (bincode: every field, in order, nothing after
/// `next_queue`).
#[derive(Deserialize)]
struct StateV1 {
    now: Time,
    apps: Vec<App>,
    sessions: Sessions,
    queues: FxHashMap<QueueId, Queue>,
    offers: FxHashMap<OfferId, Offer>,
    services: FxHashMap<ServiceId, Service>,
    rooms: FxHashMap<u32, Room>,
    calls: FxHashMap<u64, Call>,
    next_room: u32,
    timers: Timers,
    next_id: u64,
    next_queue: u32,
}

impl From<StateV1> for State {
    fn from(v: StateV1) -> State {
        State {
            now: v.now,
            apps: v.apps,
            sessions: v.sessions,
            queues: v.queues,
            offers: v.offers,
            services: v.services,
            rooms: v.rooms,
            calls: v.calls,
            next_room: v.next_room,
            timers: v.timers,
            next_id: v.next_id,
            next_queue: v.next_queue,
            user_status: UserStatusBook::default(),
            agent_book: AgentBook::default(),
            wait_book: WaitBook::default(),
            wall_book: WallBook::default(),
            report_book: ReportBook::default(),
            routing: RoutingBook::default(),
            callback_book: CallbackBook::default(),
            skill_book: SkillBook::default(),
        }
    }
}

impl Engine {
    /// The whole state as bytes: [`SNAPSHOT_MAGIC`], the format version (u32 LE), then
    /// the state. Outputs not yet polled are not part of it: take snapshots between
    /// steps, after draining [`poll_output`](Engine::poll_output).
    pub fn snapshot(&self) -> Vec<u8> {
        let state = self.state_ref();
        let mut out = Vec::with_capacity(64 + self.sessions.len() * 160);
        out.extend_from_slice(SNAPSHOT_MAGIC);
        out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
        rmp_serde::encode::write_named(&mut out, &state).expect("engine state serializes into memory");
        out
    }

    /// The state as written, borrowed.
    fn state_ref(&self) -> StateRef<'_> {
        StateRef {
            now: self.now,
            apps: &self.apps,
            sessions: &self.sessions,
            queues: Sorted(&self.queues),
            offers: Sorted(&self.offers),
            services: Sorted(&self.services),
            rooms: Sorted(&self.rooms),
            calls: Sorted(&self.calls),
            next_room: self.next_room,
            timers: &self.timers,
            next_id: self.next_id,
            next_queue: self.next_queue,
            user_status: &self.user_status,
            agent_book: &self.agent_book,
            wait_book: &self.wait_book,
            wall_book: &self.wall_book,
            report_book: &self.report_book,
            routing: &self.routing,
            callback_book: &self.callback_book,
            skill_book: &self.skill_book,
        }
    }

    /// An engine in the state a [`snapshot`](Engine::snapshot) recorded.
    pub fn restore(bytes: &[u8]) -> Result<Engine, SnapshotError> {
        let body = bytes.strip_prefix(SNAPSHOT_MAGIC.as_slice()).ok_or(SnapshotError::NotASnapshot)?;
        let (version, body) = body.split_at_checked(4).ok_or(SnapshotError::NotASnapshot)?;
        let found = u32::from_le_bytes(version.try_into().expect("4 bytes"));
        let state: State = match found {
            1 => bincode::deserialize::<StateV1>(body)
                .map_err(|e| SnapshotError::Corrupt(format!("version 1: {e}")))?
                .into(),
            2 => rmp_serde::from_slice(body).map_err(|e| SnapshotError::Corrupt(e.to_string()))?,
            _ => return Err(SnapshotError::Version { found }),
        };
        let mut engine = Engine::new();
        let empty = engine.empty_text.clone();
        engine.now = state.now;
        engine.app_ix = state.apps.iter().enumerate().map(|(i, a)| (a.name.clone(), i as u32)).collect();
        engine.apps = state.apps;
        engine.sessions = state.sessions;
        engine.queues = state.queues;
        engine.offers = state.offers;
        engine.services = state.services;
        engine.rooms = state.rooms;
        engine.calls = state.calls;
        engine.next_room = state.next_room;
        engine.timers = state.timers;
        engine.next_id = state.next_id;
        engine.next_queue = state.next_queue;
        engine.user_status = state.user_status;
        engine.user_status.count_rooms(engine.rooms.values().flat_map(|r| r.members.iter()));
        engine.agent_book = state.agent_book;
        engine.wait_book = state.wait_book;
        engine.wall_book = state.wall_book;
        engine.report_book = state.report_book;
        engine.routing = state.routing;
        engine.callback_book = state.callback_book;
        engine.skill_book = state.skill_book;
        engine.adopt_dnd_without_reason();
        // Agents of a snapshot from before reports: their time is reported from now.
        if !engine.agent_book.agents.is_empty() {
            engine.open_report();
        }
        engine.share_empty_texts(&empty);
        Ok(engine)
    }

    /// A digest of the whole state (FNV-1a over the canonical snapshot): two engines
    /// with the same digest are in the same state.
    pub fn digest(&self) -> u64 {
        fnv1a(&self.snapshot())
    }

    /// Customers without usrExtDat share one empty string again (as a live engine's do).
    fn share_empty_texts(&mut self, empty: &Arc<str>) {
        let ids: Vec<_> = self.sessions.iter().map(|(id, _)| *id).collect();
        for id in ids {
            if let Some(q) = self.sessions.get_mut(&id).and_then(|s| s.queuing.as_mut()) {
                if q.ext.is_empty() {
                    q.ext = empty.clone();
                }
            }
        }
        for service in self.services.values_mut() {
            if let Some(task) = service.task.as_mut().filter(|t| t.ext.is_empty()) {
                task.ext = empty.clone();
            }
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_bytes_are_refused_with_the_reason() {
        assert_eq!(Engine::restore(b"hello").err(), Some(SnapshotError::NotASnapshot));
        let mut bytes = Engine::new().snapshot();
        bytes[8] = 9;
        assert_eq!(Engine::restore(&bytes).err(), Some(SnapshotError::Version { found: 9 }));
        let bytes = Engine::new().snapshot();
        assert!(matches!(Engine::restore(&bytes[..bytes.len() - 3]), Err(SnapshotError::Corrupt(_))));
    }

    #[test]
    fn a_version_1_snapshot_is_read() {
        let e = Engine::new();
        let mut bytes = SNAPSHOT_MAGIC.to_vec();
        bytes.extend_from_slice(&1u32.to_le_bytes());
        let state = e.state_ref();
        bincode::serialize_into(&mut bytes, &state).unwrap();
        assert_eq!(Engine::restore(&bytes).unwrap().digest(), e.digest());
    }

    #[test]
    fn an_empty_engine_round_trips() {
        let e = Engine::new();
        assert_eq!(Engine::restore(&e.snapshot()).unwrap().digest(), e.digest());
    }
}
