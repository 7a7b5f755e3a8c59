//! Property tests: random command sequences against a reference model.
//!
//! Three agents and six customers work three queues (prio 1, 5 and 5; one with
//! wrap-up, one with max_wait). Each case logs everyone in and has each agent serve two
//! queues (capacities 1, 2 and 3), then runs up to 60 random commands: service,
//! queuing, answers to pending offers, DND, capacity, manual takes, finishing, drops,
//! reconnects, logouts and time jumps; re-offer delay 0 or 10 s. The harness checks the
//! engine's own invariants after every step. The model below is rebuilt from the
//! outputs alone and checks, at every offer or take:
//!
//! - no customer is offered to two agents at once, nor offered while served;
//! - no agent holds more offers plus services than its capacity;
//! - only online, non-DND agents out of wrap-up get automatic offers, and only from
//!   queues they serve, of online customers;
//! - the customer offered or taken by ReqAssignUser is the agent's best candidate:
//!   smallest queue prio, then earliest enqueue, skipping customers that agent declined
//!   within the re-offer delay (FIFO within a queue, priority across queues);
//! - every offer ends within the offer timeout, and a timeout comes exactly then.
//!
//! Skills: the app has skills `lang.en` and `lang.fr`; gold requires
//! `lang[customer.lang] >= 5`, relaxed every 40 s (step 1: level 2; step 2: anyone).
//! Customers bring `lang` = en, fr or de (de is no skill: only step 2 serves it);
//! random commands set agents' levels. The best candidate skips customers the agent
//! does not meet at the offer's time.
//!
//! After every step it also checks that no model-free agent is idle while one of its
//! candidates waits, and that the engine's views (agents, queuing info, positions)
//! agree with the model.
//!
//! The ACD life cycle is rebuilt from the events too: a take is the 506 queue change,
//! by the agent of the customer's latest waiting->calling step; every task starts
//! pending->waiting, moves only from the phase it is in, completes exactly once, and a
//! customer has at most one open task. A taken customer's task stays calling until its
//! service call is answered (success, talk time = answer), fails (call_fail, or hangup
//! when the customer hung up), or the service ends (finished: success from the take;
//! customer left: hangup; agent left: cancel).
//!
//! Calls: random Call / CallCustomer (an agent calls one of its customers) / AcceptCall
//! / RejectCall / HangupCall / HoldCall / EnterMeeting between all sessions. Each
//! request's outcome is predicted from the model (600, 601, 602, 603, 605, 5). From the
//! outputs: every call event reaches both parties and then the business stream, with
//! event ids strictly increasing; a call's events follow its grammar ([incoming]
//! ringing, answer once, onhold/resume alternating after it, join, then both parties'
//! hangups and the conversation's); the fields (caller_id_num, active_num, dialout,
//! agent_id, queue) match the parties and the service; a 604 comes exactly at the call
//! timeout and no call rings longer; the end of a service's call ends that service
//! (ServiceFinished CallEnded) in the same step; a session that ends is in no call; and
//! GetSessionInfo agrees with the model.

mod common;

use std::collections::BTreeMap;

use common::*;
use lineup_engine::{
    AcdError, AcdPhase, AppSettings, CallEvent, CallEventKind, CallSource, CancelReason, EndReason, EventKind, Input,
    Notice, Output, QueueChangeKind, QueueDef, QueueId, QueuingInfo, Reply, Request, ServiceEnd, SessionId,
    SessionInfo, TaskId, Time,
};
use proptest::prelude::*;

const AGENTS: usize = 3;
const CUSTOMERS: usize = 6;
const USERS: usize = AGENTS + CUSTOMERS;
const QUEUES: usize = 3;
const OFFER_TIMEOUT_S: u32 = 20;
const HOLD_S: u32 = 45;
const WRAPUP_S: u32 = 3;
const CALL_TIMEOUT_S: u32 = 15;
const RELAX_S: u64 = 40;

/// The call commands: `Call` (`from` opens a room and calls `to` into it),
/// `CallCustomer` (the agent calls one of the customers it serves, if any), `AnswerCall`
/// (a callee, the next one with a ringing call, accepts or rejects), `Hangup` (a party,
/// the next one in a call), `Hold` (a party, the next one in an answered call, holds or
/// resumes) and `EnterRoom` (a party enters the room of its call).
#[derive(Clone, Debug)]
enum Cmd {
    Login(usize),
    StartService {
        agent: usize,
        queue: usize,
        priority: u16,
    },
    StopService {
        agent: usize,
        queue: usize,
    },
    StartQueuing {
        customer: usize,
        queue: usize,
    },
    /// The backend sets the agent's levels in lang.en and lang.fr.
    SetSkills {
        agent: usize,
        en: u8,
        fr: u8,
    },
    StopQueuing {
        customer: usize,
    },
    Accept {
        agent: usize,
        pick: usize,
    },
    Reject {
        agent: usize,
        pick: usize,
    },
    SetDnd {
        agent: usize,
        on: bool,
    },
    SetCapacity {
        agent: usize,
        capacity: u16,
    },
    ReqAssign {
        agent: usize,
    },
    ReqAssign2 {
        agent: usize,
        customer: usize,
    },
    Finish {
        agent: usize,
        pick: usize,
    },
    Disconnect(usize),
    Reconnect(usize),
    Logout(usize),
    Advance(u64),
    Call {
        from: usize,
        to: usize,
    },
    CallCustomer {
        agent: usize,
        pick: usize,
    },
    AnswerCall {
        user: usize,
        accept: bool,
    },
    Hangup {
        user: usize,
    },
    Hold {
        user: usize,
        on: bool,
    },
    EnterRoom {
        user: usize,
    },
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let agent = 0..AGENTS;
    let customer = AGENTS..USERS;
    let queue = 0..QUEUES;
    prop_oneof![
        2 => (0..USERS).prop_map(Cmd::Login),
        5 => (agent.clone(), queue.clone(), prop::sample::select(vec![0u16, 1, 5]))
            .prop_map(|(agent, queue, priority)| Cmd::StartService { agent, queue, priority }),
        1 => (agent.clone(), queue.clone()).prop_map(|(agent, queue)| Cmd::StopService { agent, queue }),
        8 => (customer.clone(), queue).prop_map(|(customer, queue)| Cmd::StartQueuing { customer, queue }),
        1 => customer.clone().prop_map(|customer| Cmd::StopQueuing { customer }),
        8 => (agent.clone(), 0..4usize).prop_map(|(agent, pick)| Cmd::Accept { agent, pick }),
        3 => (agent.clone(), 0..4usize).prop_map(|(agent, pick)| Cmd::Reject { agent, pick }),
        2 => (agent.clone(), any::<bool>()).prop_map(|(agent, on)| Cmd::SetDnd { agent, on }),
        2 => (agent.clone(), 1..=3u16).prop_map(|(agent, capacity)| Cmd::SetCapacity { agent, capacity }),
        3 => agent.clone().prop_map(|agent| Cmd::ReqAssign { agent }),
        2 => (agent.clone(), customer).prop_map(|(agent, customer)| Cmd::ReqAssign2 { agent, customer }),
        4 => (agent, 0..4usize).prop_map(|(agent, pick)| Cmd::Finish { agent, pick }),
        1 => (0..USERS).prop_map(Cmd::Disconnect),
        2 => (0..USERS).prop_map(Cmd::Reconnect),
        1 => (0..USERS).prop_map(Cmd::Logout),
        4 => prop::sample::select(vec![100u64, 1_000, 3_000, 5_000, 10_000, 21_000, 50_000]).prop_map(Cmd::Advance),
        2 => (0..USERS, 0..USERS).prop_map(|(from, to)| Cmd::Call { from, to }),
        8 => (0..AGENTS, 0..4usize).prop_map(|(agent, pick)| Cmd::CallCustomer { agent, pick }),
        7 => (0..USERS, prop::sample::select(vec![true, true, true, false]))
            .prop_map(|(user, accept)| Cmd::AnswerCall { user, accept }),
        3 => (0..USERS).prop_map(|user| Cmd::Hangup { user }),
        1 => (0..USERS, any::<bool>()).prop_map(|(user, on)| Cmd::Hold { user, on }),
        1 => (0..USERS).prop_map(|user| Cmd::EnterRoom { user }),
        2 => (0..AGENTS, prop::sample::select(vec![0u8, 2, 5, 9]), prop::sample::select(vec![0u8, 2, 5, 9]))
            .prop_map(|(agent, en, fr)| Cmd::SetSkills { agent, en, fr }),
    ]
}

