//! User status, CloudRoom's `StartUserStatusNotify` / `NotifyUserStatus` /
//! `GetUserStatus`: each user of an app is offline, online and idle, busy, or in a room,
//! with its DND type. Sessions that asked are told every change of every user of their
//! app, once per step and only when the status differs from what they were told last.
//!
//! Where the status comes from (the engine's own records, nothing reported by clients):
//! - offline: no session, or the session is held after its connection dropped;
//! - in a room: a member of a room (a meeting entered, or an answered call's room);
//! - busy: an agent serving a customer or in wrap-up; a customer being served; anyone
//!   in a ringing call (an offer is not busy yet: the agent may still decline it);
//! - idle: otherwise.
//!
//! The rules that change those records call [`Engine::touch_user`]; the step's end
//! ([`Engine::flush_user_status`]) compares and tells.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::ids::{Name, SessionId};
use crate::output::Notice;

/// CloudRoom's `userStatus` numbers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserState {
    Offline = 0,
    Idle = 1,
    Busy = 2,
    InRoom = 3,
}

/// CloudRoom's `CRVideo_UserStatus`: a user, its state and its DND type (0 when DND is
/// off, else the value given to `SetDNDStatus`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserStatus {
    pub user_id: Name,
    pub state: UserState,
    pub dnd_type: u32,
}

/// Who watches user status and what they were told. Kept in the
/// snapshot (after the state written by older versions, so that their snapshots still
/// read).
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct UserStatusBook {
    /// Per app: the sessions that asked for status notices.
    pub watchers: BTreeMap<u32, BTreeSet<SessionId>>,
    /// Per app, while it has watchers: each user's status as last told.
    pub told: BTreeMap<u32, BTreeMap<Name, (UserState, u32)>>,
    /// Not in the snapshot: users whose status may have changed in this step.
    #[serde(skip)]
    pub touched: Vec<(u32, Name, SessionId)>,
    /// Not in the snapshot (rebuilt from the rooms): how many rooms a session is in.
    #[serde(skip)]
    pub rooms_in: FxHashMap<SessionId, u16>,
}

impl UserStatusBook {
    /// After a restore: the room counts from the rooms themselves.
    pub fn count_rooms<'a>(&mut self, members: impl Iterator<Item = &'a SessionId>) {
        self.rooms_in.clear();
        for m in members {
            *self.rooms_in.entry(*m).or_default() += 1;
        }
    }
}

impl Engine {
    /// The user's status may have changed: looked at when the step ends, if anyone in
    /// its app watches.
    pub(crate) fn touch_user(&mut self, sid: SessionId) {
        let Some(s) = self.sessions.get(&sid) else { return };
        if self.user_status.watchers.get(&s.app).is_some_and(|w| !w.is_empty()) {
            self.user_status.touched.push((s.app, s.user_id.clone(), sid));
        }
    }

    /// A session entered (`+1`) or left (`-1`) a room.
    pub(crate) fn count_room(&mut self, sid: SessionId, entered: bool) {
        let n = self.user_status.rooms_in.entry(sid).or_default();
        *n = if entered { n.saturating_add(1) } else { n.saturating_sub(1) };
        if *n == 0 {
            self.user_status.rooms_in.remove(&sid);
        }
        self.touch_user(sid);
    }

    /// The status of a session's user now.
    pub(crate) fn status_of(&self, sid: SessionId) -> (UserState, u32) {
        let Some(s) = self.sessions.get(&sid) else { return (UserState::Offline, 0) };
        let dnd = match s.agent.as_deref() {
            Some(a) if a.dnd => self.reason_of(sid).max(1),
            _ => 0,
        };
        let state = if !s.online {
            UserState::Offline
        } else if self.user_status.rooms_in.contains_key(&sid) {
            UserState::InRoom
        } else if s.call.is_some()
            || s.served_in.is_some()
            || s.agent.as_deref().is_some_and(|a| !a.services.is_empty() || a.wrapup_until.is_some())
        {
            UserState::Busy
        } else {
            UserState::Idle
        };
        (state, dnd)
    }

    /// `StartUserStatusNotify`: the session is told every status change of its app's
    /// users from now on.
    pub(crate) fn watch_user_status(&mut self, sid: SessionId) {
        let app = self.sessions[&sid].app;
        let watchers = self.user_status.watchers.entry(app).or_default();
        let first = watchers.is_empty();
        watchers.insert(sid);
        if first {
            let told: BTreeMap<Name, (UserState, u32)> =
                self.apps[app as usize].users.iter().map(|(uid, sid)| (uid.clone(), self.status_of(*sid))).collect();
            self.user_status.told.insert(app, told);
        }
    }

    /// `StopUserStatusNotify` (and a session's end).
    pub(crate) fn unwatch_user_status(&mut self, sid: SessionId, app: u32) {
        let Some(watchers) = self.user_status.watchers.get_mut(&app) else { return };
        watchers.remove(&sid);
        if watchers.is_empty() {
            self.user_status.watchers.remove(&app);
            self.user_status.told.remove(&app);
        }
    }

    /// The end of a step: each touched user whose status differs from what was told is
    /// told to every online watcher of its app.
    pub(crate) fn flush_user_status(&mut self) {
        if self.user_status.touched.is_empty() {
            return;
        }
        let touched = std::mem::take(&mut self.user_status.touched);
        for (app, user_id, sid) in touched {
            let now = match self.sessions.get(&sid) {
                Some(s) if s.user_id == user_id => self.status_of(sid),
                // The session ended (or a new one of the user holds another id).
                _ => match self.apps[app as usize].users.get(&user_id) {
                    Some(&current) => self.status_of(current),
                    None => (UserState::Offline, 0),
                },
            };
            let Some(told) = self.user_status.told.get_mut(&app) else { continue };
            let before = told.get(&user_id).copied().unwrap_or((UserState::Offline, 0));
            if before == now {
                continue;
            }
            if now.0 == UserState::Offline && !self.apps[app as usize].users.contains_key(&user_id) {
                told.remove(&user_id);
            } else {
                told.insert(user_id.clone(), now);
            }
            let status = UserStatus { user_id, state: now.0, dnd_type: now.1 };
            let watchers: Vec<SessionId> = self.user_status.watchers.get(&app).into_iter().flatten().copied().collect();
            for w in watchers {
                if self.sessions.get(&w).is_some_and(|s| s.online) {
                    self.notify(w, Notice::UserStatus(status.clone()));
                }
            }
        }
    }

    /// `GetUserStatus`: every user of the session's app with a session (held ones are
    /// offline), by user id; or the one asked for (offline when it has no session).
    pub fn user_statuses(&self, sid: SessionId, user_id: Option<&str>) -> Vec<UserStatus> {
        let Some(s) = self.sessions.get(&sid) else { return Vec::new() };
        let users = &self.apps[s.app as usize].users;
        let status = |user_id: &Name, sid: Option<SessionId>| {
            let (state, dnd_type) = sid.map_or((UserState::Offline, 0), |sid| self.status_of(sid));
            UserStatus { user_id: user_id.clone(), state, dnd_type }
        };
        match user_id {
            Some(uid) => {
                let uid = Name::from(uid);
                let sid = users.get(&uid).copied();
                vec![status(&uid, sid)]
            }
            None => {
                let mut all: Vec<UserStatus> = users.iter().map(|(uid, sid)| status(uid, Some(*sid))).collect();
                all.sort_unstable_by(|a, b| a.user_id.cmp(&b.user_id));
                all
            }
        }
    }
}
