//! The wallboard: a supervisor subscribes once (SubscribeWallboard) and then gets, at
//! most once per [`INTERVAL_MS`] and only after something changed, every queue's
//! figures and every agent's state in its app — nothing to poll. Each queue's figures
//! include the agents its load needs now (Erlang C, `erlang`) beside the agents
//! available.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::agent_state::{AgentState, AgentStateView};
use crate::engine::Engine;
use crate::ids::{Name, QueueId, SessionId};
use crate::output::Notice;
use crate::reports::QueueInterval;
use crate::time::Time;
use crate::timers::Timer;

/// Frames go out at most this often per app.
pub const INTERVAL_MS: u64 = 1000;
/// Arrivals after which the arrival rate becomes a moving average (weight 1/this).
const ARRIVAL_WINDOW: u64 = 16;

/// One queue on the wallboard.
#[derive(Clone, Debug, PartialEq)]
pub struct WallboardQueue {
    pub queue: QueueId,
    pub waiting: u32,
    pub longest_wait_s: u64,
    /// Agents serving the queue by state: idle, busy, wrap-up, not ready, offline.
    pub agents: [u32; 5],
    pub service_level: f64,
    pub served: u64,
    pub abandoned: u64,
    pub avg_wait_s: f64,
    /// Average handle time (answer + handle + wrap-up), seconds, once known: the
    /// moving average the estimates and Erlang C use.
    pub avg_handle_s: Option<f64>,
    /// The services that ended today, their average duration (answer to end), seconds.
    pub avg_handle_s_today: Option<f64>,
    /// Customers joining per hour (a moving average of the gaps between joins, or the
    /// time since the last one when that is longer), once two have joined.
    pub arrivals_per_hour: Option<f64>,
    /// Agents this load needs for the service-level target (Erlang C), once both the
    /// arrival rate and the handle time are known.
    pub agents_needed: Option<u32>,
    pub agents_available: u32,
    /// What a customer joining now would be told (seconds).
    pub estimated_wait_s: Option<u32>,
}

/// A wallboard frame: every queue; every agent in the first frame a subscriber gets
/// (`full`), none in the later ones (each agent's change reaches the same subscribers as
/// an AgentStatusChanged notice, so repeating every agent each second would only cost).
#[derive(Clone, Debug, PartialEq)]
pub struct Wallboard {
    pub time: Time,
    pub full: bool,
    pub queues: Vec<WallboardQueue>,
    pub agents: Vec<AgentStateView>,
}

/// Subscribers, and what is due, per app; arrival rates per queue.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct WallBook {
    pub subscribers: BTreeMap<u32, BTreeSet<SessionId>>,
    pub dirty: BTreeSet<u32>,
    pub sent_at: BTreeMap<u32, Time>,
    /// Apps with a Timer::Wallboard pending, and when.
    pub scheduled: BTreeMap<u32, Time>,
    /// Per queue: the last arrival, the average gap (ms) and how many gaps were seen.
    pub arrivals: BTreeMap<QueueId, (Time, u64, u64)>,
    /// Per queue: the day (in the app's local time) and its figures that day.
    #[serde(default)]
    pub today: BTreeMap<QueueId, (i64, QueueInterval)>,
    /// Per app and agent: the day and the customers it took that day.
    #[serde(default)]
    pub served_today: BTreeMap<(u32, Name), (i64, u64)>,
}

impl Engine {
    /// SubscribeWallboard: a frame now, then one after each change (at most once per
    /// interval) until Unsubscribe or the session's end.
    pub(crate) fn subscribe_wallboard(&mut self, sid: SessionId) {
        let app = self.sessions[&sid].app;
        self.wall_book.subscribers.entry(app).or_default().insert(sid);
        let frame = self.wallboard(app, true);
        self.notify(sid, Notice::Wallboard(Box::new(frame)));
    }

    pub(crate) fn unsubscribe_wallboard(&mut self, sid: SessionId, app: u32) {
        if let Some(s) = self.wall_book.subscribers.get_mut(&app) {
            s.remove(&sid);
            if s.is_empty() {
                self.wall_book.subscribers.remove(&app);
                self.wall_book.dirty.remove(&app);
            }
        }
    }

