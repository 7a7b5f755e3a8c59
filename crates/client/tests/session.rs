//! The client session on a virtual clock, with a scripted server: pairing, heartbeat,
//! reconnect with backoff, resume within the hold time, LineOff, token expiry.

use lineup_client::{Event, Frame, OpHead, Payload, Phase, Session, SessionOp as Op, Transmit};
use lineup_protocol::codes;
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq)]
struct J(Value);

impl Payload for J {
    fn str_field(&self, key: &str) -> Option<String> {
        self.0.get(key)?.as_str().map(String::from)
    }
    fn u32_field(&self, key: &str) -> Option<u32> {
        self.0.get(key)?.as_u64().and_then(|n| u32::try_from(n).ok())
    }
}

/// A session plus what it asked for, as a driver would see it.
struct Rig {
    s: Session<J>,
    now: f64,
    /// Connections opened so far.
    connects: u32,
    closes: u32,
    /// The server of each connection opened.
    servers: Vec<usize>,
    /// Frames sent on the current connection: (seq, what).
    sent: Vec<(u64, Frame<J>)>,
    events: Vec<Event<J>>,
}

fn head(op: &str, q: Option<u32>) -> OpHead {
    OpHead { op: op.into(), que_id: q }
}

impl Rig {
    fn new() -> Rig {
        Rig { s: Session::new(), now: 1_000_000.0, connects: 0, closes: 0, servers: Vec::new(), sent: Vec::new(), events: Vec::new() }
    }

    fn pump(&mut self) {
        while let Some(t) = self.s.poll_transmit() {
            match t {
                Transmit::Connect { server } => {
                    self.connects += 1;
                    self.servers.push(server);
                    self.sent.clear();
                }
                Transmit::Close => self.closes += 1,
                Transmit::Send { seq, frame } => self.sent.push((seq, frame)),
            }
        }
        while let Some(e) = self.s.poll_event() {
            self.events.push(e);
        }
    }

    /// Advances the virtual clock, firing every deadline on the way.
    fn advance(&mut self, ms: f64) {
        let until = self.now + ms;
        while let Some(t) = self.s.poll_timeout().filter(|t| *t <= until) {
            self.now = self.now.max(t);
            self.s.handle_timeout(self.now);
            self.pump();
        }
        self.now = until;
    }

    /// The seq of the last frame sent for `op`.
    fn seq_of(&self, op: &str) -> u64 {
        self.sent
            .iter()
            .rev()
            .find(|(_, f)| match f {
                Frame::Op(o) => format!("{o:?}").starts_with(op),
                Frame::Page(p) => p.0["op"] == op,
            })
            .unwrap_or_else(|| panic!("no {op} sent: {:?}", self.sent))
            .0
    }

    fn reply(&mut self, seq: u64, err: u32, data: Value) {
        self.s.handle_reply(self.now, seq, err, if err == 0 { "ok".into() } else { "refused".into() }, J(data));
        self.pump();
    }

    fn login(&mut self, hold: u32, heartbeat: u32) -> u64 {
        let id = self.s.login(self.now, 0, "ticket-1".into(), None);
        self.pump();
        assert_eq!(self.connects, 1);
        let seq = self.seq_of("Login");
        assert_eq!(self.sent[0].1, Frame::Op(Op::Login { ticket: "ticket-1".into() }));
        self.reply(seq, 0, json!({"session": "tok", "holdSeconds": hold, "heartbeatSeconds": heartbeat, "UID": "u"}));
        assert_eq!(self.s.phase(), Phase::Online);
        id
    }

    /// The current connection closes (code 1006).
    fn drop_conn(&mut self) {
        self.s.handle_closed(self.now, 1006);
        self.pump();
    }

    /// Advances to the next scheduled deadline (a reconnect attempt); returns its time.
    fn next_attempt(&mut self) -> f64 {
        let next = self.s.poll_timeout().expect("a retry is scheduled");
        self.advance(next - self.now);
        next
    }

    /// The server accepts the pending Resume.
    fn resume_ok(&mut self) {
        let resume = self.seq_of("Resume");
        self.reply(resume, 0, json!({"session": "tok", "holdSeconds": 60, "heartbeatSeconds": 15}));
    }

    fn take_events(&mut self) -> Vec<Event<J>> {
        std::mem::take(&mut self.events)
    }

