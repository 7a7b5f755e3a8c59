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
//! After every step it also checks that no model-free agent is idle while one of its
//! candidates waits, and that the engine's views (agents, queuing info, positions)
//! agree with the model.

mod common;

use std::collections::BTreeMap;

use common::*;
use lineup_engine::{
    AcdPhase, AppSettings, CancelReason, EndReason, EventKind, Input, Notice, Output, QueueChangeKind, QueueDef,
    QueueId, QueuingInfo, Reply, Request, ServiceEnd, SessionId, Time,
};
use proptest::prelude::*;

const AGENTS: usize = 3;
const CUSTOMERS: usize = 6;
const USERS: usize = AGENTS + CUSTOMERS;
const QUEUES: usize = 3;
const OFFER_TIMEOUT_S: u32 = 20;
const HOLD_S: u32 = 45;
const WRAPUP_S: u32 = 3;

#[derive(Clone, Debug)]
enum Cmd {
    Login(usize),
    StartService { agent: usize, queue: usize, priority: u16 },
    StopService { agent: usize, queue: usize },
    StartQueuing { customer: usize, queue: usize },
    StopQueuing { customer: usize },
    Accept { agent: usize, pick: usize },
    Reject { agent: usize, pick: usize },
    SetDnd { agent: usize, on: bool },
    SetCapacity { agent: usize, capacity: u16 },
    ReqAssign { agent: usize },
    ReqAssign2 { agent: usize, customer: usize },
    Finish { agent: usize, pick: usize },
    Disconnect(usize),
    Reconnect(usize),
    Logout(usize),
    Advance(u64),
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
        6 => (agent, 0..4usize).prop_map(|(agent, pick)| Cmd::Finish { agent, pick }),
        1 => (0..USERS).prop_map(Cmd::Disconnect),
        2 => (0..USERS).prop_map(Cmd::Reconnect),
        1 => (0..USERS).prop_map(Cmd::Logout),
        4 => prop::sample::select(vec![100u64, 1_000, 3_000, 5_000, 10_000, 21_000, 50_000]).prop_map(Cmd::Advance),
    ]
}

// ---- the model ----

#[derive(Default)]
struct User {
    uid: String,
    session: Option<SessionId>,
    online: bool,
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
    offered_to: Option<usize>,
    /// (agent, until)
    declined: Vec<(usize, Time)>,
    served_by: Option<usize>,
}

struct Model {
    users: Vec<User>,
    agents: Vec<AgentModel>,
    customers: Vec<CustomerModel>,
    /// (id, prio, wrapup_s)
    queues: Vec<(QueueId, u8, u32)>,
    reoffer_delay_s: u32,
    next_order: u64,
    /// Counts of what happened, to make sure the cases exercise something.
    offers_made: usize,
    takes: usize,
    timeouts: usize,
    capacity_cuts: usize,
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
                (ready && !declined).then_some(((self.prio(q), order), u))
            })
            .min()
            .map(|(_, u)| u)
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
                        self.customer(c).served_by = None;
                        let w = self.wrapup(*queue);
                        if w > 0 && *reason != ServiceEnd::AgentLeft {
                            let until = t.plus_secs(w.into());
                            let a = &mut self.agents[to];
                            a.wrapup_until = Some(a.wrapup_until.map_or(until, |o| o.max(until)));
                        }
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
                            cm.declined.clear();
                        }
                        QueueChangeKind::TakenByAgent => {
                            assert_eq!(self.cust(c).queued.map(|x| x.0), Some(*queue));
                            self.customer(c).queued = None;
                        }
                        _ => {
                            let cm = self.customer(c);
                            assert_eq!(cm.offered_to, None, "{user_id} left with an offer still pending");
                            assert_eq!(cm.queued.map(|x| x.0), Some(*queue));
                            cm.queued = None;
                        }
                    }
                }
                EventKind::AcdState(tr)
                    if tr.latest == AcdPhase::Completed && tr.end_reason == Some(EndReason::Success) =>
                {
                    let c = self.user_by_id(&tr.user_id);
                    let a = self.user_by_id(tr.agent_id.as_deref().expect("taken by someone"));
                    match self.cust(c).offered_to {
                        Some(x) if x == a => {
                            let ix = self.agents[a].offers.iter().position(|o| o.0 == c).unwrap();
                            self.agents[a].offers.remove(ix);
                        }
                        Some(x) => panic!(
                            "{} taken by {} while offered to {}",
                            tr.user_id, self.users[a].uid, self.users[x].uid
                        ),
                        None => {}
                    }
                    let cm = self.customer(c);
                    cm.offered_to = None;
                    cm.served_by = Some(a);
                    self.agents[a].services.push((c, tr.queue));
                    let am = &self.agents[a];
                    assert!(
                        am.load() <= am.capacity as usize,
                        "agent {} over capacity after a take",
                        self.users[a].uid
                    );
                    self.takes += 1;
                }
                _ => {}
            },
            Output::SessionEnded { session, .. } => {
                let u = self.user_of(*session);
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
                    self.customers[u - AGENTS] = CustomerModel::default();
                }
            }
        }
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
            next_order: 0,
            offers_made: 0,
            takes: 0,
            timeouts: 0,
            capacity_cuts: 0,
        };
        let mut case = Case { sim, model };
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
                    }
                    other => panic!("{other:?}"),
                }
            }
            Cmd::Advance(ms) => self.sim.advance_ms(ms),
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
                let r = self.sim.req(session, Request::StartQueuing { queue: q, usr_ext_dat: "".into() });
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
                    let mut got: Vec<_> = v.serving_customers.iter().map(|(q, c)| (c.to_string(), *q)).collect();
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
        takes += case.model.takes;
        timeouts += case.model.timeouts;
    }
    eprintln!("32 cases: {offers} offers, {takes} takes, {timeouts} offer timeouts; {outcomes:?}");
    assert!(offers > 150, "only {offers} offers");
    assert!(takes > 80, "only {takes} takes");
    assert!(timeouts > 10, "only {timeouts} offer timeouts");
    for kind in [
        "AcceptAssignUser",
        "RejectAssignUser",
        "FinishService",
        "ReqAssignUser",
        "StopService",
        "StopQueuing",
        "StartQueuing",
    ] {
        let (ok, refused) = outcomes.get(kind).copied().unwrap_or_default();
        assert!(ok > 0 && refused > 0, "{kind}: {ok} succeeded, {refused} refused");
    }
    for kind in ["Disconnect", "Reconnect", "Logout", "SetCapacity", "SetDndStatus", "ReqAssignUser2"] {
        assert!(outcomes.get(kind).is_some_and(|o| o.0 > 0), "{kind} never succeeded");
    }
}
