//! The benchmarks' ACD cycle: finish a service → the agent is offered the head customer
//! → accept → the served customer queues again at the tail. Shared by the engine's
//! `cycles` benchmark and the server's `journal` benchmark (`#[path]`-included).
#![allow(dead_code)]

use std::collections::VecDeque;

use lineup_engine::{AppSettings, Engine, Input, Name, QueueDef, QueueId, Reply, Request, Roles, SessionId, Time};

pub struct Bench {
    /// Sees every input before the engine does (a journal, in the server's benchmark).
    pub journal: Option<Box<dyn FnMut(Time, &Input)>>,
    pub engine: Engine,
    pub now: Time,
    queue: QueueId,
    agent: SessionId,
    /// Customers in queue order (the engine's FIFO), each with its number.
    waiting: VecDeque<(SessionId, u32)>,
    serving: (SessionId, u32),
    pub cycles: u64,
    pub outputs: u64,
}

pub fn user_id(n: u32) -> Name {
    compact_str::format_compact!("c{n}")
}

pub fn login(e: &mut Engine, now: Time, user: &str, roles: Roles) -> SessionId {
    match e.handle(now, Input::Login { app: "bench".into(), user_id: user.into(), name: user.into(), roles }) {
        Ok(Reply::LoggedIn { session, .. }) => session,
        other => panic!("login: {other:?}"),
    }
}

pub fn req(e: &mut Engine, now: Time, session: SessionId, request: Request) {
    e.handle(now, Input::Session { session, request }).expect("bench request");
}

impl Bench {
    pub fn new(waiting: usize) -> Bench {
        let mut engine = Engine::new();
        let now = Time::from_millis(1_700_000_000_000);
        engine.handle(now, Input::PutApp { app: "bench".into(), settings: AppSettings::default() }).unwrap();
        let queue =
            match engine.handle(now, Input::CreateQueue { app: "bench".into(), id: None, def: QueueDef::named("q") }) {
                Ok(Reply::Queue(q)) => q.queue,
                other => panic!("{other:?}"),
            };
        let agent = login(&mut engine, now, "agent", Roles::ALL);
        req(&mut engine, now, agent, Request::SetDndStatus { on: true });
        req(&mut engine, now, agent, Request::StartService { queue, priority: 0 });
        let mut all = VecDeque::with_capacity(waiting + 1);
        for i in 0..=waiting {
            let sid = login(&mut engine, now, &user_id(i as u32), Roles::ALL);
            req(&mut engine, now, sid, Request::StartQueuing { queue, usr_ext_dat: "".into() });
            all.push_back((sid, i as u32));
            if i % 4096 == 0 {
                while engine.poll_output().is_some() {}
            }
        }
        // The agent takes the head by hand; the rest wait.
        req(&mut engine, now, agent, Request::ReqAssignUser);
        req(&mut engine, now, agent, Request::SetDndStatus { on: false });
        let serving = all.pop_front().unwrap();
        while engine.poll_output().is_some() {}
        Bench { journal: None, engine, now, queue, agent, waiting: all, serving, cycles: 0, outputs: 0 }
    }

    /// finish → offer → accept → re-queue.
    pub fn cycle(&mut self, advance_every: u64) {
        self.cycles += 1;
        if advance_every > 0 && self.cycles % advance_every == 0 {
            self.now = self.now.plus_millis(1);
        }
        let (queue, agent) = (self.queue, self.agent);
        // Requests carry fresh strings, as a server builds them from the wire.
        let (served_sid, served_n) = self.serving;
        self.step(agent, Request::FinishService { queue, user_id: user_id(served_n) });
        let head = self.waiting.pop_front().expect("someone waits");
        self.step(agent, Request::AcceptAssignUser { queue, user_id: user_id(head.1) });
        self.step(served_sid, Request::StartQueuing { queue, usr_ext_dat: "".into() });
        self.waiting.push_back((served_sid, served_n));
        self.serving = head;
        while self.engine.poll_output().is_some() {
            self.outputs += 1;
        }
    }

    /// One session request, journaled first when a journal is set.
    fn step(&mut self, session: SessionId, request: Request) {
        let input = Input::Session { session, request };
        if let Some(journal) = self.journal.as_mut() {
            journal(self.now, &input);
        }
        self.engine.handle(self.now, input).expect("bench request");
    }
}