// ---- the model ----

#[derive(Default)]
struct User {
    uid: String,
    session: Option<SessionId>,
    online: bool,
    /// The call this user is in (by id).
    call: Option<String>,
    /// The last call event id this user's page got.
    last_event_id: u64,
}

#[derive(Default)]
struct AgentModel {
    serving: BTreeMap<QueueId, u16>,
    capacity: u16,
    dnd: bool,
    /// (customer, queue, offered at)
    offers: Vec<(usize, QueueId, Time)>,
    /// (customer, queue)
    services: Vec<(usize, QueueId)>,
    wrapup_until: Option<Time>,
}

impl AgentModel {
    fn fresh() -> Self {
        AgentModel { capacity: 1, ..Default::default() }
    }
    fn load(&self) -> usize {
        self.offers.len() + self.services.len()
    }
}

#[derive(Default)]
struct CustomerModel {
    /// (queue, enqueue order)
    queued: Option<(QueueId, u64)>,
    /// When it entered its queue (its requirement relaxes from then).
    entered_at: Option<Time>,
    offered_to: Option<usize>,
    /// (agent, until)
    declined: Vec<(usize, Time)>,
    served_by: Option<usize>,
    /// The agent of the latest waiting->calling step (offer or manual take).
    calling_agent: Option<usize>,
    /// The open ACD task (at most one).
    task: Option<TaskId>,
    /// The serial of the service this customer receives (model-wide, never reused).
    service_id: Option<u64>,
    /// While served: when it was taken, and whether its task is still open.
    service_start: Option<Time>,
    service_task_open: bool,
    /// A completion during the service that no call explains: checked against the
    /// ServiceFinished reason that must follow.
    completion_to_check: Option<(Option<EndReason>, Option<Time>)>,
}

struct CallModel {
    caller: usize,
    callee: usize,
    room: u32,
    started: Time,
    answered: bool,
    held: bool,
    /// (agent, customer, service serial) when the call is a service's conversation.
    service: Option<(usize, usize, u64)>,
    /// Who got NotifyCallHungup.
    told_hungup: Option<usize>,
    last_kind: Option<CallEventKind>,
    /// The agent side, if any.
    agent: Option<usize>,
    /// Parties whose hangup event came, in order.
    hangups: Vec<usize>,
    /// NotifyCallRejected's error, when the call was refused or not answered.
    rejected: Option<u32>,
}

struct Model {
    users: Vec<User>,
    agents: Vec<AgentModel>,
    customers: Vec<CustomerModel>,
    /// (id, prio, wrapup_s)
    queues: Vec<(QueueId, u8, u32)>,
    reoffer_delay_s: u32,
    /// Agents' levels in lang.en and lang.fr.
    levels: Vec<[u8; 2]>,
    next_order: u64,
    /// Counts of what happened, to make sure the cases exercise something.
    offers_made: usize,
    /// Offers that passed over an earlier customer the agent did not meet, and offers of
    /// a "de" customer from gold (possible only at the last relaxation step).
    skill_skips: usize,
    relaxed_offers: usize,
    takes: usize,
    timeouts: usize,
    capacity_cuts: usize,
    /// Every task seen: (customer, latest phase).
    tasks: BTreeMap<TaskId, (usize, AcdPhase)>,
    calls: BTreeMap<String, CallModel>,
    /// The last call event id of the app's business stream.
    last_event_id: u64,
    /// CallEvent notices of the event being emitted (to both parties, then the business event).
    pending_call_notices: Vec<(usize, CallEvent)>,
    /// A service call was just answered: (customer, time).
    just_answered: Option<(usize, Time)>,
    /// A service call just ended unanswered: (customer, expected reason, time).
    just_failed: Option<(usize, EndReason, Time)>,
    /// Services whose call ended: ServiceFinished CallEnded must follow in the step.
    expect_service_end: Vec<(usize, usize)>,
    /// A Call request succeeded: (call id, caller, callee); NotifyCallIn must follow.
    expect_call_in: Option<(String, usize, usize)>,
    next_service: u64,
    calls_made: usize,
    calls_answered: usize,
    calls_rejected: usize,
    calls_unanswered: usize,
    service_calls: usize,
    service_call_ends: usize,
    completions: BTreeMap<&'static str, usize>,
}

impl Model {
    fn user_of(&self, session: SessionId) -> usize {
        self.users
            .iter()
            .position(|u| u.session == Some(session))
            .unwrap_or_else(|| panic!("unknown session {session:?}"))
    }
    fn user_by_id(&self, uid: &str) -> usize {
        self.users.iter().position(|u| u.uid == uid).unwrap_or_else(|| panic!("unknown user {uid}"))
    }
    fn customer(&mut self, user: usize) -> &mut CustomerModel {
        assert!(user >= AGENTS, "user {user} is not a customer");
        &mut self.customers[user - AGENTS]
    }
    fn cust(&self, user: usize) -> &CustomerModel {
        &self.customers[user - AGENTS]
    }
    fn prio(&self, q: QueueId) -> u8 {
        self.queues.iter().find(|x| x.0 == q).unwrap().1
    }
    fn wrapup(&self, q: QueueId) -> u32 {
        self.queues.iter().find(|x| x.0 == q).unwrap().2
    }

    /// The customer this agent should get next at time `t`, by the matching rule.
    fn best_for(&self, agent: usize, t: Time) -> Option<usize> {
        let a = &self.agents[agent];
        (AGENTS..USERS)
            .filter_map(|u| {
                let c = self.cust(u);
                let (q, order) = c.queued?;
                let ready = self.users[u].online && c.offered_to.is_none() && a.serving.contains_key(&q);
                let declined = c.declined.iter().any(|(x, until)| *x == agent && *until > t);
                (ready && !declined && self.meets(agent, u, t)).then_some(((self.prio(q), order), u))
            })
            .min()
            .map(|(_, u)| u)
    }

    /// Gold's requirement, `lang[customer.lang] >= 5` relaxed every RELAX_S: customer k
    /// speaks en, fr or de (k % 3; de is no skill of the app, so only step 2 serves it);
    /// step 1 needs level 2.
    fn meets(&self, agent: usize, customer: usize, t: Time) -> bool {
        let c = self.cust(customer);
        let Some((q, _)) = c.queued else { return false };
        if q != self.queues[0].0 {
            return true;
        }
        let waited = t.as_millis() - c.entered_at.expect("entered").as_millis();
        let step = (waited / (RELAX_S * 1000)).min(2);
        let lang = (customer - AGENTS) % 3;
        match step {
            2.. => true,
            _ if lang == 2 => false,
            step => self.levels[agent][lang] >= if step == 0 { 5 } else { 2 },
        }
    }

    fn is_free(&self, agent: usize, t: Time) -> bool {
        let a = &self.agents[agent];
        self.users[agent].session.is_some()
            && self.users[agent].online
            && !a.dnd
            && a.wrapup_until.is_none_or(|w| t >= w)
            && a.load() < a.capacity as usize
            && !a.serving.is_empty()
    }

