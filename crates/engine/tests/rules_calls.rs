//! Calls and rooms: CloudRoom's call flow (Call, AcceptCall, RejectCall, HangupCall,
//! HoldCall), rooms (CreateMeeting, EnterMeeting, ExitMeeting), asterCC call events,
//! GetSessionInfo, and a call as the conversation of a service (the ACD task completes
//! with the call, the service ends with it, wrap-up, next offer).

mod common;

use common::*;
use lineup_engine::{
    AcdError, AcdPhase, AppSettings, CallEvent, CallEventKind, CallSource, EndReason, MeetInfo, Name, Notice, Output,
    QueueDef, QueueId, QueuingInfo, Reply, Request, Roles, ServiceEnd, SessionEnd, SessionId, SessionInfo,
};

use CallEventKind::{Answer, Hangup, Incoming, Join, OnHold, Resume, Ringing};
use CallSource::{Agent, Callee, Caller, Conversation};

// ---- helpers ----

/// Agent "a" serves queue "q" (built from `def`); customer "c" queued and was accepted
/// by "a". Outputs so far are drained.
fn served_with(settings: AppSettings, def: QueueDef) -> (Sim, QueueId, SessionId, SessionId) {
    let mut sim = Sim::with_settings(settings);
    let q = sim.queue_def(def);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let c = sim.customer("c");
    sim.start_queuing_with(c, q, "ticket-7");
    sim.advance(2);
    sim.accept(a, q, c);
    sim.drain();
    (sim, q, a, c)
}

/// These tests are about calls themselves: any user may call any other (the app
/// setting); whom a customer may call by default has its own test at the end.
fn anyone() -> AppSettings {
    AppSettings { customer_calls: lineup_engine::CustomerCalls::Anyone, ..AppSettings::default() }
}

fn served() -> (Sim, QueueId, SessionId, SessionId) {
    served_with(anyone(), QueueDef::named("q"))
}

fn code(r: Result<Reply, AcdError>) -> u32 {
    match r {
        Ok(reply) => panic!("expected a refusal, got {reply:?}"),
        Err(e) => e.code(),
    }
}