    fn request(&mut self, op: &str) -> u64 {
        let id = self.s.request(head(op, None), J(json!({"op": op})));
        self.pump();
        id
    }
}

fn reply_of(events: &[Event<J>], want: u64) -> Result<J, (u32, String)> {
    events
        .iter()
        .find_map(|e| match e {
            Event::Reply { id, result, .. } if *id == want => Some(result.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no reply to {want}: {events:?}"))
}

#[test]
fn login_then_requests_are_paired_with_their_replies() {
    let mut r = Rig::new();
    let login = r.login(60, 15);
    let ev = r.take_events();
    assert!(ev.iter().any(|e| matches!(e, Event::LoggedIn { id, data } if *id == login && data.0["UID"] == "u")));
    // The session asks for the call state after login (for GetSessionInfo).
    assert!(r.sent.iter().any(|(_, f)| *f == Frame::Op(Op::GetSessionInfo)));
    let a = r.request("InitQueueDat");
    let b = r.request("GetQueuingInfo");
    let (sa, sb) = (r.seq_of("InitQueueDat"), r.seq_of("GetQueuingInfo"));
    assert_ne!(sa, sb);
    // Replies in the other order still reach their requests.
    r.reply(sb, 0, json!({"queID": -1}));
    r.reply(sa, 400, json!(null));
    let ev = r.take_events();
    assert_eq!(reply_of(&ev, b).unwrap().0["queID"], -1);
    assert_eq!(reply_of(&ev, a).unwrap_err().0, 400);
    // A reply nobody waits for is ignored.
    r.reply(9999, 0, json!({}));
    assert!(r.take_events().is_empty());
}

#[test]
fn requests_before_login_fail_with_not_login() {
    let mut r = Rig::new();
    let id = r.request("InitQueueDat");
    assert_eq!(reply_of(&r.take_events(), id).unwrap_err().0, codes::NOT_LOGIN);
    assert!(r.sent.is_empty());
}

#[test]
fn a_refused_login_ends_idle_and_a_second_login_is_refused_while_logging_in() {
    let mut r = Rig::new();
    let id = r.s.login(r.now, 0, "bad".into(), None);
    let again = r.s.login(r.now, 0, "bad".into(), None);
    r.pump();
    assert_eq!(reply_of(&r.take_events(), again).unwrap_err().0, codes::LOGINSTATE_ERROR);
    let seq = r.seq_of("Login");
    r.reply(seq, codes::TOKEN_TIMEOUT, json!(null));
    assert_eq!(reply_of(&r.take_events(), id).unwrap_err().0, codes::TOKEN_TIMEOUT);
    assert_eq!(r.s.phase(), Phase::Idle);
    assert_eq!(r.closes, 1);
}

#[test]
fn heartbeat_pings_and_a_silent_connection_is_dropped_and_resumed() {
    let mut r = Rig::new();
    r.login(60, 15);
    r.take_events();
    // Pings every 15 s while the server answers.
    for _ in 0..3 {
        r.advance(15_000.0);
        let ping = r.seq_of("Ping");
        r.reply(ping, 0, json!({"time": 1}));
    }
    assert_eq!(r.connects, 1);
    // The server goes silent: after two intervals without a frame the connection is
    // dropped and the session resumes on a new one.
    r.advance(15_000.0);
    r.advance(15_000.0);
    r.advance(15_000.0);
    assert_eq!(r.s.phase(), Phase::Reconnecting);
    let ev = r.take_events();
    assert!(ev.iter().any(|e| *e == Event::Reconnecting { code: 4000 }), "{ev:?}");
    r.advance(200.0);
    assert_eq!(r.connects, 2);
    assert_eq!(r.sent[0].1, Frame::Op(Op::Resume { session: "tok".into() }));
}

#[test]
fn reconnect_backs_off_and_resumes_with_queued_requests_in_order() {
    let mut r = Rig::new();
    r.login(60, 15);
    let lost = r.request("GetQueuingInfo");
    r.take_events();
    r.s.handle_closed(r.now, 1006);
    r.pump();
    let ev = r.take_events();
    assert_eq!(reply_of(&ev, lost).unwrap_err().0, codes::CONNECTIONLOST, "a reply that was on the lost connection");
    assert!(ev.contains(&Event::Reconnecting { code: 1006 }));
    // Requests made while reconnecting wait.
    let a = r.request("StartQueuing");
    let b = r.request("GetQueuingInfo");
    assert!(r.take_events().is_empty());
    // Attempts at 200, 400, 800, 1600 ms: each new connection fails at once.
    let mut at = Vec::new();
    let start = r.now;
    for _ in 0..4 {
        let before = r.connects;
        at.push(r.next_attempt() - start);
        assert_eq!(r.connects, before + 1);
        r.drop_conn();
    }
    assert_eq!(at, vec![200.0, 600.0, 1400.0, 3000.0], "200, 400, 800, 1600 ms apart");
    // This one resumes.
    r.next_attempt();
    r.resume_ok();
    let ev = r.take_events();
    assert!(ev.contains(&Event::Reconnected));
    let order: Vec<String> = r.sent.iter().filter_map(|(_, f)| match f {
        Frame::Page(p) => Some(p.0["op"].as_str().unwrap().to_string()),
        _ => None,
    }).collect();
    assert_eq!(order, vec!["StartQueuing", "GetQueuingInfo"], "queued requests go out after the resume, in order");
    let (sa, sb) = (r.seq_of("StartQueuing"), r.seq_of("GetQueuingInfo"));
    r.reply(sa, 0, json!(null));
    r.reply(sb, 0, json!({"queID": 3}));
    let ev = r.take_events();
    assert!(reply_of(&ev, a).is_ok());
    assert_eq!(reply_of(&ev, b).unwrap().0["queID"], 3);
}

#[test]
fn past_the_hold_time_the_session_is_lost() {
    let mut r = Rig::new();
    r.login(5, 15);
    let waiting = {
        r.s.handle_closed(r.now, 1006);
        r.pump();
        r.request("StopQueuing")
    };
    r.take_events();
    // Every attempt fails until the hold time (5 s) plus a margin has passed.
    for _ in 0..20 {
        let Some(next) = r.s.poll_timeout() else { break };
        r.advance(next - r.now);
        if r.s.phase() == Phase::Idle {
            break;
        }
        r.s.handle_closed(r.now, 1006);
        r.pump();
    }
    assert_eq!(r.s.phase(), Phase::Idle);
    let ev = r.take_events();
    assert!(ev.contains(&Event::LineOff { sdk_err: codes::CONNECTIONLOST }), "{ev:?}");
    assert_eq!(reply_of(&ev, waiting).unwrap_err().0, codes::CONNECTIONLOST, "what waited fails");
    assert!(r.s.poll_timeout().is_none(), "nothing more to do");
}

#[test]
fn a_request_unanswered_at_a_1001_goes_out_again_after_the_resume() {
    let mut r = Rig::new();
    r.login(60, 15);
    let asked = r.request("GetQueuingInfo");
    r.pump();
    r.take_events();
    // The server stopped (or the app moved) before answering: it did not apply it.
    r.s.handle_closed(r.now, 1001);
    r.pump();
    let ev = r.take_events();
    assert!(!ev.iter().any(|e| matches!(e, Event::Reply { id, .. } if *id == asked)), "no error for it: {ev:?}");
    assert!(ev.contains(&Event::Reconnecting { code: 1001 }));
    r.advance(200.0);
    let resume = r.seq_of("Resume");
    r.reply(resume, 0, json!({"session": "tok", "holdSeconds": 60, "heartbeatSeconds": 15}));
    let again = r.seq_of("GetQueuingInfo");
    let at = |seq: u64| r.sent.iter().position(|(s, _)| *s == seq).unwrap();
    assert!(at(again) > at(resume), "sent again after the resume: {:?}", r.sent);
    r.reply(again, 0, json!({"queID": 1}));
    assert!(reply_of(&r.take_events(), asked).is_ok());
}

#[test]
fn a_resume_the_server_no_longer_knows_is_line_off() {
    let mut r = Rig::new();
    r.login(60, 15);
    r.s.handle_closed(r.now, 1001);
    r.pump();
    r.advance(200.0);
    let resume = r.seq_of("Resume");
    r.reply(resume, codes::NOT_LOGIN, json!(null));
    assert!(r.take_events().contains(&Event::LineOff { sdk_err: codes::CONNECTIONLOST }));
    assert_eq!(r.s.phase(), Phase::Idle);
}

#[test]
fn line_off_from_the_server_ends_the_session() {
    let mut r = Rig::new();
    r.login(60, 15);
    let waiting = r.request("GetQueuingInfo");
    r.take_events();
    r.s.handle_notice(r.now, "LineOff".into(), J(json!({"sdkErr": 10})));
    r.pump();
    let ev = r.take_events();
    assert!(ev.contains(&Event::LineOff { sdk_err: 10 }));
    assert_eq!(reply_of(&ev, waiting).unwrap_err().0, 10);
    assert_eq!(r.s.phase(), Phase::Idle);
    assert_eq!(r.closes, 1);
}

#[test]
fn notices_reach_the_page_and_call_notices_refresh_the_session_info() {
    let mut r = Rig::new();
    r.login(60, 15);
    r.take_events();
    let before = r.sent.len();
    r.s.handle_notice(r.now, "QueueStatusChanged".into(), J(json!({"queID": 1})));
    r.s.handle_notice(r.now, "NotifyCallIn".into(), J(json!({"callID": "c1"})));
    r.pump();
    let ev = r.take_events();
    let names: Vec<&str> = ev.iter().filter_map(|e| match e { Event::Notice { name, .. } => Some(name.as_str()), _ => None }).collect();
    assert_eq!(names, vec!["QueueStatusChanged", "NotifyCallIn"]);
    assert_eq!(r.sent.len(), before + 1);
    assert_eq!(r.sent.last().unwrap().1, Frame::Op(Op::GetSessionInfo));
    let seq = r.seq_of("GetSessionInfo");
    r.reply(seq, 0, json!({"callID": "c1"}));
    let ev = r.take_events();
    assert!(ev.iter().any(|e| matches!(e, Event::Reply { head, result: Ok(d), .. } if head.op == "GetSessionInfo" && d.0["callID"] == "c1")));
}

#[test]
fn the_token_warning_comes_a_minute_before_expiry() {
    let mut r = Rig::new();
    let expire_s = (r.now / 1000.0) + 120.0;
    r.s.login(r.now, 0, "t".into(), Some(expire_s));
    r.pump();
    let seq = r.seq_of("Login");
    r.reply(seq, 0, json!({"session": "tok", "holdSeconds": 60, "heartbeatSeconds": 100}));
    r.take_events();
    r.advance(59_000.0);
    assert!(!r.events.contains(&Event::TokenWillExpire));
    r.advance(2_000.0);
    assert!(r.events.contains(&Event::TokenWillExpire));
    let n = r.events.iter().filter(|e| **e == Event::TokenWillExpire).count();
    r.advance(300_000.0);
    assert_eq!(r.events.iter().filter(|e| **e == Event::TokenWillExpire).count(), n, "once");
}

#[test]
fn logout_tells_the_server_and_fails_what_waits() {
    let mut r = Rig::new();
    r.login(60, 15);
    let waiting = r.request("GetQueuingInfo");
    let out = r.s.logout();
    r.pump();
    let seq = r.seq_of("Logout");
    r.reply(seq, 0, json!(null));
    let ev = r.take_events();
    assert!(reply_of(&ev, out).is_ok());
    assert_eq!(reply_of(&ev, waiting).unwrap_err().0, codes::NOT_LOGIN);
    assert_eq!(r.s.phase(), Phase::Idle);
    assert!(r.s.poll_timeout().is_none());
    assert_eq!(r.s.pending(), 0);
}

#[test]
fn reconnecting_tries_every_server_address_in_turn_and_stays_on_the_one_that_resumed() {
    let mut r = Rig::new();
    r.s.set_servers(3);
    let id = r.s.login(r.now, 1, "ticket".into(), None);
    r.pump();
    let seq = r.seq_of("Login");
    r.reply(seq, 0, json!({"session": "tok", "holdSeconds": 60, "heartbeatSeconds": 15}));
    assert!(r.take_events().iter().any(|e| matches!(e, Event::LoggedIn { id: i, .. } if *i == id)));
    assert_eq!(r.servers, vec![1], "the socket goes where the ticket came from");
    // Server 1 dies: the first attempt is server 1 again, then 2, then 0 (which resumes).
    r.drop_conn();
    for _ in 0..2 {
        r.next_attempt();
        r.drop_conn();
    }
    r.next_attempt();
    assert_eq!(r.servers, vec![1, 1, 2, 0]);
    r.resume_ok();
    assert!(r.take_events().contains(&Event::Reconnected));
    assert_eq!(r.s.server(), 0, "it stays on the server that resumed it");
    // The next loss starts with that server.
    r.drop_conn();
    r.next_attempt();
    assert_eq!(r.servers.last(), Some(&0));
}