    /// Applies one output, checking the offer and take rules on the way.
    fn apply(&mut self, t: Time, output: &Output) {
        match output {
            Output::Notify { session, notice } => {
                let to = self.user_of(*session);
                match notice {
                    Notice::AutoAssignUser(user) => {
                        let c = self.user_by_id(&user.user_id);
                        let cm = self.cust(c);
                        assert_eq!(cm.offered_to, None, "{} offered to two agents at once", user.user_id);
                        assert_eq!(cm.served_by, None, "{} offered while served", user.user_id);
                        assert_eq!(
                            cm.queued.map(|x| x.0),
                            Some(user.queue),
                            "{} offered from a queue it is not in",
                            user.user_id
                        );
                        assert!(self.users[c].online, "offline customer {} offered", user.user_id);
                        assert!(to < AGENTS, "offer sent to a non-agent");
                        assert!(
                            self.is_free(to, t),
                            "agent {} not free (load {}, cap {}, dnd {}, online {}, wrapup {:?}) got an offer at {t:?}",
                            self.users[to].uid,
                            self.agents[to].load(),
                            self.agents[to].capacity,
                            self.agents[to].dnd,
                            self.users[to].online,
                            self.agents[to].wrapup_until
                        );
                        assert_eq!(
                            self.best_for(to, t),
                            Some(c),
                            "FIFO/priority: {} offered {} from queue {:?} but the best candidate differs",
                            self.users[to].uid,
                            user.user_id,
                            user.queue
                        );
                        // Skipped: an earlier customer of gold this agent does not meet.
                        let skipped = (AGENTS..USERS).any(|u| {
                            let (cm, mine) = (self.cust(u), self.cust(c).queued.map(|q| q.1).unwrap_or(0));
                            cm.queued.is_some_and(|(q, order)| q == self.queues[0].0 && order < mine)
                                && self.users[u].online
                                && cm.offered_to.is_none()
                                && !self.meets(to, u, t)
                        });
                        self.skill_skips += usize::from(skipped);
                        self.relaxed_offers += usize::from(user.queue == self.queues[0].0 && (c - AGENTS) % 3 == 2);
                        self.customer(c).offered_to = Some(to);
                        self.agents[to].offers.push((c, user.queue, t));
                        self.offers_made += 1;
                    }
                    Notice::CancelAssignUser { queue, user_id, reason } => {
                        let c = self.user_by_id(user_id);
                        assert_eq!(self.cust(c).offered_to, Some(to), "cancel of an offer that is not pending");
                        let ix = self.agents[to].offers.iter().position(|o| o.0 == c).expect("the agent has it");
                        let (_, q, since) = self.agents[to].offers.remove(ix);
                        assert_eq!(q, *queue);
                        self.customer(c).offered_to = None;
                        if *reason == CancelReason::Timeout {
                            assert_eq!(
                                t.millis_since(since),
                                u64::from(OFFER_TIMEOUT_S) * 1000,
                                "timeout at the wrong time"
                            );
                            self.decline(c, to, t);
                            self.timeouts += 1;
                        }
                    }
                    Notice::ServiceFinished { queue, agent_id, customer_id, reason }
                        if **agent_id == *self.users[to].uid =>
                    {
                        let c = self.user_by_id(customer_id);
                        let ix =
                            self.agents[to].services.iter().position(|s| *s == (c, *queue)).expect("a known service");
                        self.agents[to].services.remove(ix);
                        assert_eq!(self.cust(c).served_by, Some(to));
                        assert!(!self.cust(c).service_task_open, "{customer_id}: service ended with its task open");
                        let start = self.cust(c).service_start;
                        if let Some(done) = self.customer(c).completion_to_check.take() {
                            let expected = match reason {
                                ServiceEnd::Finished => (Some(EndReason::Success), start),
                                ServiceEnd::CustomerLeft => (Some(EndReason::Hangup), None),
                                ServiceEnd::AgentLeft => (Some(EndReason::Cancel), None),
                                ServiceEnd::CallEnded => {
                                    panic!("{customer_id}: CallEnded, but no call explains its task's end")
                                }
                            };
                            assert_eq!(done, expected, "{customer_id}: task end (reason, talk time) for {reason:?}");
                        }
                        if *reason == ServiceEnd::CallEnded {
                            let ix =
                                self.expect_service_end.iter().position(|x| *x == (to, c)).unwrap_or_else(|| {
                                    panic!("{customer_id}: service ended by a call that did not end")
                                });
                            self.expect_service_end.remove(ix);
                        }
                        let cm = self.customer(c);
                        cm.served_by = None;
                        cm.service_start = None;
                        cm.service_id = None;
                        let w = self.wrapup(*queue);
                        if w > 0 && *reason != ServiceEnd::AgentLeft {
                            let until = t.plus_secs(w.into());
                            let a = &mut self.agents[to];
                            a.wrapup_until = Some(a.wrapup_until.map_or(until, |o| o.max(until)));
                        }
                    }
                    Notice::NotifyCallIn { call, meeting, caller_id, .. } => {
                        let caller = self.user_by_id(caller_id);
                        let expected = self.expect_call_in.take().expect("NotifyCallIn without a successful Call");
                        assert_eq!(expected, (call.to_string(), caller, to), "NotifyCallIn of another call");
                        assert!(!self.calls.contains_key(call.as_str()), "call id {call} used twice at once");
                        assert!(
                            self.users[caller].call.is_none() && self.users[to].call.is_none(),
                            "a party of {call} is already in a call"
                        );
                        let serves = |u: usize| u < AGENTS && !self.agents[u].serving.is_empty();
                        let service_of = |a: usize, c: usize| {
                            (a < AGENTS && c >= AGENTS && self.agents[a].services.iter().any(|s| s.0 == c))
                                .then(|| (a, c, self.cust(c).service_id.expect("served")))
                        };
                        let service = service_of(caller, to).or_else(|| service_of(to, caller));
                        let agent = service
                            .map(|s| s.0)
                            .or_else(|| serves(caller).then_some(caller))
                            .or_else(|| serves(to).then_some(to));
                        self.calls.insert(
                            call.to_string(),
                            CallModel {
                                caller,
                                callee: to,
                                room: meeting.id,
                                started: t,
                                answered: false,
                                held: false,
                                service,
                                told_hungup: None,
                                last_kind: None,
                                agent,
                                hangups: Vec::new(),
                                rejected: None,
                            },
                        );
                        self.users[caller].call = Some(call.to_string());
                        self.users[to].call = Some(call.to_string());
                        self.calls_made += 1;
                        self.service_calls += usize::from(service.is_some());
                    }
                    Notice::NotifyCallAccepted { call, .. } => {
                        let c = self.calls.get(call.as_str()).expect("NotifyCallAccepted of a known call");
                        assert_eq!(c.caller, to, "NotifyCallAccepted goes to the caller");
                        assert!(!c.answered);
                    }
                    Notice::NotifyCallRejected { call, err, .. } => {
                        let c = self.calls.get_mut(call.as_str()).expect("NotifyCallRejected of a known call");
                        assert_eq!(c.caller, to, "NotifyCallRejected goes to the caller");
                        assert!(!c.answered && c.rejected.is_none(), "{call} rejected after an answer or twice");
                        match *err {
                            AcdError::CALL_REFUSED => self.calls_rejected += 1,
                            AcdError::CALL_NO_ANSWER => {
                                assert_eq!(
                                    t,
                                    c.started.plus_secs(CALL_TIMEOUT_S.into()),
                                    "604 exactly at the call timeout"
                                );
                                self.calls_unanswered += 1;
                            }
                            other => panic!("NotifyCallRejected with {other}"),
                        }
                        c.rejected = Some(*err);
                    }
                    Notice::NotifyCallHungup { call, .. } => {
                        let c = self.calls.get_mut(call.as_str()).expect("NotifyCallHungup of a known call");
                        assert!(to == c.caller || to == c.callee, "NotifyCallHungup to a non-party");
                        assert!(
                            c.hangups.is_empty() && c.told_hungup.is_none(),
                            "{call}: NotifyCallHungup after the end"
                        );
                        c.told_hungup = Some(to);
                    }
                    Notice::NotifyCallHold { call, .. } => {
                        let c = self.calls.get(call.as_str()).expect("NotifyCallHold of a known call");
                        assert!(c.answered && (to == c.caller || to == c.callee), "{call}: hold notice");
                    }
                    Notice::CallEvent(e) => {
                        let c = self.calls.get(e.session_id.as_str()).expect("a call event of a known call");
                        assert!(to == c.caller || to == c.callee, "a call event to a non-party");
                        let u = &mut self.users[to];
                        assert!(
                            e.event_id > u.last_event_id,
                            "{} got event {} after {}",
                            u.uid,
                            e.event_id,
                            u.last_event_id
                        );
                        u.last_event_id = e.event_id;
                        self.pending_call_notices.push((to, (**e).clone()));
                    }
                    _ => {}
                }
            }
            Output::Event(e) => match &e.kind {
                EventKind::QueueChange { queue, user_id, change, .. } => {
                    let c = self.user_by_id(user_id);
                    match change {
                        QueueChangeKind::Entered => {
                            let order = self.next_order;
                            self.next_order += 1;
                            let cm = self.customer(c);
                            assert!(cm.queued.is_none() && cm.served_by.is_none(), "{user_id} entered twice");
                            cm.queued = Some((*queue, order));
                            cm.entered_at = Some(t);
                            cm.declined.clear();
                        }
                        QueueChangeKind::TakenByAgent => {
                            // A take: by the agent of the customer's latest waiting->calling step.
                            assert_eq!(self.cust(c).queued.map(|x| x.0), Some(*queue));
                            let a = self.cust(c).calling_agent.expect("taken without a calling step");
                            match self.cust(c).offered_to {
                                Some(x) if x == a => {
                                    let ix = self.agents[a].offers.iter().position(|o| o.0 == c).unwrap();
                                    self.agents[a].offers.remove(ix);
                                }
                                Some(x) => panic!(
                                    "{user_id} taken by {} while offered to {}",
                                    self.users[a].uid, self.users[x].uid
                                ),
                                None => {}
                            }
                            let task = self.cust(c).task.expect("a taken customer has an open task");
                            assert_eq!(self.tasks[&task].1, AcdPhase::Calling, "{user_id} taken while not calling");
                            let serial = self.next_service;
                            self.next_service += 1;
                            let cm = self.customer(c);
                            cm.queued = None;
                            cm.offered_to = None;
                            cm.served_by = Some(a);
                            cm.service_start = Some(t);
                            cm.service_task_open = true;
                            cm.completion_to_check = None;
                            cm.service_id = Some(serial);
                            self.agents[a].services.push((c, *queue));
                            let am = &self.agents[a];
                            assert!(
                                am.load() <= am.capacity as usize,
                                "agent {} over capacity after a take",
                                self.users[a].uid
                            );
                            self.takes += 1;
                        }
                        _ => {
                            let cm = self.customer(c);
                            assert_eq!(cm.offered_to, None, "{user_id} left with an offer still pending");
                            assert_eq!(cm.queued.map(|x| x.0), Some(*queue));
                            cm.queued = None;
                        }
                    }
                }
                EventKind::AcdState(tr) => self.acd_step(t, tr),
                EventKind::Call(e) => self.call_event(t, e),
                _ => {}
            },
            Output::SessionEnded { session, .. } => {
                let u = self.user_of(*session);
                assert_eq!(self.users[u].call, None, "{} ended in a call", self.users[u].uid);
                self.users[u].session = None;
                self.users[u].online = false;
                if u < AGENTS {
                    let a = &self.agents[u];
                    assert!(a.offers.is_empty() && a.services.is_empty(), "agent ended with work left");
                    self.agents[u] = AgentModel::fresh();
                } else {
                    let c = self.cust(u);
                    assert!(
                        c.queued.is_none() && c.served_by.is_none() && c.offered_to.is_none(),
                        "customer ended still queued"
                    );
                    assert_eq!(c.task, None, "customer ended with an open task");
                    self.customers[u - AGENTS] = CustomerModel::default();
                }
            }
        }
    }