    /// Something on the app's wallboard changed.
    pub(crate) fn touch_wallboard(&mut self, app: u32) {
        if self.wall_book.subscribers.contains_key(&app) {
            self.wall_book.dirty.insert(app);
        }
    }

    /// A customer joined `queue`: its arrival rate moves (the first arrival only starts
    /// the clock; arrivals in the same millisecond count as gaps of 0).
    pub(crate) fn count_arrival(&mut self, queue: QueueId) {
        let now = self.now;
        match self.wall_book.arrivals.get_mut(&queue) {
            None => {
                self.wall_book.arrivals.insert(queue, (now, 0, 0));
            }
            Some(e) => {
                let gap = now.millis_since(e.0);
                e.2 += 1;
                let n = e.2.min(ARRIVAL_WINDOW);
                e.1 = if gap >= e.1 { e.1 + (gap - e.1) / n } else { e.1 - (e.1 - gap) / n };
                e.0 = now;
            }
        }
    }

    /// The end of a step: frames for the apps due; a timer for those changed too soon.
    pub(crate) fn flush_wallboards(&mut self) {
        if self.wall_book.dirty.is_empty() {
            return;
        }
        let now = self.now;
        for app in std::mem::take(&mut self.wall_book.dirty) {
            let due = self.wall_book.sent_at.get(&app).map_or(now, |t| t.plus_millis(INTERVAL_MS));
            if due > now {
                self.wall_book.dirty.insert(app);
                if !self.wall_book.scheduled.contains_key(&app) {
                    self.wall_book.scheduled.insert(app, due);
                    self.timers.insert(due, Timer::Wallboard(app));
                }
                continue;
            }
            self.wall_book.sent_at.insert(app, now);
            let frame = Box::new(self.wallboard(app, false));
            let to: Vec<SessionId> = self.wall_book.subscribers.get(&app).into_iter().flatten().copied().collect();
            for sid in to {
                if self.sessions.get(&sid).is_some_and(|s| s.online) {
                    self.notify(sid, Notice::Wallboard(frame.clone()));
                }
            }
        }
    }

    /// The day it is now in the app's local time (days since 1970-01-01 there).
    pub(crate) fn day_of(&self, app: u32) -> i64 {
        self.day_at(app, self.now)
    }

    fn day_at(&self, app: u32, t: Time) -> i64 {
        let offset = self.agent_book.policies.get(&app).map_or(0, |p| p.utc_offset_min);
        (t.as_millis() as i64 + i64::from(offset) * 60_000).div_euclid(86_400_000)
    }

    /// Today's figures of `queue`, started afresh on a new day.
    pub(crate) fn queue_today(&mut self, queue: QueueId) -> &mut QueueInterval {
        let day = self.day_of(self.queues.get(&queue).map_or(0, |q| q.app));
        let e = self.wall_book.today.entry(queue).or_insert_with(|| (day, QueueInterval::new(queue)));
        if e.0 != day {
            *e = (day, QueueInterval::new(queue));
        }
        &mut e.1
    }

    /// The agent of `sid` took a customer: one more today.
    pub(crate) fn count_served_today(&mut self, sid: SessionId) {
        let s = &self.sessions[&sid];
        let (app, key) = (s.app, (s.app, s.user_id.clone()));
        let day = self.day_of(app);
        let e = self.wall_book.served_today.entry(key).or_insert((day, 0));
        if e.0 != day {
            *e = (day, 0);
        }
        e.1 += 1;
    }

    /// The customers `user_id` of `app` took today.
    pub(crate) fn served_today(&self, app: u32, user_id: &Name) -> u64 {
        match self.wall_book.served_today.get(&(app, user_id.clone())) {
            Some((day, n)) if *day == self.day_of(app) => *n,
            _ => 0,
        }
    }

    /// A report interval ended: forgets the days that are over (the counters of agents
    /// who went), and the boards of apps whose day just began show the new day.
    pub(crate) fn forget_past_days(&mut self) {
        let today: BTreeMap<u32, i64> = (0..self.apps.len() as u32).map(|app| (app, self.day_of(app))).collect();
        self.wall_book.served_today.retain(|(app, _), (day, _)| today.get(app) == Some(day));
        let before = Time::from_millis(self.now.as_millis().saturating_sub(1));
        let began: Vec<u32> = self
            .wall_book
            .subscribers
            .keys()
            .copied()
            .filter(|app| self.day_at(*app, before) != self.day_at(*app, self.now))
            .collect();
        for app in began {
            self.touch_wallboard(app);
        }
    }

