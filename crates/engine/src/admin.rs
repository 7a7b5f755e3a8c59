//! Administration of apps and queues: create, modify and delete, with the checks that
//! keep names unique and values in range.

use std::sync::Arc;

use crate::engine::Engine;
use crate::error::AcdError;
use crate::ids::{QueueId, SessionId};
use crate::model::{AppSettings, QueueChange, QueueDef, QueueInfo};
use crate::output::{CancelReason, EndReason, EventKind, EventSource, Notice, QueueChangeKind, AgentStatus};
use crate::state::{App, Queue};
use crate::stats::{Counters, WaitEnd};

impl Engine {
    pub(crate) fn put_app(&mut self, name: Arc<str>, settings: AppSettings) -> Result<(), AcdError> {
        settings.validate()?;
        if name.is_empty() || name.len() > 64 {
            return Err(AcdError::invalid("app", "must be 1 to 64 characters"));
        }
        match self.app_ix.get(&name) {
            Some(&ix) => {
                self.apps[ix as usize].settings = settings;
                // The service level's threshold shapes the boards' "agents needed".
                self.touch_wallboard(ix);
            }
            None => {
                self.app_ix.insert(name.clone(), self.apps.len() as u32);
                self.apps.push(App {
                    name,
                    settings,
                    queue_names: Default::default(),
                    queues: Default::default(),
                    users: Default::default(),
                    watchers: Default::default(),
                    last_event_id: 0,
                });
            }
        }
        Ok(())
    }

    pub(crate) fn create_queue(
        &mut self,
        app: &str,
        id: Option<QueueId>,
        def: QueueDef,
    ) -> Result<QueueInfo, AcdError> {
        let ix = self.app_index(app)?;
        def.validate()?;
        if self.apps[ix as usize].queue_names.contains_key(&def.name) {
            return Err(AcdError::QueueNameExists(def.name.to_string()));
        }
        let taken = |e: &Engine, id: QueueId| {
            id.0 == 0 || e.queues.contains_key(&id) || e.services.values().any(|s| s.queue == id)
        };
        let id = match id {
            Some(id) if taken(self, id) => return Err(AcdError::invalid("QueueID", format!("{id} is already taken"))),
            Some(id) => id,
            None => {
                let mut n = self.next_queue;
                while taken(self, QueueId(n)) {
                    n = n.checked_add(1).ok_or_else(|| AcdError::invalid("QueueID", "no queue ids left"))?;
                }
                QueueId(n)
            }
        };
        self.next_queue = self.next_queue.max(id.0.saturating_add(1));
        let app = &mut self.apps[ix as usize];
        app.queue_names.insert(def.name.clone(), id);
        app.queues.insert(id);
        self.queues.insert(
            id,
            Queue {
                app: ix,
                def: def.clone(),
                waiting: Default::default(),
                ready: Default::default(),
                agents: Default::default(),
                free_agents: Default::default(),
                in_service: 0,
                closing: false,
                counters: Counters::default(),
                notices: Default::default(),
            },
        );
        let info = QueueInfo { queue: id, def };
        self.tell_watchers(ix, Notice::QueueInfoChanged(info.clone()));
        self.touch_status(id);
        Ok(info)
    }

    pub(crate) fn modify_queue(
        &mut self,
        app: &str,
        id: QueueId,
        change: QueueChange,
    ) -> Result<QueueInfo, AcdError> {
        let ix = self.app_index(app)?;
        let queue = self.queues.get(&id).filter(|q| q.app == ix).ok_or(AcdError::QueueInvalid(id))?;
        let old_name = queue.def.name.clone();
        let def = change.apply_to(&queue.def);
        def.validate()?;
        let app = &mut self.apps[ix as usize];
        if def.name != old_name {
            if app.queue_names.contains_key(&def.name) {
                return Err(AcdError::QueueNameExists(def.name.to_string()));
            }
            app.queue_names.remove(&old_name);
            app.queue_names.insert(def.name.clone(), id);
        }
        let queue = self.queues.get_mut(&id).expect("checked above");
        // A new priority applies from the next dispatch: nothing waits on a free agent.
        queue.def = def.clone();
        let info = QueueInfo { queue: id, def };
        self.tell_watchers(ix, Notice::QueueInfoChanged(info.clone()));
        self.touch_status(id);
        Ok(info)
    }

    pub(crate) fn delete_queue(&mut self, app: &str, id: QueueId) -> Result<(), AcdError> {
        let ix = self.app_index(app)?;
        if !self.queues.get(&id).is_some_and(|q| q.app == ix) {
            return Err(AcdError::QueueInvalid(id));
        }
        // Nothing is offered from a queue being deleted.
        let queue = self.queues.get_mut(&id).expect("checked above");
        queue.closing = true;
        let agents: Vec<SessionId> = self.queues[&id].agents.keys().copied().collect();
        for sid in agents {
            if self.drop_service_of_queue(sid, id, CancelReason::ServiceStopped) {
                self.agent_status_event(sid, AgentStatus::LoggedOut, EventSource::Api, vec![id]);
            }
            self.notify(sid, Notice::ServiceStopped { queue: id });
        }
        let customers: Vec<SessionId> = self.queues[&id].waiting.values().copied().collect();
        for sid in customers {
            self.leave_queue(sid, QueueChangeKind::Removed, EndReason::Cancel, WaitEnd::Uncounted);
            self.notify(sid, Notice::QueuingEnded { queue: id, reason: EndReason::Cancel });
        }
        let queue = self.queues.remove(&id).expect("checked above");
        let app = &mut self.apps[ix as usize];
        app.queue_names.remove(&queue.def.name);
        app.queues.remove(&id);
        if let Some(at) = queue.notices.timer {
            self.timers.remove(at, crate::timers::Timer::Flush(id));
        }
        // Its averages go with it (an id used again starts afresh); boards drop its row.
        self.wait_book.handle.remove(&id);
        self.wall_book.arrivals.remove(&id);
        self.wall_book.today.remove(&id);
        self.forget_queue_routing(id);
        self.forget_queue_requirement(id);
        self.touch_wallboard(ix);
        self.tell_watchers(ix, Notice::QueueRemoved { queue: id });
        Ok(())
    }

    /// InitQueueDat: the session gets every queue's status from now on.
    pub(crate) fn watch_all_queues(&mut self, sid: SessionId) {
        let session = self.sessions.get_mut(&sid).expect("checked by caller");
        session.watch_all = true;
        let app = session.app;
        self.apps[app as usize].watchers.insert(sid);
    }

    /// Sends `notice` to every online session of the app that watches all queues.
    pub(crate) fn tell_watchers(&mut self, app: u32, notice: Notice) {
        let watchers: Vec<SessionId> = self.apps[app as usize]
            .watchers
            .iter()
            .copied()
            .filter(|s| self.sessions.get(s).is_some_and(|s| s.online))
            .collect();
        for sid in watchers {
            self.notify(sid, notice.clone());
        }
    }

    /// Emits the agent login/logout event of the seed-001 family.
    pub(crate) fn agent_status_event(
        &mut self,
        sid: SessionId,
        status: AgentStatus,
        source: EventSource,
        queues: Vec<QueueId>,
    ) {
        let session = &self.sessions[&sid];
        let kind = EventKind::AgentStatus { user_id: session.user_id.clone(), status, source, queues };
        let app = session.app;
        self.emit(app, kind);
    }
}