    /// One step of an ACD task.
    fn acd_step(&mut self, t: Time, tr: &lineup_engine::AcdTransition) {
        let c = self.user_by_id(&tr.user_id);
        let who = &tr.user_id;
        if tr.previous == AcdPhase::Pending {
            assert_eq!(tr.latest, AcdPhase::Waiting, "{who}: a task starts pending->waiting");
            assert!(!self.tasks.contains_key(&tr.task), "{who}: task {:?} started twice", tr.task);
            assert_eq!(self.cust(c).task, None, "{who} has two open tasks");
            self.tasks.insert(tr.task, (c, AcdPhase::Waiting));
            self.customer(c).task = Some(tr.task);
        } else {
            let (owner, phase) =
                *self.tasks.get(&tr.task).unwrap_or_else(|| panic!("{who}: unknown task {:?}", tr.task));
            assert_eq!(owner, c, "{who}: someone else's task");
            assert_ne!(phase, AcdPhase::Completed, "{who}: a task moved after it completed");
            assert_eq!(tr.previous, phase, "{who}: the task moved from {:?} but was {phase:?}", tr.previous);
            assert_eq!(self.cust(c).task, Some(tr.task), "{who}: not its open task");
            self.tasks.insert(tr.task, (c, tr.latest));
        }
        match tr.latest {
            AcdPhase::Calling => {
                let a = self.user_by_id(tr.agent_id.as_deref().expect("a calling step names the agent"));
                self.customer(c).calling_agent = Some(a);
            }
            AcdPhase::Completed => {
                self.customer(c).task = None;
                *self.completions.entry(tr.end_reason.map_or("none", EndReason::name)).or_default() += 1;
                assert_eq!(tr.end_time, Some(t), "{who}: end time");
                match self.cust(c).served_by {
                    Some(a) => {
                        assert!(self.cust(c).service_task_open, "{who}: the service's task completed twice");
                        self.customer(c).service_task_open = false;
                        assert_eq!(tr.previous, AcdPhase::Calling, "{who}: a served task completes from calling");
                        assert_eq!(
                            tr.agent_id.as_deref(),
                            Some(self.users[a].uid.as_str()),
                            "{who}: agent of the task"
                        );
                        if self.just_answered == Some((c, t)) {
                            self.just_answered = None;
                            assert_eq!(
                                (tr.end_reason, tr.talk_time),
                                (Some(EndReason::Success), Some(t)),
                                "{who}: answered"
                            );
                        } else if let Some((_, reason, _)) = self.just_failed.filter(|x| x.0 == c && x.2 == t) {
                            self.just_failed = None;
                            assert_eq!((tr.end_reason, tr.talk_time), (Some(reason), None), "{who}: the call failed");
                        } else {
                            self.customer(c).completion_to_check = Some((tr.end_reason, tr.talk_time));
                        }
                    }
                    None => {
                        assert!(
                            matches!(
                                tr.end_reason,
                                Some(EndReason::Cancel | EndReason::Timeout | EndReason::Hangup | EndReason::Forward)
                            ),
                            "{who}: a queuing task ended with {:?}",
                            tr.end_reason
                        );
                        assert_eq!(tr.talk_time, None, "{who}: talk time without a service");
                    }
                }
            }
            _ => {}
        }
    }