/// A short description of the notices to `session` that matter for calls and services,
/// in order.
fn story(outputs: &[Output], session: SessionId) -> Vec<String> {
    notices_for(outputs, session)
        .into_iter()
        .filter_map(|n| {
            Some(match n {
                Notice::NotifyCallIn { caller_id, .. } => format!("call-in from {caller_id}"),
                Notice::NotifyCallAccepted { .. } => "accepted".into(),
                Notice::NotifyCallRejected { err, .. } => format!("rejected {err}"),
                Notice::NotifyCallHungup { .. } => "hungup".into(),
                Notice::NotifyCallHold { hold, .. } => format!("hold {hold}"),
                Notice::MeetingMember { user_id, entered, .. } => format!("member {user_id} {entered}"),
                Notice::CallEvent(e) => format!("event {} {}", e.source.name(), e.event.name()),
                Notice::ServiceFinished { reason, .. } => format!("finished {reason:?}"),
                Notice::AutoAssignUser(u) => format!("offer {}", u.user_id),
                Notice::QueuingInfoChanged(QueuingInfo::NotQueuing) => "not queuing".into(),
                _ => return None,
            })
        })
        .collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The ACD completions in `outputs` as (user, reason, talk_time).
fn completions(outputs: &[Output]) -> Vec<(String, Option<EndReason>, Option<lineup_engine::Time>)> {
    acd_states(outputs)
        .into_iter()
        .filter(|t| t.latest == AcdPhase::Completed)
        .map(|t| (t.user_id.to_string(), t.end_reason, t.talk_time))
        .collect()
}

// ---- calls ----

#[test]
fn call_rings_the_callee_and_accept_tells_the_caller() {
    let mut sim = Sim::with_settings(anyone());
    let x = sim.login_named("x", "Xavier", customer_roles());
    let y = sim.login_named("y", "Yvonne", customer_roles());
    let room = sim.create_meeting(x, "talk", "pw");
    let entered = sim.enter_meeting(x, room.id, "pw");
    assert_eq!(entered, MeetInfo { member_count: 1, members: vec![("x".into(), "Xavier".into())], ..room.clone() });
    sim.drain();
    let call = sim.call(x, y, room.id, "hello");
    assert!(call.starts_with("call-"), "{call}");
    let out = sim.drain();
    assert_eq!(
        call_notices(&out, y),
        vec![Notice::NotifyCallIn {
            call: call.clone(),
            meeting: Box::new(entered.clone()),
            caller_id: "x".into(),
            usr_ext_dat: "hello".into()
        }]
    );
    assert!(call_notices(&out, x).is_empty(), "{out:?}");
    let ringing = SessionInfo {
        call_id: call.clone(),
        peer_id: "y".into(),
        peer_name: "Yvonne".into(),
        accepted: false,
        meeting_id: room.id,
        meeting_pswd: "pw".into(),
        duration_s: 0,
    };
    sim.advance(3);
    assert_eq!(sim.session_info(x), ringing);
    assert_eq!(sim.session_info(y).peer_id, "x");
    assert_eq!(sim.session_info(y).peer_name, "Xavier");

    sim.accept_call(y, &call, "ok");
    let out = sim.drain();
    assert_eq!(
        call_notices(&out, x),
        vec![Notice::NotifyCallAccepted { call: call.clone(), meeting: Box::new(entered), usr_ext_dat: "ok".into() }]
    );
    assert!(call_notices(&out, y).is_empty(), "{out:?}");
    sim.advance(5);
    assert_eq!(sim.session_info(x), SessionInfo { accepted: true, duration_s: 5, ..ringing.clone() });
    assert_eq!(sim.session_info(y).call_id, call);
    assert!(sim.session_info(y).accepted);
    assert_eq!(sim.session_info(y).duration_s, 5);
}

#[test]
fn call_refusals_and_their_codes() {
    let mut sim = Sim::with_settings(anyone());
    sim.app_named("other", anyone());
    let (x, y, z) = (sim.customer("x"), sim.customer("y"), sim.customer("z"));
    let foreign = sim.login_in("other", "f", customer_roles());
    let foreign_room = sim.create_meeting(foreign, "theirs", "");
    let room = sim.create_meeting(x, "ours", "");
    sim.enter_meeting(x, room.id, "");
    sim.drain();

    assert_eq!(code(sim.try_call(x, "y", room.id + 100, None)), 800, "no such room");
    assert_eq!(code(sim.try_call(x, "y", foreign_room.id, None)), 800, "a room of another app");
    assert_eq!(code(sim.try_call(x, "nobody", room.id, None)), 605, "not logged in");
    assert_eq!(code(sim.try_call(x, "f", room.id, None)), 605, "a user of another app");
    match sim.try_call(x, "x", room.id, None) {
        Err(AcdError::InvalidParam { field, .. }) => assert_eq!(field, "UID"),
        other => panic!("calling yourself: {other:?}"),
    }
    sim.disconnect(z);
    assert_eq!(code(sim.try_call(x, "z", room.id, None)), 603, "held offline");
    sim.reconnect(z);
    let out = sim.drain();
    assert!(call_events(&out).is_empty() && call_notices(&out, y).is_empty(), "refused calls leave no trace");

    let call = sim.call(x, y, room.id, "");
    assert_eq!(code(sim.try_call(z, "y", room.id, None)), 602, "the callee is in a call");
    assert_eq!(code(sim.try_call(z, "x", room.id, None)), 602, "the caller is in a call");
    assert_eq!(code(sim.try_call(x, "z", room.id, None)), 601, "already calling");
    assert_eq!(code(sim.try_call(y, "z", room.id, None)), 601, "already called");
    // 601 comes first, whatever else is wrong.
    assert_eq!(code(sim.try_call(x, "nobody", room.id + 100, None)), 601);
    sim.accept_call(y, &call, "");
    assert_eq!(code(sim.try_call(z, "y", room.id, None)), 602, "busy while answered too");
    sim.hangup_call(x, &call, "");
    // Everyone is free again.
    let again = sim.call(z, y, room.id, "");
    assert_ne!(again, call, "a new call has a new id");
    assert_eq!(sim.session_info(x), SessionInfo::default());
}

#[test]
fn call_with_a_chosen_id() {
    let mut sim = Sim::with_settings(anyone());
    let (x, y, z) = (sim.customer("x"), sim.customer("y"), sim.customer("z"));
    let room = sim.create_meeting(x, "r", "");
    sim.enter_meeting(x, room.id, "");
    for bad in ["short-7", &"x".repeat(65), "has space", "semi;colon", "ünïcode-id"] {
        match sim.try_call(x, "y", room.id, Some(bad)) {
            Err(AcdError::InvalidParam { field, .. }) => assert_eq!(field, "callID", "{bad}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    let long = "A_b-9".repeat(12) + "xyzz"; // 64 characters
    assert_eq!(long.len(), 64);
    assert_eq!(sim.try_call(x, "y", room.id, Some(&long)), Ok(Reply::Call(long.as_str().into())));
    let out = sim.drain();
    assert!(matches!(&call_notices(&out, y)[0], Notice::NotifyCallIn { call, .. } if *call == long));
    assert!(call_events(&out).iter().all(|e| e.session_id == long));
    // The id of a call in progress cannot be taken again.
    let w = sim.customer("w");
    match sim.try_call(z, "w", room.id, Some(&long)) {
        Err(AcdError::InvalidParam { field, .. }) => assert_eq!(field, "callID"),
        other => panic!("duplicate id: {other:?}"),
    }
    sim.hangup_call(y, &long, "");
    assert_eq!(sim.try_call(z, "w", room.id, Some("abcdefgh")), Ok(Reply::Call("abcdefgh".into())));
    assert_eq!(sim.session_info(w).call_id, "abcdefgh");
}

#[test]
fn generated_call_ids_never_collide_with_chosen_ones() {
    let mut sim = Sim::with_settings(anyone());
    let (x, y, z, w) = (sim.customer("x"), sim.customer("y"), sim.customer("z"), sim.customer("w"));
    let room = sim.create_meeting(x, "r", "");
    sim.enter_meeting(x, room.id, "");
    // Generated ids are "call-<n>"; burn ids until "call-<n+2>" is a valid chosen id.
    let mut n: u64 = 0;
    while n < 100 {
        let call = sim.call(x, y, room.id, "");
        n = call.strip_prefix("call-").unwrap().parse().unwrap();
        sim.hangup_call(x, &call, "");
    }
    // The next call takes key n+1 (with a chosen id), the one after it key n+2.
    let chosen = format!("call-{}", n + 2);
    assert_eq!(sim.try_call(x, "y", room.id, Some(&chosen)), Ok(Reply::Call(chosen.as_str().into())));
    let generated = sim.call(z, w, room.id, "");
    assert_ne!(generated, chosen, "two calls in progress share the id {generated}");
}

#[test]
fn only_the_callee_answers_and_only_while_ringing() {
    let mut sim = Sim::with_settings(anyone());
    let (x, y, z) = (sim.customer("x"), sim.customer("y"), sim.customer("z"));
    let room = sim.create_meeting(x, "r", "");
    let call = sim.call(x, y, room.id, "");
    let req = |call: &str, which: u8| match which {
        0 => Request::AcceptCall { call: call.into(), usr_ext_dat: "".into() },
        1 => Request::RejectCall { call: call.into(), usr_ext_dat: "".into() },
        2 => Request::HangupCall { call: call.into(), usr_ext_dat: "".into() },
        _ => Request::HoldCall { call: call.into(), hold: true },
    };
    assert_eq!(sim.fail(x, req(&call, 0)).code(), 600, "the caller cannot accept");
    assert_eq!(sim.fail(x, req(&call, 1)).code(), 600, "the caller cannot reject");
    for which in 0..4 {
        assert_eq!(sim.fail(z, req(&call, which)).code(), 600, "a third party: {which}");
        assert_eq!(sim.fail(y, req("call-999999", which)).code(), 600, "an unknown id: {which}");
    }
    assert_eq!(sim.fail(y, req(&call, 3)).code(), 600, "no hold while ringing");
    assert!(matches!(sim.fail(z, req(&call, 0)), AcdError::InvalidCall(id) if id == call));
    sim.accept_call(y, &call, "");
    assert_eq!(sim.fail(y, req(&call, 0)).code(), 600, "accepted twice");
    assert_eq!(sim.fail(y, req(&call, 1)).code(), 600, "rejected after the answer");
    sim.hangup_call(y, &call, "");
    for which in 0..4 {
        assert_eq!(sim.fail(x, req(&call, which)).code(), 600, "an ended call: {which}");
    }
}

#[test]
fn reject_tells_the_caller_606() {
    let mut sim = Sim::with_settings(anyone());
    let (x, y) = (sim.customer("x"), sim.customer("y"));
    let room = sim.create_meeting(x, "r", "");
    sim.enter_meeting(x, room.id, "");
    let call = sim.call(x, y, room.id, "");
    sim.drain();
    sim.reject_call(y, &call, "busy now");
    let out = sim.drain();
    assert_eq!(
        call_notices(&out, x),
        vec![Notice::NotifyCallRejected { call: call.clone(), err: 606, usr_ext_dat: "busy now".into() }]
    );
    assert_eq!(AcdError::CALL_REFUSED, 606);
    assert!(call_notices(&out, y).is_empty(), "the rejecting side hears nothing: {out:?}");
    assert_eq!(sim.session_info(x), SessionInfo::default());
    assert_eq!(sim.session_info(y), SessionInfo::default());
    assert_eq!(sim.fail(y, Request::AcceptCall { call: call.clone(), usr_ext_dat: "".into() }).code(), 600);
    sim.call(y, x, room.id, ""); // both free
}

#[test]
fn no_answer_ends_the_call_at_the_call_timeout_with_604() {
    let mut sim = Sim::with_settings(AppSettings { call_timeout_s: 12, ..anyone() });
    assert_eq!(anyone().call_timeout_s, 30);
    let (x, y) = (sim.customer("x"), sim.customer("y"));
    let room = sim.create_meeting(x, "r", "");
    sim.enter_meeting(x, room.id, "");
    let call = sim.call(x, y, room.id, "");
    sim.drain();
    sim.advance_ms(11_999);
    assert!(call_events(&sim.drain()).is_empty());
    assert!(sim.session_info(y).call_id == call);
    sim.advance_ms(1);
    let out = sim.drain();
    assert_eq!(
        call_notices(&out, x),
        vec![Notice::NotifyCallRejected { call: call.clone(), err: AcdError::CALL_NO_ANSWER, usr_ext_dat: "".into() }]
    );
    assert_eq!(AcdError::CALL_NO_ANSWER, 604);
    assert_eq!(call_notices(&out, y), vec![Notice::NotifyCallHungup { call: call.clone(), usr_ext_dat: "".into() }]);
    let hangups: Vec<_> =
        call_events(&out).into_iter().map(|e| (e.source, e.event, e.active_num.to_string())).collect();
    assert_eq!(
        hangups,
        vec![(Callee, Hangup, "y".into()), (Caller, Hangup, "x".into()), (Conversation, Hangup, "x".into())],
        "the unanswered callee hangs up first"
    );
    assert_eq!(sim.session_info(x), SessionInfo::default());
    assert_eq!(sim.engine.poll_timeout(), None, "no timer left behind");
}

#[test]
fn answered_calls_do_not_time_out() {
    let mut sim = Sim::with_settings(AppSettings { call_timeout_s: 5, ..anyone() });
    let (x, y) = (sim.customer("x"), sim.customer("y"));
    let room = sim.create_meeting(x, "r", "");
    let call = sim.call(x, y, room.id, "");
    sim.advance(4);
    sim.accept_call(y, &call, "");
    sim.drain();
    sim.advance(60);
    assert!(sim.drain().is_empty());
    assert!(sim.session_info(x).accepted);
    assert_eq!(sim.session_info(x).duration_s, 60);
}

#[test]
fn call_timeout_setting_is_validated() {
    let mut sim = Sim::bare();
    for bad in [0, 3_601] {
        match sim.input(lineup_engine::Input::PutApp {
            app: "x".into(),
            settings: AppSettings { call_timeout_s: bad, ..anyone() },
        }) {
            Err(AcdError::InvalidParam { field, .. }) => assert_eq!(field, "call_timeout_s"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    for good in [1, 3_600] {
        let settings = AppSettings { call_timeout_s: good, ..anyone() };
        sim.input(lineup_engine::Input::PutApp { app: "x".into(), settings }).unwrap();
        assert_eq!(sim.engine.app_settings("x").unwrap().call_timeout_s, good);
    }
}

#[test]
fn hangup_by_either_party_tells_the_peer() {
    let mut sim = Sim::with_settings(anyone());
    let (x, y) = (sim.customer("x"), sim.customer("y"));
    let room = sim.create_meeting(x, "r", "");
    sim.enter_meeting(x, room.id, "");
    // The caller gives up while it rings.
    let call = sim.call(x, y, room.id, "");
    sim.drain();
    sim.hangup_call(x, &call, "never mind");
    let out = sim.drain();
    assert_eq!(
        call_notices(&out, y),
        vec![Notice::NotifyCallHungup { call: call.clone(), usr_ext_dat: "never mind".into() }]
    );
    assert!(call_notices(&out, x).is_empty());
    let steps: Vec<_> = call_events(&out).into_iter().map(|e| (e.source, e.event, e.active_num.to_string())).collect();
    assert_eq!(
        steps,
        vec![(Caller, Hangup, "x".into()), (Callee, Hangup, "y".into()), (Conversation, Hangup, "x".into())]
    );
    // The callee hangs up an answered call.
    let call = sim.call(x, y, room.id, "");
    sim.accept_call(y, &call, "");
    sim.drain();
    sim.hangup_call(y, &call, "bye");
    let out = sim.drain();
    assert_eq!(call_notices(&out, x), vec![Notice::NotifyCallHungup { call: call.clone(), usr_ext_dat: "bye".into() }]);
    assert!(call_notices(&out, y).is_empty());
    assert_eq!(call_steps(&out), vec![(Callee, Hangup), (Caller, Hangup), (Conversation, Hangup)]);
    assert_eq!((sim.session_info(x), sim.session_info(y)), (SessionInfo::default(), SessionInfo::default()));
}

#[test]
fn hold_and_resume_tell_the_peer() {
    let mut sim = Sim::with_settings(anyone());
    let (x, y) = (sim.customer("x"), sim.customer("y"));
    let room = sim.create_meeting(x, "r", "");
    let call = sim.call(x, y, room.id, "");
    sim.accept_call(y, &call, "");
    sim.drain();
    sim.hold_call(x, &call, true);
    let out = sim.drain();
    assert_eq!(call_notices(&out, y), vec![Notice::NotifyCallHold { call: call.clone(), hold: true }]);
    assert!(call_notices(&out, x).is_empty());
    assert_eq!(call_steps(&out), vec![(Callee, OnHold)]);
    sim.hold_call(x, &call, true);
    assert!(sim.drain().is_empty(), "holding a held call changes nothing");
    sim.hold_call(y, &call, false);
    let out = sim.drain();
    assert_eq!(call_notices(&out, x), vec![Notice::NotifyCallHold { call: call.clone(), hold: false }]);
    assert_eq!(call_steps(&out), vec![(Callee, Resume)], "resume names the party that was on hold, as onhold did");
    sim.hold_call(y, &call, false);
    assert!(sim.drain().is_empty(), "resuming a running call changes nothing");
    sim.hold_call(y, &call, true);
    assert_eq!(call_notices(&sim.drain(), x), vec![Notice::NotifyCallHold { call, hold: true }]);
}

#[test]
fn logout_and_hold_expiry_hang_up_the_call() {
    let mut sim = Sim::with_settings(AppSettings { hold_s: 20, ..anyone() });
    let (x, y, z) = (sim.customer("x"), sim.customer("y"), sim.customer("z"));
    let room = sim.create_meeting(x, "r", "");
    sim.enter_meeting(x, room.id, "");
    let call = sim.call(x, y, room.id, "");
    sim.accept_call(y, &call, "");
    sim.enter_meeting(y, room.id, "");
    sim.drain();
    sim.logout(y);
    let out = sim.drain();
    assert_eq!(
        call_notices(&out, x),
        vec![
            Notice::NotifyCallHungup { call: call.clone(), usr_ext_dat: "".into() },
            Notice::MeetingMember { meeting: room.id, user_id: "y".into(), name: "y".into(), entered: false },
        ]
    );
    assert_eq!(call_steps(&out), vec![(Callee, Hangup), (Caller, Hangup), (Conversation, Hangup)]);
    assert_eq!(sim.session_info(x), SessionInfo::default());

    // A ringing call of a session whose hold time runs out.
    let call = sim.call(z, x, room.id, "");
    sim.disconnect(z);
    sim.drain();
    sim.advance(19);
    assert_eq!(sim.session_info(x).call_id, call, "still ringing while z is held");
    sim.advance(1);
    let out = sim.drain();
    assert_eq!(ended_sessions(&out), vec![(z, SessionEnd::HoldExpired)]);
    assert_eq!(call_notices(&out, x), vec![Notice::NotifyCallHungup { call, usr_ext_dat: "".into() }]);
    assert_eq!(call_steps(&out), vec![(Caller, Hangup), (Callee, Hangup), (Conversation, Hangup)]);
    assert_eq!(sim.session_info(x), SessionInfo::default());
}

#[test]
fn session_info_survives_a_reload_and_the_page_rejoins() {
    let (mut sim, _q, a, c) = served_with(AppSettings { hold_s: 30, ..anyone() }, QueueDef::named("q"));
    let room = sim.create_meeting(a, "support", "4321");
    sim.enter_meeting(a, room.id, "4321");
    let call = sim.call(a, c, room.id, "");
    sim.accept_call(c, &call, "");
    sim.enter_meeting(c, room.id, "4321");
    sim.advance(10);
    sim.drain();
    let before = sim.session_info(c);
    assert_eq!(
        before,
        SessionInfo {
            call_id: call.clone(),
            peer_id: "a".into(),
            peer_name: "a".into(),
            accepted: true,
            meeting_id: room.id,
            meeting_pswd: "4321".into(),
            duration_s: 10,
        }
    );
    // The customer's page reloads: the connection drops, a new page logs in again.
    sim.disconnect(c);
    sim.advance(5);
    assert_eq!(sim.session_info(c), SessionInfo { duration_s: 15, ..before.clone() }, "held, still in the call");
    match sim.try_login_in(APP, "c", "c", customer_roles()).unwrap() {
        Reply::LoggedIn { session, resumed } => assert_eq!((session, resumed), (c, true)),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.session_info(c), SessionInfo { duration_s: 15, ..before.clone() });
    let rejoined = sim.enter_meeting(c, room.id, "4321");
    assert_eq!(rejoined.member_count, 2, "it never left the room");
    // The agent's page reloads through Disconnect/Reconnect.
    sim.disconnect(a);
    sim.reconnect(a);
    assert_eq!(sim.session_info(a).call_id, call);
    assert_eq!(sim.session_info(a).peer_id, "c");
    let out = sim.drain();
    assert!(call_notices(&out, a).is_empty() && call_notices(&out, c).is_empty(), "nobody hears of it: {out:?}");
    assert!(call_events(&out).is_empty(), "no join or hangup for a reload: {:?}", call_events(&out));
    sim.hangup_call(c, &call, "");
}

// ---- rooms ----

#[test]
fn create_meeting_returns_the_room_and_checks_its_fields() {
    let mut sim = Sim::with_settings(anyone());
    let x = sim.customer("x");
    sim.advance(1);
    let room = sim.create_meeting(x, "Subject", "secret");
    assert_ne!(room.id, 0);
    assert_eq!(
        room,
        MeetInfo {
            id: room.id,
            pswd: "secret".into(),
            subject: "Subject".into(),
            creator: "x".into(),
            member_count: 0,
            start_time: sim.now,
            members: Vec::new(),
        }
    );
    let longest = sim.create_meeting(x, &"s".repeat(128), &"p".repeat(64));
    assert_ne!(longest.id, room.id);
    assert_eq!(sim.create_meeting(x, "", "").subject.as_ref(), "", "an empty subject is allowed");
    for (subject, pswd, field) in [
        ("s".repeat(129), String::new(), "subject"),
        (String::new(), "p".repeat(65), "pswd"),
        ("a\nb".into(), String::new(), "subject"),
    ] {
        match sim.req(x, Request::CreateMeeting { subject: subject.into(), pswd: pswd.into() }) {
            Err(AcdError::InvalidParam { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn enter_meeting_checks_the_password_and_the_app() {
    let mut sim = Sim::with_settings(anyone());
    sim.app_named("other", anyone());
    let (x, y) = (sim.customer("x"), sim.customer("y"));
    let f = sim.login_in("other", "f", customer_roles());
    let room = sim.create_meeting(x, "r", "pw");
    let theirs = sim.create_meeting(f, "t", "");
    assert_eq!(sim.fail(y, Request::EnterMeeting { meeting: room.id, pswd: "PW".into() }).code(), 801);
    assert_eq!(sim.fail(y, Request::EnterMeeting { meeting: room.id, pswd: "".into() }).code(), 801);
    assert_eq!(sim.fail(y, Request::EnterMeeting { meeting: 4_000_000, pswd: "pw".into() }).code(), 800);
    assert_eq!(sim.fail(y, Request::EnterMeeting { meeting: theirs.id, pswd: "".into() }).code(), 800);
    assert_eq!(sim.fail(f, Request::EnterMeeting { meeting: room.id, pswd: "pw".into() }).code(), 800);
    assert_eq!(sim.fail(y, Request::ExitMeeting { meeting: theirs.id }).code(), 800);
    assert_eq!(sim.enter_meeting(y, room.id, "pw").member_count, 1);
}

#[test]
fn members_are_told_when_others_enter_and_leave() {
    let mut sim = Sim::with_settings(anyone());
    let x = sim.login_named("x", "Xena", customer_roles());
    let y = sim.login_named("y", "Yuri", customer_roles());
    let z = sim.login_named("z", "Zoe", customer_roles());
    let room = sim.create_meeting(x, "r", "");
    assert_eq!(sim.enter_meeting(x, room.id, "").member_count, 1);
    assert!(sim.drain().iter().all(|o| !matches!(o, Output::Notify { notice: Notice::MeetingMember { .. }, .. })));
    assert_eq!(sim.enter_meeting(y, room.id, "").member_count, 2);
    let member = |u: &str, n: &str, entered| Notice::MeetingMember {
        meeting: room.id,
        user_id: u.into(),
        name: n.into(),
        entered,
    };
    let out = sim.drain();
    assert_eq!(call_notices(&out, x), vec![member("y", "Yuri", true)]);
    assert!(call_notices(&out, y).is_empty(), "not told of itself");
    sim.enter_meeting(z, room.id, "");
    let out = sim.drain();
    assert_eq!(call_notices(&out, x), vec![member("z", "Zoe", true)]);
    assert_eq!(call_notices(&out, y), vec![member("z", "Zoe", true)]);
    let again = sim.enter_meeting(y, room.id, "");
    assert_eq!(again.member_count, 3, "entering again changes nothing");
    let listed: Vec<(&str, &str)> = again.members.iter().map(|(u, n)| (u.as_str(), n.as_str())).collect();
    assert_eq!(listed, [("x", "Xena"), ("y", "Yuri"), ("z", "Zoe")], "every member, in the order they entered");
    assert!(sim.drain().is_empty());
    sim.exit_meeting(y, room.id);
    let out = sim.drain();
    assert_eq!(call_notices(&out, x), vec![member("y", "Yuri", false)]);
    assert_eq!(call_notices(&out, z), vec![member("y", "Yuri", false)]);
    assert!(call_notices(&out, y).is_empty());
    assert_eq!(sim.fail(y, Request::ExitMeeting { meeting: room.id }).code(), 800, "not a member any more");
    // A member whose session ends leaves.
    sim.logout(z);
    assert_eq!(call_notices(&sim.drain(), x), vec![member("z", "Zoe", false)]);
    assert_eq!(sim.enter_meeting(y, room.id, "").member_count, 2);
}

#[test]
fn a_room_goes_once_its_creator_is_gone_nobody_is_in_it_and_no_call_invites_into_it() {
    let mut sim = Sim::with_settings(anyone());
    let (x, y, z) = (sim.customer("x"), sim.customer("y"), sim.customer("z"));
    let enter = |room: u32| Request::EnterMeeting { meeting: room, pswd: "".into() };

    // While its creator's session lives, an empty room stays (it may be entered later).
    let k1 = sim.customer("k1");
    let r1 = sim.create_meeting(k1, "r1", "");
    sim.advance(3_600);
    assert_eq!(sim.enter_meeting(x, r1.id, "").member_count, 1);
    sim.exit_meeting(x, r1.id);
    let call = sim.call(x, y, r1.id, "");
    sim.reject_call(y, &call, "");
    assert_eq!(sim.enter_meeting(z, r1.id, "").member_count, 1, "still there");
    sim.exit_meeting(z, r1.id);
    sim.logout(k1);
    assert_eq!(sim.fail(x, enter(r1.id)).code(), 800, "empty, uninvited, creator gone");

    // The creator leaves while others are in it: it stays until the last one leaves.
    let k2 = sim.customer("k2");
    let r2 = sim.create_meeting(k2, "r2", "");
    sim.enter_meeting(k2, r2.id, "");
    sim.enter_meeting(y, r2.id, "");
    sim.logout(k2);
    assert_eq!(sim.enter_meeting(z, r2.id, "").member_count, 2);
    sim.exit_meeting(y, r2.id);
    sim.exit_meeting(z, r2.id);
    assert_eq!(sim.fail(x, enter(r2.id)).code(), 800);

    // The creator leaves while a call invites into it: it stays until the call ends.
    let k3 = sim.customer("k3");
    let r3 = sim.create_meeting(k3, "r3", "");
    let call = sim.call(x, y, r3.id, "");
    sim.logout(k3);
    sim.accept_call(y, &call, "");
    assert_eq!(sim.enter_meeting(y, r3.id, "").member_count, 1, "kept for the call");
    sim.exit_meeting(y, r3.id);
    assert_eq!(sim.enter_meeting(z, r3.id, "").member_count, 1, "the answered call still invites into it");
    sim.exit_meeting(z, r3.id);
    sim.hangup_call(x, &call, "");
    assert_eq!(sim.fail(z, enter(r3.id)).code(), 800, "the call ended");

    // A creator in its own room and its own call: all ends with its session.
    let k4 = sim.customer("k4");
    let r4 = sim.create_meeting(k4, "r4", "");
    sim.enter_meeting(k4, r4.id, "");
    sim.call(k4, x, r4.id, "");
    sim.logout(k4);
    assert_eq!(sim.fail(x, enter(r4.id)).code(), 800);
    assert_eq!(sim.session_info(x), SessionInfo::default());
}

// ---- call events ----

/// Every call event reaches both parties' pages, identical to the business event.
fn assert_events_to_both(outputs: &[Output], x: SessionId, y: SessionId) -> Vec<CallEvent> {
    let business = call_events(outputs);
    assert_eq!(call_event_notices(outputs, x), business, "the events to {x:?}");
    assert_eq!(call_event_notices(outputs, y), business, "the events to {y:?}");
    business
}

#[test]
fn an_agent_calling_its_customer_emits_dialout_events_in_order() {
    let (mut sim, q, a, c) = served();
    let mut all = Vec::new();
    let room = sim.create_meeting(a, "support", "");
    let call = sim.call(a, c, room.id, "");
    let t_ring = sim.now;
    all.extend(sim.drain());
    sim.advance(2);
    sim.accept_call(c, &call, "");
    sim.enter_meeting(a, room.id, "");
    sim.enter_meeting(c, room.id, "");
    sim.hold_call(a, &call, true);
    sim.hold_call(a, &call, false);
    sim.hold_call(c, &call, true);
    sim.hold_call(c, &call, false);
    sim.advance(30);
    sim.hangup_call(c, &call, "");
    all.extend(sim.drain());
    let evs = assert_events_to_both(&all, a, c);
    let steps: Vec<_> = evs.iter().map(|e| (e.source, e.event, e.active_num.to_string())).collect();
    let (ag, cu) = (|| "a".to_string(), || "c".to_string());
    assert_eq!(
        steps,
        vec![
            (Callee, Ringing, cu()),
            (Callee, Answer, cu()),
            (Agent, Join, ag()),
            (Callee, Join, cu()),
            (Callee, OnHold, cu()),
            (Callee, Resume, cu()),
            (Agent, OnHold, ag()),
            (Agent, Resume, ag()),
            (Callee, Hangup, cu()),
            (Agent, Hangup, ag()),
            (Conversation, Hangup, ag()),
        ]
    );
    for e in &evs {
        assert_eq!(e.session_id, call);
        assert_eq!(e.caller_id_num, "c", "the customer's id");
        assert!(e.dialout);
        assert_eq!(e.queue, Some(q));
        assert_eq!(e.agent_id.as_deref(), Some("a"));
    }
    let ids: Vec<_> = evs.iter().map(|e| e.event_id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "strictly increasing: {ids:?}");
    assert_eq!(evs[0].event_time, t_ring);
    assert_eq!(evs[1].event_time, t_ring.plus_secs(2));
    assert_eq!(evs.last().unwrap().event_time, t_ring.plus_secs(32));
    let names: Vec<_> = evs.iter().map(|e| format!("{}/{}", e.source.name(), e.event.name())).collect();
    assert_eq!(names[0], "CALLEE/ringing");
    assert_eq!(names[10], "CONVERSATION/hangup");
    assert_eq!(
        [Incoming, Answer, OnHold, Resume, Join].map(CallEventKind::name),
        ["incoming", "answer", "onhold", "resume", "join"]
    );
    assert_eq!([Agent, Caller].map(CallSource::name), ["AGENT", "CALLER"]);
    // Business events carry the app and the time.
    let stamped: Vec<_> =
        events(&all).into_iter().filter(|e| matches!(e.kind, lineup_engine::EventKind::Call(_))).collect();
    assert_eq!(stamped.len(), evs.len());
    assert!(stamped.iter().zip(&evs).all(|(s, e)| &*s.app == APP && s.time == e.event_time));
}

#[test]
fn a_customer_calling_its_agent_emits_dialin_events() {
    let (mut sim, q, a, c) = served();
    let room = sim.create_meeting(c, "callback", "");
    sim.drain();
    let call = sim.call(c, a, room.id, "");
    let out = sim.drain();
    assert!(matches!(&call_notices(&out, a)[0], Notice::NotifyCallIn { caller_id, .. } if caller_id == "c"));
    let events = assert_events_to_both(&out, a, c);
    let steps: Vec<_> = events.iter().map(|e| (e.source, e.event, e.active_num.to_string())).collect();
    assert_eq!(steps, vec![(Caller, Incoming, "c".into()), (Agent, Ringing, "a".into())]);
    for e in &events {
        assert!(!e.dialout, "dialin");
        assert_eq!(e.caller_id_num, "c");
        assert_eq!((e.queue, e.agent_id.as_deref()), (Some(q), Some("a")));
    }
    sim.accept_call(a, &call, "");
    sim.enter_meeting(a, room.id, "");
    sim.hold_call(a, &call, true);
    sim.hangup_call(a, &call, "");
    let out = sim.drain();
    let events = assert_events_to_both(&out, a, c);
    let steps: Vec<_> = events.iter().map(|e| (e.source, e.event, e.active_num.to_string())).collect();
    assert_eq!(
        steps,
        vec![
            (Agent, Answer, "a".into()),
            (Agent, Join, "a".into()),
            (Caller, OnHold, "c".into()),
            (Agent, Hangup, "a".into()),
            (Caller, Hangup, "c".into()),
            (Conversation, Hangup, "a".into()),
        ]
    );
    // It was the service's conversation: answered = success, hung up = service over.
    assert_eq!(completions(&out), vec![("c".into(), Some(EndReason::Success), Some(sim.now))]);
    assert_eq!(
        service_finished(&out, c),
        vec![Notice::ServiceFinished {
            queue: q,
            agent_id: "a".into(),
            customer_id: "c".into(),
            reason: ServiceEnd::CallEnded
        }]
    );
}

#[test]
fn reject_and_no_answer_events_put_the_callee_first() {
    let (mut sim, _q, a, c) =
        served_with(AppSettings { call_timeout_s: 9, ..anyone() }, QueueDef::named("q"));
    let room = sim.create_meeting(a, "r", "");
    sim.enter_meeting(a, room.id, "");
    // An agent calls a customer it does not serve (no queue), who rejects.
    let x = sim.customer("x");
    let call = sim.call(a, x, room.id, "");
    sim.reject_call(x, &call, "");
    let out = sim.drain();
    let events = assert_events_to_both(&out, a, x);
    assert_eq!(
        events.iter().map(|e| (e.source, e.event)).collect::<Vec<_>>(),
        vec![(Callee, Ringing), (Callee, Hangup), (Agent, Hangup), (Conversation, Hangup)]
    );
    assert!(events.iter().all(|e| e.queue.is_none() && e.agent_id.as_deref() == Some("a") && e.caller_id_num == "x"));
    // The customer served lets it ring out.
    let call = sim.call(a, c, room.id, "");
    sim.drain();
    sim.advance(9);
    let out = sim.drain();
    assert_eq!(call_steps(&out), vec![(Callee, Hangup), (Agent, Hangup), (Conversation, Hangup)]);
    assert!(call_events(&out).iter().all(|e| e.session_id == call));
}

#[test]
fn event_ids_increase_per_app_across_calls() {
    let mut sim = Sim::with_settings(anyone());
    sim.app_named("other", anyone());
    let (x, y) = (sim.customer("x"), sim.customer("y"));
    let (f, g) = (sim.login_in("other", "f", customer_roles()), sim.login_in("other", "g", customer_roles()));
    let room = sim.create_meeting(x, "r", "");
    sim.enter_meeting(x, room.id, "");
    let theirs = sim.create_meeting(f, "t", "");
    sim.enter_meeting(f, theirs.id, "");
    let mut ids = Vec::new();
    let mut other_ids = Vec::new();
    for round in 0..3 {
        let call = sim.call(x, y, room.id, "");
        let other = sim.call(f, g, theirs.id, "");
        if round % 2 == 0 {
            sim.accept_call(y, &call, "");
        }
        sim.hangup_call(x, &call, "");
        sim.reject_call(g, &other, "");
        let out = sim.drain();
        for e in events(&out) {
            if let lineup_engine::EventKind::Call(c) = e.kind {
                if &*e.app == APP {
                    ids.push(c.event_id)
                } else {
                    other_ids.push(c.event_id)
                }
            }
        }
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert!(other_ids.windows(2).all(|w| w[0] < w[1]), "{other_ids:?}");
    assert_eq!(other_ids[0], 1, "each app counts on its own");
    assert_eq!(ids[0], 1);
    // Changing the app's settings does not restart the count.
    sim.app(anyone());
    let call = sim.call(x, y, room.id, "");
    let first = call_events(&sim.drain())[0].event_id;
    assert!(first > *ids.last().unwrap(), "{first} after {ids:?}");
    sim.hangup_call(y, &call, "");
}

#[test]
fn entering_another_room_is_no_join_of_the_call() {
    let (mut sim, _q, a, c) = served();
    let room = sim.create_meeting(a, "call room", "");
    let elsewhere = sim.create_meeting(a, "elsewhere", "");
    let call = sim.call(a, c, room.id, "");
    sim.accept_call(c, &call, "");
    sim.drain();
    sim.enter_meeting(c, elsewhere.id, "");
    assert!(call_events(&sim.drain()).is_empty());
    sim.enter_meeting(c, room.id, "");
    assert_eq!(call_steps(&sim.drain()), vec![(Callee, Join)]);
    sim.exit_meeting(c, room.id);
    sim.enter_meeting(c, room.id, "");
    assert_eq!(call_steps(&sim.drain()), vec![(Callee, Join)], "every entry of the room is a join");
}

// ---- a call as the conversation of a service ----

#[test]
fn full_flow_offer_accept_room_call_answer_hangup_wrapup_next_offer() {
    let mut sim = Sim::with_settings(anyone());
    let q = sim.queue_def(QueueDef { wrapup_s: 5, ..QueueDef::named("support") });
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing_with(c1, q, "order 1");
    sim.advance(1);
    sim.start_queuing(c2, q);
    let out = sim.drain();
    assert_eq!(offered_ids(&out, a), vec!["c1"]);

    // Accept: c1 is taken; its task stays "calling".
    sim.advance(2);
    sim.accept(a, q, c1);
    let out = sim.drain();
    assert_eq!(queuing_infos(&out, c1), vec![QueuingInfo::InService]);
    assert!(completions(&out).is_empty());
    let mut acd = acd_states(&out);

    // The agent opens a room and calls the customer into it.
    let room = sim.create_meeting(a, "Support for c1", "1234");
    assert_eq!(room.creator, "a");
    let call = sim.call(a, c1, room.id, "video");
    let out = sim.drain();
    assert_eq!(story(&out, c1), s(&["call-in from a", "event CALLEE ringing"]));
    assert_eq!(story(&out, a), s(&["event CALLEE ringing"]));
    let mut events = assert_events_to_both(&out, a, c1);

    // The customer answers: the task completes with success, talking from now.
    sim.advance(4);
    sim.accept_call(c1, &call, "");
    let t_answer = sim.now;
    let out = sim.drain();
    assert_eq!(story(&out, a), s(&["accepted", "event CALLEE answer"]));
    assert_eq!(completions(&out), vec![("c1".into(), Some(EndReason::Success), Some(t_answer))]);
    acd.extend(acd_states(&out));
    events.extend(assert_events_to_both(&out, a, c1));

    // Both enter the room; the agent holds and resumes.
    sim.enter_meeting(a, room.id, "1234");
    assert_eq!(sim.enter_meeting(c1, room.id, "1234").member_count, 2);
    sim.hold_call(a, &call, true);
    sim.hold_call(a, &call, false);
    let out = sim.drain();
    assert_eq!(
        story(&out, a),
        s(&["event AGENT join", "member c1 true", "event CALLEE join", "event CALLEE onhold", "event CALLEE resume"])
    );
    assert_eq!(
        story(&out, c1),
        s(&[
            "event AGENT join",
            "event CALLEE join",
            "hold true",
            "event CALLEE onhold",
            "hold false",
            "event CALLEE resume"
        ])
    );
    events.extend(assert_events_to_both(&out, a, c1));

    // The agent hangs up: the service ends with the call, the agent wraps up.
    sim.advance(60);
    sim.hangup_call(a, &call, "bye");
    let t_end = sim.now;
    let out = sim.drain();
    assert_eq!(
        story(&out, c1),
        s(&[
            "hungup",
            "event AGENT hangup",
            "event CALLEE hangup",
            "event CONVERSATION hangup",
            "finished CallEnded",
            "not queuing"
        ])
    );
    assert_eq!(
        story(&out, a),
        s(&["event AGENT hangup", "event CALLEE hangup", "event CONVERSATION hangup", "finished CallEnded"])
    );
    assert!(acd_states(&out).is_empty(), "the task completed at the answer, once");
    events.extend(assert_events_to_both(&out, a, c1));
    assert_eq!(sim.queuing_info(c1), QueuingInfo::NotQueuing);
    let view = &sim.engine.agents(APP)[0];
    assert_eq!(view.serving_customers, vec![]);
    assert_eq!(view.wrapup_until_ms, Some(t_end.plus_secs(5).as_millis()));
    assert_eq!(view.served_total, 1);
    assert_eq!(sim.session_info(a), SessionInfo::default());

    // After the wrap-up, the next customer.
    sim.advance_ms(4_999);
    assert!(offered_ids(&sim.drain(), a).is_empty(), "wrapping up");
    sim.advance_ms(1);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c2"]);

    // The whole call, in order, with increasing ids.
    let steps: Vec<_> = events.iter().map(|e| (e.source, e.event)).collect();
    assert_eq!(
        steps,
        vec![
            (Callee, Ringing),
            (Callee, Answer),
            (Agent, Join),
            (Callee, Join),
            (Callee, OnHold),
            (Callee, Resume),
            (Agent, Hangup),
            (Callee, Hangup),
            (Conversation, Hangup),
        ]
    );
    let ids: Vec<_> = events.iter().map(|e| e.event_id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert!(events.iter().all(|e| e.session_id == call && e.queue == Some(q) && e.caller_id_num == "c1"));
    // The task's life: waiting, calling (offer), completed (answer).
    let phases: Vec<_> = acd.iter().map(|t| (t.previous, t.latest)).collect();
    assert_eq!(phases, vec![(AcdPhase::Calling, AcdPhase::Completed)]);
    assert_eq!(acd[0].end_time, Some(t_answer));
    let stats = sim.engine.queue_stats(q).unwrap();
    assert_eq!((stats.served, stats.in_service, stats.waiting), (1, 0, 1), "c1 was served, c2 is being offered");
}

#[test]
fn a_rejected_service_call_fails_the_task_and_ends_the_service() {
    let (mut sim, q, a, c) = served_with(anyone(), QueueDef { wrapup_s: 3, ..QueueDef::named("q") });
    let next = sim.customer("next");
    sim.start_queuing(next, q);
    let room = sim.create_meeting(a, "r", "");
    let call = sim.call(a, c, room.id, "");
    sim.drain();
    sim.reject_call(c, &call, "not now");
    let out = sim.drain();
    assert_eq!(
        story(&out, a),
        s(&[
            "rejected 606",
            "event CALLEE hangup",
            "event AGENT hangup",
            "event CONVERSATION hangup",
            "finished CallEnded"
        ])
    );
    let acd = acd_states(&out);
    assert_eq!(acd.len(), 1);
    assert_eq!(
        (acd[0].previous, acd[0].latest, acd[0].end_reason),
        (AcdPhase::Calling, AcdPhase::Completed, Some(EndReason::CallFail))
    );
    assert_eq!((acd[0].talk_time, acd[0].end_time, acd[0].agent_id.as_deref()), (None, Some(sim.now), Some("a")));
    assert_eq!(EndReason::CallFail.name(), "call_fail");
    assert_eq!(sim.queuing_info(c), QueuingInfo::NotQueuing);
    sim.advance(3);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["next"], "offered again after the wrap-up");
}

#[test]
fn an_unanswered_service_call_fails_the_task_at_the_call_timeout() {
    let (mut sim, q, a, c) =
        served_with(AppSettings { call_timeout_s: 10, ..anyone() }, QueueDef::named("q"));
    let next = sim.customer("next");
    sim.start_queuing(next, q);
    let room = sim.create_meeting(a, "r", "");
    sim.call(a, c, room.id, "");
    sim.drain();
    sim.advance_ms(9_999);
    assert!(sim.drain().iter().all(|o| !matches!(o, Output::Event(_))), "nothing before the timeout");
    sim.advance_ms(1);
    let out = sim.drain();
    assert_eq!(story(&out, a)[0], "rejected 604");
    assert_eq!(story(&out, c)[0], "hungup");
    assert_eq!(completions(&out), vec![("c".into(), Some(EndReason::CallFail), None)]);
    assert_eq!(
        service_finished(&out, a),
        vec![Notice::ServiceFinished {
            queue: q,
            agent_id: "a".into(),
            customer_id: "c".into(),
            reason: ServiceEnd::CallEnded
        }]
    );
    assert_eq!(offered_ids(&out, a), vec!["next"], "no wrap-up in this queue: offered at once");
}

#[test]
fn the_customer_hanging_up_while_it_rings_is_a_hangup() {
    let (mut sim, _q, a, c) = served();
    let room = sim.create_meeting(a, "r", "");
    let call = sim.call(a, c, room.id, "");
    sim.drain();
    sim.hangup_call(c, &call, "");
    let out = sim.drain();
    assert_eq!(call_steps(&out), vec![(Callee, Hangup), (Agent, Hangup), (Conversation, Hangup)]);
    assert_eq!(completions(&out), vec![("c".into(), Some(EndReason::Hangup), None)]);
    assert_eq!(EndReason::Hangup.name(), "hangup");
    assert!(matches!(&service_finished(&out, c)[0], Notice::ServiceFinished { reason: ServiceEnd::CallEnded, .. }));
}

#[test]
fn the_agent_hanging_up_while_it_rings_is_a_call_fail() {
    let (mut sim, _q, a, c) = served();
    let room = sim.create_meeting(a, "r", "");
    let call = sim.call(a, c, room.id, "");
    sim.drain();
    sim.hangup_call(a, &call, "");
    let out = sim.drain();
    assert_eq!(call_steps(&out), vec![(Agent, Hangup), (Callee, Hangup), (Conversation, Hangup)]);
    assert_eq!(completions(&out), vec![("c".into(), Some(EndReason::CallFail), None)]);
    assert!(matches!(&service_finished(&out, a)[0], Notice::ServiceFinished { reason: ServiceEnd::CallEnded, .. }));
}

#[test]
fn finishing_a_service_without_a_call_succeeds_from_its_start() {
    let (mut sim, q, a, c) = served();
    let t_take = sim.now;
    sim.advance(40);
    sim.finish(a, q, c);
    let out = sim.drain();
    assert_eq!(completions(&out), vec![("c".into(), Some(EndReason::Success), Some(t_take))]);
    assert!(matches!(&service_finished(&out, a)[0], Notice::ServiceFinished { reason: ServiceEnd::Finished, .. }));
}

#[test]
fn finishing_after_an_answered_call_does_not_complete_twice() {
    let (mut sim, q, a, c) = served();
    let room = sim.create_meeting(a, "r", "");
    let call = sim.call(a, c, room.id, "");
    sim.accept_call(c, &call, "");
    assert_eq!(completions(&sim.drain()).len(), 1);
    sim.finish(a, q, c);
    let out = sim.drain();
    assert!(acd_states(&out).is_empty(), "{:?}", acd_states(&out));
    assert!(matches!(&service_finished(&out, a)[0], Notice::ServiceFinished { reason: ServiceEnd::Finished, .. }));
    // The call goes on after the service; its end ends no service any more.
    assert_eq!(sim.session_info(a).call_id, call);
    sim.hangup_call(c, &call, "");
    let out = sim.drain();
    assert!(service_finished(&out, a).is_empty() && acd_states(&out).is_empty());
}

#[test]
fn finishing_while_the_call_rings_completes_once_with_success() {
    let (mut sim, q, a, c) = served();
    let t_take = sim.now;
    let room = sim.create_meeting(a, "r", "");
    let call = sim.call(a, c, room.id, "");
    sim.advance(2);
    sim.finish(a, q, c);
    assert_eq!(completions(&sim.drain()), vec![("c".into(), Some(EndReason::Success), Some(t_take))]);
    sim.accept_call(c, &call, "");
    sim.hangup_call(a, &call, "");
    let out = sim.drain();
    assert!(acd_states(&out).is_empty() && service_finished(&out, a).is_empty(), "{out:?}");
}

#[test]
fn a_service_call_keeps_its_queue_in_events_after_finish_service() {
    let (mut sim, q, a, c) = served();
    let room = sim.create_meeting(a, "r", "");
    let call = sim.call(a, c, room.id, "");
    sim.finish(a, q, c);
    sim.drain();
    sim.accept_call(c, &call, "");
    sim.hangup_call(a, &call, "");
    let events = call_events(&sim.drain());
    assert_eq!(events.len(), 4);
    for e in &events {
        assert_eq!((e.queue, e.agent_id.as_deref()), (Some(q), Some("a")), "{:?} {:?}", e.source, e.event);
    }
}

#[test]
fn the_customer_leaving_during_the_service_is_a_hangup() {
    // Logout, no call.
    let (mut sim, _q, a, c) = served();
    sim.logout(c);
    let out = sim.drain();
    assert_eq!(completions(&out), vec![("c".into(), Some(EndReason::Hangup), None)]);
    assert!(matches!(&service_finished(&out, a)[0], Notice::ServiceFinished { reason: ServiceEnd::CustomerLeft, .. }));

    // Hold expiry while the service call rings.
    let (mut sim, _q, a, c) = served_with(AppSettings { hold_s: 10, ..anyone() }, QueueDef::named("q"));
    let room = sim.create_meeting(a, "r", "");
    let call = sim.call(a, c, room.id, "");
    sim.disconnect(c);
    sim.drain();
    sim.advance(10);
    let out = sim.drain();
    assert_eq!(ended_sessions(&out), vec![(c, SessionEnd::HoldExpired)]);
    assert_eq!(completions(&out), vec![("c".into(), Some(EndReason::Hangup), None)]);
    assert_eq!(call_notices(&out, a), vec![Notice::NotifyCallHungup { call, usr_ext_dat: "".into() }]);
    assert_eq!(service_finished(&out, a).len(), 1);
    assert_eq!(sim.engine.agents(APP)[0].serving_customers, vec![]);
}

#[test]
fn the_customer_leaving_during_an_answered_call_ends_the_service_once() {
    let (mut sim, _q, a, c) = served();
    let room = sim.create_meeting(a, "r", "");
    let call = sim.call(a, c, room.id, "");
    sim.accept_call(c, &call, "");
    sim.drain();
    sim.logout(c);
    let out = sim.drain();
    assert!(acd_states(&out).is_empty(), "completed at the answer");
    assert_eq!(call_notices(&out, a), vec![Notice::NotifyCallHungup { call, usr_ext_dat: "".into() }]);
    assert_eq!(service_finished(&out, a).len(), 1, "{out:?}");
    assert_eq!(call_steps(&out), vec![(Callee, Hangup), (Agent, Hangup), (Conversation, Hangup)]);
}

#[test]
fn the_agent_leaving_during_the_service_cancels_the_task() {
    // Logout.
    let (mut sim, q, a, c) = served();
    sim.logout(a);
    let out = sim.drain();
    assert_eq!(completions(&out), vec![("c".into(), Some(EndReason::Cancel), None)]);
    assert_eq!(
        service_finished(&out, c),
        vec![Notice::ServiceFinished {
            queue: q,
            agent_id: "a".into(),
            customer_id: "c".into(),
            reason: ServiceEnd::AgentLeft
        }]
    );
    assert_eq!(EndReason::Cancel.name(), "cancel");
    // Hold expiry.
    let (mut sim, _q, a, _c) = served_with(AppSettings { hold_s: 5, ..anyone() }, QueueDef::named("q"));
    sim.disconnect(a);
    sim.drain();
    sim.advance(5);
    let out = sim.drain();
    assert_eq!(ended_sessions(&out), vec![(a, SessionEnd::HoldExpired)]);
    assert_eq!(completions(&out), vec![("c".into(), Some(EndReason::Cancel), None)]);
}

#[test]
fn the_agent_leaving_while_the_service_call_rings_cancels_the_task() {
    let (mut sim, _q, a, c) = served();
    let room = sim.create_meeting(a, "r", "");
    let call = sim.call(a, c, room.id, "");
    sim.drain();
    sim.logout(a);
    let out = sim.drain();
    assert_eq!(call_notices(&out, c)[0], Notice::NotifyCallHungup { call, usr_ext_dat: "".into() });
    assert_eq!(completions(&out), vec![("c".into(), Some(EndReason::Cancel), None)]);
}

#[test]
fn ending_one_service_call_leaves_the_agents_other_services() {
    let mut sim = Sim::with_settings(anyone());
    let q = sim.queue("q", 5);
    let a = sim.agent("a");
    sim.capacity(a, 2);
    sim.start_service(a, q, 0);
    let (c1, c2, c3) = (sim.customer("c1"), sim.customer("c2"), sim.customer("c3"));
    sim.start_queuing(c1, q);
    sim.start_queuing(c2, q);
    sim.accept(a, q, c1);
    sim.accept(a, q, c2);
    sim.start_queuing(c3, q);
    let room = sim.create_meeting(a, "r", "");
    let call = sim.call(a, c2, room.id, "");
    sim.drain();
    sim.reject_call(c2, &call, "");
    let out = sim.drain();
    assert_eq!(completions(&out), vec![("c2".into(), Some(EndReason::CallFail), None)]);
    assert_eq!(service_finished(&out, c1), vec![], "c1's service goes on");
    assert_eq!(offered_ids(&out, a), vec!["c3"]);
    assert_eq!(sim.engine.agents(APP)[0].serving_customers, vec![(q, Name::from("c1"), None)]);
    // c1's task is still open: a call to c1 completes it.
    let call = sim.call(a, c1, room.id, "");
    sim.accept_call(c1, &call, "");
    assert_eq!(completions(&sim.drain()), vec![("c1".into(), Some(EndReason::Success), Some(sim.now))]);
    // The answered call's room is the service's, for a supervisor to monitor.
    assert_eq!(sim.engine.agents(APP)[0].serving_customers, vec![(q, Name::from("c1"), Some(room.id))]);
}

#[test]
fn a_call_outside_a_service_touches_no_task() {
    let mut sim = Sim::with_settings(anyone());
    let q = sim.queue("q", 5);
    let a = sim.agent("a");
    sim.dnd(a, true);
    sim.start_service(a, q, 0);
    let c = sim.customer("c");
    sim.start_queuing(c, q); // waiting, not served
    let room = sim.create_meeting(a, "r", "");
    sim.drain();
    let call = sim.call(a, c, room.id, "");
    sim.accept_call(c, &call, "");
    sim.hangup_call(c, &call, "");
    let out = sim.drain();
    assert!(acd_states(&out).is_empty(), "{:?}", acd_states(&out));
    assert!(service_finished(&out, a).is_empty());
    let events = call_events(&out);
    assert!(events.iter().all(|e| e.queue.is_none() && e.agent_id.as_deref() == Some("a") && e.dialout));
    assert_eq!(sim.position(c), (q, 0), "still waiting");
    // A customer calling an agent that serves queues (not it): dialin, agent side.
    let room = sim.create_meeting(c, "r2", "");
    sim.call(c, a, room.id, "");
    let events = call_events(&sim.drain());
    assert_eq!(
        events.iter().map(|e| (e.source, e.event)).collect::<Vec<_>>(),
        vec![(Caller, Incoming), (Agent, Ringing)]
    );
    assert!(events.iter().all(|e| !e.dialout && e.queue.is_none() && e.agent_id.as_deref() == Some("a")));
}

#[test]
fn calls_need_no_role() {
    let mut sim = Sim::with_settings(anyone());
    let x = sim.login("x", Roles::NONE);
    let y = sim.login("y", Roles::NONE);
    let room = sim.create_meeting(x, "r", "");
    let call = sim.call(x, y, room.id, "");
    sim.accept_call(y, &call, "");
    assert!(sim.session_info(x).accepted);
}

/// Whom a customer-only session may call (app setting `customer_calls`): by default only
/// the agent serving it, and the refusal is the same whether the callee exists, is
/// online or busy, so it tells nothing about other users.
#[test]
fn a_customer_may_call_only_its_agent_unless_the_app_allows_anyone() {
    let (mut sim, q, a, c) = served_with(AppSettings::default(), QueueDef::named("q"));
    let other = sim.agent("other");
    sim.start_service(other, q, 0);
    let room = sim.create_meeting(c, "mine", "");
    for callee in ["other", "nobody", "c2"] {
        assert_eq!(code(sim.try_call(c, callee, room.id, None)), 30, "{callee}");
    }
    assert!(sim.try_call(c, "a", room.id, None).is_ok(), "its own agent");
    let _ = a;

    let (mut sim, q, _, c) = served_with(
        AppSettings { customer_calls: lineup_engine::CustomerCalls::Anyone, ..AppSettings::default() },
        QueueDef::named("q"),
    );
    let other = sim.agent("other");
    sim.start_service(other, q, 0);
    let room = sim.create_meeting(c, "mine", "");
    assert!(sim.try_call(c, "other", room.id, None).is_ok());
    assert_eq!(code(sim.try_call(c, "nobody", room.id, None)), 601, "already in a call now");
}

#[test]
fn destroy_meeting_ends_the_room_and_its_calls_for_everyone() {
    let mut sim = Sim::with_settings(anyone());
    let x = sim.login_named("x", "Xavier", customer_roles());
    let y = sim.login_named("y", "Yvonne", customer_roles());
    let z = sim.login_named("z", "Zoe", customer_roles());
    let room = sim.create_meeting(x, "talk", "pw");
    sim.enter_meeting(x, room.id, "pw");
    sim.enter_meeting(z, room.id, "pw");
    let call = sim.call(x, y, room.id, "");
    sim.accept_call(y, &call, "");
    sim.enter_meeting(y, room.id, "pw");
    sim.drain();
    // Only the creator may destroy it.
    assert_eq!(code(sim.req(y, Request::DestroyMeeting { meeting: room.id })), 30);
    assert_eq!(code(sim.req(y, Request::DestroyMeeting { meeting: 9999 })), 800);
    sim.ok(x, Request::DestroyMeeting { meeting: room.id });
    let out = sim.drain();
    assert!(story(&out, y).contains(&"hungup".to_string()), "{:?}", story(&out, y));
    let stopped = |s: SessionId| notices_for(&out, s).iter().filter(|n| matches!(n, Notice::MeetingStopped { meeting } if *meeting == room.id)).count();
    assert_eq!((stopped(x), stopped(y), stopped(z)), (0, 1, 1), "every other member is told");
    assert_eq!(sim.session_info(x).call_id, "", "the call ended");
    assert_eq!(sim.session_info(y).call_id, "");
    assert_eq!(code(sim.req(z, Request::EnterMeeting { meeting: room.id, pswd: "pw".into() })), 800, "the room is gone");
    let again = sim.create_meeting(x, "next", "");
    assert!(again.id > room.id, "room ids are not reused");
}