    /// The app's wallboard timer fired: what is dirty goes out at the step's end.
    pub(crate) fn wallboard_due(&mut self, app: u32) {
        self.wall_book.scheduled.remove(&app);
    }

    /// The whole wallboard of `app` now, by the app's name.
    pub fn wallboard_of(&self, app: &str) -> Option<Wallboard> {
        self.app_ix.get(app).map(|&ix| self.wallboard(ix, true))
    }

    /// The app's wallboard now; its agents too when `full`.
    pub(crate) fn wallboard(&self, app: u32, full: bool) -> Wallboard {
        let mut queues: Vec<QueueId> = self.apps[app as usize].queues.iter().copied().collect();
        queues.sort();
        let sl_s = self.settings_of_app(app).service_level_s;
        let target = f64::from(self.agent_book.policies.get(&app).map_or(80, |p| p.service_level_target_pct)) / 100.0;
        let queues = queues
            .into_iter()
            .filter_map(|queue| {
                let stats = self.queue_stats(queue)?;
                let day = self.day_of(app);
                let today = self.wall_book.today.get(&queue).filter(|t| t.0 == day).map(|t| &t.1);
                let (served, within, abandoned, wait_ms) =
                    today.map_or((0, 0, 0, 0), |t| (t.answered, t.answered_within_sl, t.abandoned, t.wait_ms_answered));
                let avg_handle_s_today =
                    today.filter(|t| t.handled > 0).map(|t| t.handle_ms as f64 / t.handled as f64 / 1000.0);
                let q = &self.queues[&queue];
                let mut agents = [0u32; 5];
                for sid in q.agents.keys() {
                    let slot = match self.agent_state_view(*sid).map(|v| v.state) {
                        Some(AgentState::Idle) => 0,
                        Some(AgentState::Busy) => 1,
                        Some(AgentState::WrapUp) => 2,
                        Some(AgentState::NotReady) => 3,
                        _ => 4,
                    };
                    agents[slot] += 1;
                }
                let handle = self.wait_book.handle.get(&queue).filter(|h| h.samples > 0);
                let avg_handle_s =
                    handle.map(|h| (h.answer_ms + h.avg_ms + 1000 * u64::from(q.def.wrapup_s)) as f64 / 1000.0);
                // A quiet queue's rate falls: the gap since the last arrival counts once it
                // is longer than the average.
                let arrivals_per_hour = self
                    .wall_book
                    .arrivals
                    .get(&queue)
                    .filter(|a| a.2 > 0)
                    .map(|a| a.1.max(self.now.millis_since(a.0)).max(1))
                    .map(|gap| 3_600_000.0 / gap as f64);
                let agents_needed = match (arrivals_per_hour, avg_handle_s) {
                    (Some(rate), Some(aht)) => crate::erlang::agents_needed(rate, aht, target, f64::from(sl_s)),
                    _ => None,
                };
                let position = q.waiting.len() as u32;
                Some(WallboardQueue {
                    queue,
                    waiting: stats.waiting,
                    longest_wait_s: stats.longest_waiting_s,
                    agents,
                    service_level: if served == 0 { 1.0 } else { within as f64 / served as f64 },
                    served,
                    abandoned,
                    avg_wait_s: if served == 0 { 0.0 } else { wait_ms as f64 / served as f64 / 1000.0 },
                    avg_handle_s,
                    avg_handle_s_today,
                    arrivals_per_hour,
                    agents_needed,
                    agents_available: stats.agents_available,
                    estimated_wait_s: Engine::estimate_for(self.wait_basis(queue), position, false),
                })
            })
            .collect();
        let mut agents: Vec<SessionId> = Vec::new();
        if full {
            agents =
                self.sessions.iter().filter(|(_, s)| s.app == app && s.agent.is_some()).map(|(sid, _)| *sid).collect();
            agents.sort();
        }
        let agents = agents.into_iter().filter_map(|sid| self.agent_state_view(sid)).collect();
        Wallboard { time: self.now, full, queues, agents }
    }
}