    /// One call event of the business stream (after its two notices).
    fn call_event(&mut self, t: Time, e: &CallEvent) {
        use CallEventKind::*;
        assert!(e.event_id > self.last_event_id, "event id {} after {}", e.event_id, self.last_event_id);
        self.last_event_id = e.event_id;
        assert_eq!(e.event_time, t);
        let id = e.session_id.to_string();
        let c = self.calls.get(&id).unwrap_or_else(|| panic!("an event of unknown call {id}"));
        let pending = std::mem::take(&mut self.pending_call_notices);
        assert_eq!(pending, vec![(c.caller, e.clone()), (c.callee, e.clone())], "each event to both parties, then out");
        let uid = |u: usize| self.users[u].uid.clone();
        let customer = match c.agent {
            Some(a) if a == c.caller => c.callee,
            _ => c.caller,
        };
        assert_eq!(e.caller_id_num, uid(customer), "{id}: caller_id_num");
        assert_eq!(e.agent_id.as_deref(), c.agent.map(uid).as_deref(), "{id}: agent_id");
        assert_eq!(e.dialout, c.agent == Some(c.caller), "{id}: dialout (an agent placed the call)");
        let party = match e.source {
            CallSource::Conversation => {
                assert_eq!(e.active_num, uid(c.agent.unwrap_or(c.caller)), "{id}: conversation's active_num");
                None
            }
            source => {
                let p = self.user_by_id(&e.active_num);
                assert!(p == c.caller || p == c.callee, "{id}: an event about a non-party");
                let expected = if c.agent == Some(p) {
                    CallSource::Agent
                } else if p == c.caller {
                    CallSource::Caller
                } else {
                    CallSource::Callee
                };
                assert_eq!(source, expected, "{id}: source of {}", e.active_num);
                Some(p)
            }
        };
        // The queue is set exactly for a live service's call.
        let live = c.service.filter(|(a, cu, serial)| {
            self.cust(*cu).served_by == Some(*a) && self.cust(*cu).service_id == Some(*serial)
        });
        if let Some((a, cu, _)) = live {
            let q = e.queue.unwrap_or_else(|| panic!("{id}: a service's call without its queue"));
            assert!(self.agents[a].services.contains(&(cu, q)), "{id}: the queue of another service");
        }
        if e.queue.is_some() {
            assert!(c.service.is_some(), "{id}: a queue on a call that is no service's");
        }
        let c = self.calls.get_mut(&id).unwrap();
        let ended = !c.hangups.is_empty();
        match e.event {
            Incoming => {
                assert!(
                    c.last_kind.is_none() && party == Some(c.caller) && c.agent != Some(c.caller),
                    "{id}: incoming"
                );
            }
            Ringing => {
                let after = if c.agent == Some(c.caller) { None } else { Some(Incoming) };
                assert_eq!(c.last_kind, after, "{id}: ringing after incoming exactly for dialin");
                assert_eq!(party, Some(c.callee), "{id}: the callee rings");
            }
            Answer => {
                assert!(!c.answered && !ended && c.last_kind.is_some(), "{id}: answer");
                assert_eq!(party, Some(c.callee), "{id}: the callee answers");
                c.answered = true;
                self.calls_answered += 1;
                if let Some((_, cu, _)) = live {
                    self.just_answered = Some((cu, t));
                }
            }
            OnHold | Resume => {
                assert!(c.answered && !ended, "{id}: hold while not talking");
                assert_eq!(c.held, e.event == Resume, "{id}: onhold and resume alternate");
                c.held = e.event == OnHold;
            }
            Join => assert!(!ended && c.last_kind.is_some(), "{id}: join"),
            Hangup => match party {
                Some(p) => {
                    assert!(c.hangups.len() < 2 && !c.hangups.contains(&p), "{id}: hangups {:?} then {p}", c.hangups);
                    if c.hangups.is_empty() {
                        match c.rejected {
                            Some(err) => {
                                assert_eq!(p, c.callee, "{id}: a refused or unanswered callee hangs up first");
                                let told = (err == AcdError::CALL_NO_ANSWER).then_some(c.callee);
                                assert_eq!(c.told_hungup, told, "{id}: who heard of the hangup");
                            }
                            None => {
                                let peer = if p == c.caller { c.callee } else { c.caller };
                                assert_eq!(c.told_hungup, Some(peer), "{id}: the peer of who hung up is told");
                            }
                        }
                    }
                    c.hangups.push(p);
                }
                None => {
                    assert_eq!(c.hangups.len(), 2, "{id}: the conversation ends after both parties");
                    let c = self.calls.remove(&id).unwrap();
                    self.users[c.caller].call = None;
                    self.users[c.callee].call = None;
                    if let Some((a, cu, _)) = live {
                        if !c.answered {
                            let reason = if c.rejected.is_none() && c.hangups[0] == cu {
                                EndReason::Hangup
                            } else {
                                EndReason::CallFail
                            };
                            self.just_failed = Some((cu, reason, t));
                        }
                        self.expect_service_end.push((a, cu));
                        self.service_call_ends += 1;
                    }
                    return;
                }
            },
        }
        self.calls.get_mut(&id).unwrap().last_kind = Some(e.event);
    }

    fn decline(&mut self, customer: usize, agent: usize, t: Time) {
        if self.reoffer_delay_s > 0 {
            let until = t.plus_secs(self.reoffer_delay_s.into());
            self.customer(customer).declined.push((agent, until));
        }
    }
}

// ---- driving a case ----

struct Case {
    sim: Sim,
    model: Model,
}

impl Case {
    fn new(reoffer_delay_s: u32) -> Case {
        let mut sim = Sim::with_settings(AppSettings {
            offer_timeout_s: OFFER_TIMEOUT_S,
            hold_s: HOLD_S,
            reoffer_delay_s,
            call_timeout_s: CALL_TIMEOUT_S,
            // The model lets anyone call anyone; whom a customer may call is a rule of
            // its own (rules_calls.rs).
            customer_calls: lineup_engine::CustomerCalls::Anyone,
            ..AppSettings::default()
        });
        let queues = vec![
            (sim.queue("gold", 1), 1, 0),
            (sim.queue_def(QueueDef { prio: 5, wrapup_s: WRAPUP_S, ..QueueDef::named("silver") }), 5, WRAPUP_S),
            (sim.queue_def(QueueDef { prio: 5, max_wait_s: Some(100), ..QueueDef::named("bronze") }), 5, 0),
        ];
        let users = (0..USERS)
            .map(|i| User {
                uid: if i < AGENTS { format!("agent{i}") } else { format!("cust{i}") },
                ..Default::default()
            })
            .collect();
        let model = Model {
            users,
            agents: (0..AGENTS).map(|_| AgentModel::fresh()).collect(),
            customers: (0..CUSTOMERS).map(|_| CustomerModel::default()).collect(),
            queues,
            reoffer_delay_s,
            levels: vec![[5, 5], [9, 0], [0, 2]],
            next_order: 0,
            offers_made: 0,
            skill_skips: 0,
            relaxed_offers: 0,
            takes: 0,
            timeouts: 0,
            capacity_cuts: 0,
            tasks: BTreeMap::new(),
            calls: BTreeMap::new(),
            last_event_id: 0,
            pending_call_notices: Vec::new(),
            just_answered: None,
            just_failed: None,
            expect_service_end: Vec::new(),
            expect_call_in: None,
            next_service: 0,
            calls_made: 0,
            calls_answered: 0,
            calls_rejected: 0,
            calls_unanswered: 0,
            service_calls: 0,
            service_call_ends: 0,
            completions: BTreeMap::new(),
        };
        // Skills: gold needs the customer's language at level 5, relaxed every RELAX_S.
        let skills = vec!["lang.en".into(), "lang.fr".into()];
        sim.input(Input::PutSkillCatalog { app: APP.into(), skills }).expect("catalog");
        let requirement =
            lineup_engine::QueueRequirement { text: "lang[customer.lang] >= 5".into(), relax_s: RELAX_S as u32 };
        sim.input(Input::PutQueueRequirement { app: APP.into(), queue: model.queues[0].0, requirement }).unwrap();
        let mut case = Case { sim, model };
        for agent in 0..AGENTS {
            let [en, fr] = case.model.levels[agent];
            case.run(&Cmd::SetSkills { agent, en, fr });
        }
        for u in 0..USERS {
            case.run(&Cmd::Login(u));
        }
        // A busy start: each agent serves two queues, agent k takes k+1 customers at
        // once (random commands change all that).
        for agent in 1..AGENTS {
            case.run(&Cmd::SetCapacity { agent, capacity: agent as u16 + 1 });
        }
        for agent in 0..AGENTS {
            case.run(&Cmd::StartService { agent, queue: agent, priority: agent as u16 });
            case.run(&Cmd::StartService { agent, queue: (agent + 1) % QUEUES, priority: 1 });
        }
        case
    }

    fn session(&self, user: usize) -> Option<SessionId> {
        self.model.users[user].session
    }

    /// Runs one command: checks its result against the model, applies its direct
    /// effects, then every output in order, then the per-step checks.
    fn run(&mut self, cmd: &Cmd) {
        let now = self.sim.now;
        match *cmd {
            Cmd::Login(u) => {
                let roles = if u < AGENTS { agent_roles() } else { customer_roles() };
                let uid = self.model.users[u].uid.clone();
                let had = self.session(u);
                // Online before the outputs: a resumed session is offered at once.
                self.model.users[u].online = true;
                match self.sim.try_login_in(APP, &uid, &uid, roles).expect("login") {
                    Reply::LoggedIn { session, resumed } => {
                        assert_eq!(resumed, had.is_some());
                        if let Some(old) = had {
                            assert_eq!(session, old, "a live session is resumed");
                        }
                        self.model.users[u].session = Some(session);
                        // The first agent watches user status: the engine's invariants
                        // then check, after every step, that its watchers were told
                        // every user's status as it is.
                        if u == 0 {
                            self.sim.req(session, Request::StartUserStatusNotify).expect("StartUserStatusNotify");
                        }
                    }
                    other => panic!("{other:?}"),
                }
            }
            Cmd::Advance(ms) => self.sim.advance_ms(ms),
            Cmd::SetSkills { agent, en, fr } => {
                self.model.levels[agent] = [en, fr];
                let skills = vec![("lang.en".into(), en), ("lang.fr".into(), fr)];
                let user_id = self.model.users[agent].uid.as_str().into();
                self.sim.input(Input::PutAgentSkills { app: APP.into(), user_id, skills }).expect("skills");
            }
            Cmd::Call { from, to } => self.place_call(from, to),
            Cmd::CallCustomer { agent, pick } => {
                // The next agent (cyclically) that is free to call one of its customers.
                let m = &self.model;
                let callable = |a: usize| -> Vec<usize> {
                    if m.users[a].call.is_some() {
                        return Vec::new();
                    }
                    m.agents[a].services.iter().map(|s| s.0).filter(|&c| m.users[c].call.is_none()).collect()
                };
                let agent =
                    (0..AGENTS).map(|i| (agent + i) % AGENTS).find(|&a| !callable(a).is_empty()).unwrap_or(agent);
                let customers = callable(agent);
                let to =
                    if customers.is_empty() { AGENTS + pick % CUSTOMERS } else { customers[pick % customers.len()] };
                self.place_call(agent, to);
            }
            Cmd::AnswerCall { user, accept } => {
                let ringing = |m: &Model, u: usize| {
                    m.users[u].call.as_ref().is_some_and(|id| m.calls[id].callee == u && !m.calls[id].answered)
                };
                let user = (0..USERS).map(|i| (user + i) % USERS).find(|&u| ringing(&self.model, u)).unwrap_or(user);
                let Some(session) = self.session(user) else { return };
                let ok = ringing(&self.model, user);
                let call = self.model.users[user].call.clone().unwrap_or_else(|| "no-such-call".into()).into();
                let request = if accept {
                    Request::AcceptCall { call, usr_ext_dat: "".into() }
                } else {
                    Request::RejectCall { call, usr_ext_dat: "".into() }
                };
                let r = self.sim.req(session, request);
                assert_eq!(r.map_err(|e| e.code()), if ok { Ok(Reply::Done) } else { Err(600) }, "answer of {user}");
            }
            Cmd::Hangup { user } | Cmd::Hold { user, .. } => {
                let hold = match *cmd {
                    Cmd::Hold { on, .. } => Some(on),
                    _ => None,
                };
                let can = |m: &Model, u: usize| {
                    m.users[u].call.as_ref().is_some_and(|id| hold.is_none() || m.calls[id].answered)
                };
                let user = (0..USERS).map(|i| (user + i) % USERS).find(|&u| can(&self.model, u)).unwrap_or(user);
                let Some(session) = self.session(user) else { return };
                let ok = can(&self.model, user);
                let call = self.model.users[user].call.clone().unwrap_or_else(|| "no-such-call".into()).into();
                let request = match hold {
                    Some(hold) => Request::HoldCall { call, hold },
                    None => Request::HangupCall { call, usr_ext_dat: "".into() },
                };
                let r = self.sim.req(session, request);
                assert_eq!(r.map_err(|e| e.code()), if ok { Ok(Reply::Done) } else { Err(600) }, "{cmd:?}");
            }
            Cmd::EnterRoom { user } => {
                let Some(session) = self.session(user) else { return };
                let Some(id) = self.model.users[user].call.clone() else { return };
                let room = self.model.calls[&id].room;
                match self.sim.req(session, Request::EnterMeeting { meeting: room, pswd: "".into() }) {
                    Ok(Reply::Meeting(m)) => assert_eq!(m.id, room),
                    other => panic!("entering the room of a call: {other:?}"),
                }
            }
            Cmd::Disconnect(u) | Cmd::Reconnect(u) | Cmd::Logout(u) => {
                let Some(session) = self.session(u) else { return };
                let input = match *cmd {
                    Cmd::Disconnect(_) => {
                        self.model.users[u].online = false;
                        Input::Disconnect { session }
                    }
                    Cmd::Reconnect(_) => {
                        self.model.users[u].online = true;
                        Input::Reconnect { session }
                    }
                    _ => {
                        self.model.users[u].online = false;
                        Input::Logout { session }
                    }
                };
                self.sim.input(input).expect("presence input of a live session");
            }
            ref request => {
                let mut user = match *request {
                    Cmd::StartService { agent, .. }
                    | Cmd::StopService { agent, .. }
                    | Cmd::Accept { agent, .. }
                    | Cmd::Reject { agent, .. }
                    | Cmd::SetDnd { agent, .. }
                    | Cmd::SetCapacity { agent, .. }
                    | Cmd::ReqAssign { agent }
                    | Cmd::ReqAssign2 { agent, .. }
                    | Cmd::Finish { agent, .. } => agent,
                    Cmd::StartQueuing { customer, .. } | Cmd::StopQueuing { customer } => customer,
                    _ => unreachable!(),
                };
                // Answers and finishes go to the next agent (cyclically) that has
                // something to answer or finish, if any; otherwise they are refused.
                let has_work = |m: &Model, a: usize| match request {
                    Cmd::Accept { .. } | Cmd::Reject { .. } => !m.agents[a].offers.is_empty(),
                    _ => !m.agents[a].services.is_empty(),
                };
                if matches!(request, Cmd::Accept { .. } | Cmd::Reject { .. } | Cmd::Finish { .. }) {
                    if let Some(a) = (0..AGENTS).map(|i| (user + i) % AGENTS).find(|&a| has_work(&self.model, a)) {
                        user = a;
                    }
                }
                let Some(session) = self.session(user) else { return };
                self.request(user, session, request, now);
            }
        }
        self.settle();
    }

    /// `from` opens a room and calls `to`; the outcome is predicted from the model.
    fn place_call(&mut self, from: usize, to: usize) {
        let Some(session) = self.session(from) else { return };
        let m = &self.model;
        let expected = if m.users[from].call.is_some() {
            Err(601)
        } else if m.users[to].session.is_none() {
            Err(605)
        } else if from == to {
            Err(5)
        } else if !m.users[to].online {
            Err(603)
        } else if m.users[to].call.is_some() {
            Err(602)
        } else {
            Ok(())
        };
        let callee = m.users[to].uid.as_str().into();
        let room = match self.sim.req(session, Request::CreateMeeting { subject: "r".into(), pswd: "".into() }) {
            Ok(Reply::Meeting(m)) => m.id,
            other => panic!("CreateMeeting: {other:?}"),
        };
        let r = self.sim.req(session, Request::Call { callee, meeting: room, usr_ext_dat: "".into(), call_id: None });
        match (r, expected) {
            (Ok(Reply::Call(id)), Ok(())) => self.model.expect_call_in = Some((id.to_string(), from, to)),
            (Err(e), Err(code)) => assert_eq!(e.code(), code, "Call {from} -> {to}"),
            (r, expected) => panic!("Call {from} -> {to}: got {r:?}, expected {expected:?}"),
        }
    }

    fn request(&mut self, user: usize, session: SessionId, cmd: &Cmd, now: Time) {
        let m = &mut self.model;
        match *cmd {
            Cmd::StartService { queue, priority, .. } => {
                let q = m.queues[queue].0;
                m.agents[user].serving.insert(q, priority);
                self.sim.req(session, Request::StartService { queue: q, priority }).expect("StartService");
            }
            Cmd::StopService { queue, .. } => {
                let q = m.queues[queue].0;
                let served = m.agents[user].serving.remove(&q).is_some();
                let r = self.sim.req(session, Request::StopService { queue: q });
                assert_eq!(r.map_err(|e| e.code()), if served { Ok(Reply::Done) } else { Err(403) });
            }
            Cmd::StartQueuing { queue, .. } => {
                let q = m.queues[queue].0;
                let c = m.cust(user);
                let free = c.queued.is_none() && c.served_by.is_none();
                let lang = ["en", "fr", "de"][(user - AGENTS) % 3];
                let attributes = vec![("lang".into(), lineup_engine::AttrValue::Text(lang.into()))];
                let r =
                    self.sim.req(session, Request::StartQueuingWith { queue: q, usr_ext_dat: "".into(), attributes });
                assert_eq!(r.map_err(|e| e.code()), if free { Ok(Reply::Done) } else { Err(404) });
            }
            Cmd::StopQueuing { .. } => {
                let queued = m.cust(user).queued.is_some();
                let r = self.sim.req(session, Request::StopQueuing);
                assert_eq!(r.map_err(|e| e.code()), if queued { Ok(Reply::Done) } else { Err(401) });
            }
            Cmd::Accept { pick, .. } | Cmd::Reject { pick, .. } => {
                let accept = matches!(cmd, Cmd::Accept { .. });
                let offers = &m.agents[user].offers;
                let (c, q, real) = if offers.is_empty() {
                    (AGENTS + pick % CUSTOMERS, m.queues[pick % QUEUES].0, false)
                } else {
                    let (c, q, _) = offers[pick % offers.len()];
                    (c, q, true)
                };
                let user_id = m.users[c].uid.as_str().into();
                if real && !accept {
                    m.agents[user].offers.retain(|o| o.0 != c);
                    m.customer(c).offered_to = None;
                    m.decline(c, user, now);
                }
                let request = if accept {
                    Request::AcceptAssignUser { queue: q, user_id }
                } else {
                    Request::RejectAssignUser { queue: q, user_id }
                };
                let r = self.sim.req(session, request);
                assert_eq!(r.map_err(|e| e.code()), if real { Ok(Reply::Done) } else { Err(402) });
            }
            Cmd::SetDnd { on, .. } => {
                m.agents[user].dnd = on;
                self.sim.req(session, Request::SetDndStatus { on }).expect("SetDnd");
            }
            Cmd::SetCapacity { capacity, .. } => {
                if (capacity as usize) < m.agents[user].services.len() {
                    // Below the customers being served: refused, nothing changes.
                    m.capacity_cuts += 1;
                    let r = self.sim.req(session, Request::SetCapacity { capacity });
                    assert_eq!(r.map_err(|e| e.code()), Err(5), "SetCapacity below services");
                    return;
                }
                if (capacity as usize) < m.agents[user].load() {
                    // Offers beyond the new capacity are withdrawn (CancelAssignUser).
                    m.capacity_cuts += 1;
                }
                m.agents[user].capacity = capacity;
                self.sim.req(session, Request::SetCapacity { capacity }).expect("SetCapacity");
            }
            Cmd::ReqAssign { .. } => {
                let a = &m.agents[user];
                let expected = if a.serving.is_empty() {
                    Err(403)
                } else if a.load() >= a.capacity as usize {
                    Err(406)
                } else {
                    m.best_for(user, now).map(|c| m.users[c].uid.clone()).ok_or(401)
                };
                let r = self.sim.req(session, Request::ReqAssignUser);
                let got = r.map(|reply| match reply {
                    Reply::Assigned(u) => u.user_id.to_string(),
                    other => panic!("{other:?}"),
                });
                assert_eq!(got.map_err(|e| e.code()), expected, "ReqAssignUser of {}", m.users[user].uid);
            }
            Cmd::ReqAssign2 { customer, .. } => {
                let q = m.cust(customer).queued.map_or(m.queues[0].0, |x| x.0);
                let user_id = m.users[customer].uid.as_str().into();
                // The outcome is checked through the outputs (a take must be legal).
                let _ = self.sim.req(session, Request::ReqAssignUser2 { queue: q, user_id });
            }
            Cmd::Finish { pick, .. } => {
                let services = &m.agents[user].services;
                let (c, q, real) = if services.is_empty() {
                    (AGENTS + pick % CUSTOMERS, m.queues[pick % QUEUES].0, false)
                } else {
                    let (c, q) = services[pick % services.len()];
                    (c, q, true)
                };
                let user_id = m.users[c].uid.as_str().into();
                let r = self.sim.req(session, Request::FinishService { queue: q, user_id });
                assert_eq!(r.map_err(|e| e.code()), if real { Ok(Reply::Done) } else { Err(401) });
            }
            _ => unreachable!(),
        }
    }

    /// Applies the outputs of the last command and checks the state after it.
    fn settle(&mut self) {
        for (t, output) in self.sim.drain_timed() {
            self.model.apply(t, &output);
        }
        let now = self.sim.now;
        let m = &mut self.model;
        assert_eq!(m.expect_call_in, None, "a Call succeeded but nobody was called");
        assert_eq!(m.expect_service_end, vec![], "a service call ended, its service did not");
        assert_eq!(m.pending_call_notices, vec![], "call event notices without the business event");
        assert_eq!(m.just_answered, None, "a service call was answered but its task did not complete");
        assert_eq!(m.just_failed, None, "a service call failed but its task did not complete");
        for (id, c) in &m.calls {
            if !c.answered {
                let rang = now.millis_since(c.started);
                assert!(rang < u64::from(CALL_TIMEOUT_S) * 1000, "{id} rang for {rang} ms");
            }
        }
        let m = &self.model;
        for a in 0..AGENTS {
            let am = &m.agents[a];
            assert!(am.load() <= am.capacity as usize, "agent {} over capacity", m.users[a].uid);
            for (c, _, since) in &am.offers {
                assert!(
                    now.millis_since(*since) < u64::from(OFFER_TIMEOUT_S) * 1000,
                    "offer of {} to {} outlived the offer timeout",
                    m.users[*c].uid,
                    m.users[a].uid
                );
            }
            if m.is_free(a, now) {
                if let Some(c) = m.best_for(a, now) {
                    panic!("agent {} is free while {} waits for it", m.users[a].uid, m.users[c].uid);
                }
            }
        }
        self.compare_views();
    }

    /// The engine's views agree with the model.
    fn compare_views(&self) {
        let m = &self.model;
        for (u, user) in m.users.iter().enumerate() {
            let Some(session) = user.session else { continue };
            let info = self.sim.engine.session_info(session).expect("live session");
            match &user.call {
                None => assert_eq!(info, SessionInfo::default(), "{}: session info", user.uid),
                Some(id) => {
                    let c = &m.calls[id];
                    let peer = if c.caller == u { c.callee } else { c.caller };
                    assert_eq!(
                        (info.call_id.as_str(), info.peer_id.as_str(), info.accepted, info.meeting_id),
                        (id.as_str(), m.users[peer].uid.as_str(), c.answered, c.room),
                        "{}: session info",
                        user.uid
                    );
                }
            }
        }
        let views = self.sim.engine.agents(APP);
        for a in 0..AGENTS {
            let Some(session) = m.users[a].session else { continue };
            let am = &m.agents[a];
            let uid = &m.users[a].uid;
            match views.iter().find(|v| &*v.user_id == uid) {
                Some(v) => {
                    let serving: BTreeMap<_, _> = v.serving.iter().copied().collect();
                    assert_eq!(serving, am.serving, "{uid}: serving");
                    assert_eq!(v.pending_offers as usize, am.offers.len(), "{uid}: pending offers");
                    let mut got: Vec<_> = v.serving_customers.iter().map(|(q, c, _)| (c.to_string(), *q)).collect();
                    let mut want: Vec<_> = am.services.iter().map(|(c, q)| (m.users[*c].uid.clone(), *q)).collect();
                    got.sort();
                    want.sort();
                    assert_eq!(got, want, "{uid}: services");
                    assert_eq!((v.capacity, v.dnd, v.online), (am.capacity, am.dnd, m.users[a].online), "{uid}");
                }
                None => {
                    assert!(am.serving.is_empty() && am.load() == 0, "{uid} ({session:?}) has no agent view");
                }
            }
        }
        for u in AGENTS..USERS {
            let Some(session) = m.users[u].session else { continue };
            let c = m.cust(u);
            let info = self.sim.engine.queuing_info(session).expect("live session");
            match (info, c.queued, c.served_by) {
                (QueuingInfo::InService, None, Some(_)) | (QueuingInfo::NotQueuing, None, None) => {}
                (QueuingInfo::Queuing { queue, position, .. }, Some((q, order)), None) => {
                    assert_eq!(queue, q);
                    let ahead = (AGENTS..USERS)
                        .filter(|&o| m.cust(o).queued.is_some_and(|(oq, oo)| oq == q && oo < order))
                        .count();
                    assert_eq!(position as usize, ahead, "{}: position", m.users[u].uid);
                }
                other => panic!("{}: engine says {:?}, model says {:?}", m.users[u].uid, other.0, (other.1, other.2)),
            }
        }
    }

    /// With no more commands, every offer pending now ends within the offer timeout.
    fn finish(&mut self) {
        let before: Vec<(usize, usize, Time)> =
            (0..AGENTS).flat_map(|a| self.model.agents[a].offers.iter().map(move |(c, _, t)| (a, *c, *t))).collect();
        let end = self.sim.now;
        self.run(&Cmd::Advance(u64::from(OFFER_TIMEOUT_S) * 1000 + 1));
        for (a, c, since) in before {
            let still = self.model.agents[a].offers.iter().any(|o| o.0 == c && o.2 == since);
            assert!(!still, "offer of customer {c} to agent {a} made at {since:?} still pending after {:?}", end);
        }
        assert!(self.model.calls.values().all(|c| c.answered), "a call still rings after the call timeout");
        let pending: u32 = self.sim.engine.agents(APP).iter().map(|v| v.pending_offers).sum();
        let model_pending: usize = self.model.agents.iter().map(|a| a.offers.len()).sum();
        assert_eq!(pending as usize, model_pending);
        assert!(self.model.agents.iter().flat_map(|a| &a.offers).all(|o| o.2 > end));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, max_shrink_iters: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_rules(
        reoffer_delay_s in prop::sample::select(vec![0u32, 10]),
        cmds in prop::collection::vec(cmd(), 1..=60),
    ) {
        let mut case = Case::new(reoffer_delay_s);
        for c in &cmds {
            case.run(c);
        }
        case.finish();
    }
}

/// The random cases must actually exercise offers, takes and the other requests (each
/// both accepted and refused where that can happen), or the properties above would
/// hold vacuously.
#[test]
fn random_sequences_exercise_offers_and_takes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut offers, mut takes, mut timeouts) = (0, 0, 0);
    let (mut skill_skips, mut relaxed_offers) = (0, 0);
    // made, answered, rejected, unanswered, service calls, service calls ended
    let mut calls = [0usize; 6];
    let mut completions: BTreeMap<&str, usize> = BTreeMap::new();
    // Request kind -> (succeeded, refused).
    let mut outcomes: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for _ in 0..32 {
        let cmds = prop::collection::vec(cmd(), 60).new_tree(&mut runner).unwrap().current();
        let mut case = Case::new(10);
        for c in &cmds {
            case.run(c);
        }
        case.finish();
        for ((_, input), reply) in case.sim.script.iter().zip(&case.sim.replies) {
            let kind = match input {
                Input::Session { request, .. } => format!("{request:?}"),
                other => format!("{other:?}"),
            };
            let kind = kind.split([' ', '{', '(']).next().unwrap().to_string();
            let e = outcomes.entry(kind).or_default();
            if reply.starts_with("Ok") {
                e.0 += 1
            } else {
                e.1 += 1
            }
        }
        offers += case.model.offers_made;
        (skill_skips, relaxed_offers) =
            (skill_skips + case.model.skill_skips, relaxed_offers + case.model.relaxed_offers);
        takes += case.model.takes;
        timeouts += case.model.timeouts;
        let m = &case.model;
        let counts = [
            m.calls_made,
            m.calls_answered,
            m.calls_rejected,
            m.calls_unanswered,
            m.service_calls,
            m.service_call_ends,
        ];
        for (total, n) in calls.iter_mut().zip(counts) {
            *total += n;
        }
        for (reason, n) in &m.completions {
            *completions.entry(reason).or_default() += n;
        }
    }
    eprintln!("calls (made, answered, rejected, unanswered, of services, services ended): {calls:?}; task ends {completions:?}");
    let [made, answered, rejected, unanswered, of_services, services_ended] = calls;
    assert!(made > 100 && answered > 30 && rejected > 10 && unanswered > 5, "calls {calls:?}");
    assert!(of_services > 30 && services_ended > 12, "service calls {calls:?}");
    for reason in ["success", "call_fail", "hangup", "cancel"] {
        assert!(completions.get(reason).is_some_and(|n| *n > 0), "no task ended with {reason}: {completions:?}");
    }
    eprintln!("32 cases: {offers} offers, {takes} takes, {timeouts} offer timeouts; {outcomes:?}");
    assert!(offers > 150, "only {offers} offers");
    eprintln!(
        "skills: {skill_skips} offers passed over a customer the agent did not meet, {relaxed_offers} after relaxing"
    );
    assert!(skill_skips > 10 && relaxed_offers > 5, "skills: {skill_skips} skips, {relaxed_offers} relaxed offers");
    assert!(takes > 80, "only {takes} takes");
    assert!(timeouts > 10, "only {timeouts} offer timeouts");
    for kind in [
        "AcceptAssignUser",
        "RejectAssignUser",
        "FinishService",
        "ReqAssignUser",
        "StopService",
        "StopQueuing",
        "StartQueuingWith",
    ] {
        let (ok, refused) = outcomes.get(kind).copied().unwrap_or_default();
        assert!(ok > 0 && refused > 0, "{kind}: {ok} succeeded, {refused} refused");
    }
    for kind in ["Call", "AcceptCall", "RejectCall", "HangupCall", "HoldCall"] {
        let (ok, refused) = outcomes.get(kind).copied().unwrap_or_default();
        assert!(ok > 0 && refused > 0, "{kind}: {ok} succeeded, {refused} refused");
    }
    for kind in ["Disconnect", "Reconnect", "Logout", "SetCapacity", "SetDndStatus", "ReqAssignUser2", "EnterMeeting"] {
        assert!(outcomes.get(kind).is_some_and(|o| o.0 > 0), "{kind} never succeeded");
    }
}
