//! The CloudRoom drop-in in headless Chromium: the classic script's CRVideo_* functions
//! and `.callback` hooks, driven as CloudRoom's queue guide does, against a real server.
#![cfg(target_arch = "wasm32")]

#[path = "browser/harness.rs"]
mod harness;

use harness::*;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CRVIDEO: &str = include_str!("../js/src/crvideo.js");

fn eval(code: &str) -> JsValue {
    js_sys::eval(code).unwrap_or_else(|e| panic!("eval {code}: {e:?}"))
}

/// Installs the classic script with this test's core, records every callback into
/// `window.__cr` as `[name, ...args]`.
fn install() {
    // The module is this test's own (its CRVideo_* exports): the loader imports it again.
    eval("window.__LINEUP_CORE_LOADER__ = function () { return import('./wasm-bindgen-test.js'); }");
    eval(CRVIDEO);
    eval(
        "window.__cr = [];
         ['LoginSuccess','LoginFail','LineOff','InitQueueDatRslt','QueueStatusChanged','QueuingInfoChanged',
          'StartQueuingRslt','StopQueuingRslt','StartServiceRslt','StopServiceRslt','AutoAssignUser',
          'CancelAssignUser','ResponseAssignUserRslt','ReqAssignUserRslt','SetDNDStatusSuccess',
          'SetDNDStatusFail','UserEnter','UserLeave','FinishServiceRslt','GetQueueStatisticsRslt',
          'NotifyTokenWillExpire','GetQueueStatusRslt','SetAgentCapacityRslt','GetAgentsRslt']
           .forEach(function (n) {
             window['CRVideo_' + n].callback = function () {
               window.__cr.push([n].concat(Array.prototype.slice.call(arguments)));
             };
           });",
    );
}

/// The arguments of the next recorded callback `name` (waits up to 5 s).
async fn cb(name: &str) -> Vec<JsValue> {
    for _ in 0..250 {
        let log = Array::from(&eval("window.__cr"));
        if let Some(i) = log.iter().position(|e| Array::from(&e).get(0).as_string().as_deref() == Some(name)) {
            let entry = Array::from(&eval(&format!("window.__cr.splice({i}, 1)[0]")));
            return entry.iter().skip(1).collect();
        }
        sleep(20).await;
    }
    panic!("CRVideo_{name}.callback did not fire within 5 s; log: {}", json(&eval("window.__cr")));
}

#[wasm_bindgen_test]
async fn crvideo_surface_as_the_queue_guide_uses_it() {
    let (app, qs) = app("{}", &[2, 5]).await;
    let (q, q2) = (qs[0], qs[1]);
    install();
    // Globals exist synchronously, constants carry CloudRoom's numbers.
    // Both generations: `CRVideo_Init() == 0` (WebIE) and `CRVideo_Init().then(…)` (RTCSDKV2).
    assert_eq!(eval("CRVideo_Init() == 0").as_bool(), Some(true));
    assert_eq!(eval("typeof CRVideo_Init().then").as_string().as_deref(), Some("function"));
    assert_eq!(eval("CRVideo_QUE_NOUSER").as_f64(), Some(401.0));
    assert_eq!(eval("CRVideo_ALREADY_OTHERQUE").as_f64(), Some(404.0));
    assert_eq!(eval("typeof CRVideo_AutoAssignUser.callback").as_string().as_deref(), Some("function"));
    // CloudRoom's address list: nothing answers on the first, the login goes to the second.
    eval(&format!("CRVideo_SetServerAddr('127.0.0.1:9;{}')", server()));

    eval(&format!("CRVideo_Login('{app}', '{SECRET_MD5}', 'Agent Ann', 'ann', '', 'ck-login')"));
    let args = cb("LoginSuccess").await;
    assert_eq!((args[0].as_string(), args[1].as_string()), (Some("ann".into()), Some("ck-login".into())));

    eval("CRVideo_InitQueueDat('ck-init')");
    let args = cb("InitQueueDatRslt").await;
    assert_eq!((args[0].as_f64(), args[1].as_string()), (Some(0.0), Some("ck-init".into())));
    let queues = eval("CRVideo_GetAllQueueInfo()");
    assert_eq!(Array::from(&queues).length(), 2);
    assert_eq!(json(&Array::from(&queues).get(0)), format!(r#"{{"queID":{q},"name":"q0","desc":"queue 0","prio":2}}"#));
    assert_eq!(num(&eval(&format!("CRVideo_GetQueueStatus({q})")), "wait_num"), 0.0);

    // Agent: serve, get an offer, accept it from inside the callback (as the guide does).
    eval(&format!(
        "CRVideo_AutoAssignUser.callback = function (QueUser) {{
           window.__cr.push(['AutoAssignUser', QueUser]);
           CRVideo_AcceptAssignUser(QueUser.queID, QueUser.usrID, 'ck-accept');
         }};
         CRVideo_StartService({q}, 'ck-start')"
    ));
    let args = cb("StartServiceRslt").await;
    assert_eq!((args[0].as_f64(), args[1].as_f64(), args[2].as_string()), (Some(q.into()), Some(0.0), Some("ck-start".into())));
    assert_eq!(json(&eval("CRVideo_GetServingQueues()")), format!("[{q}]"));
    let (cust, _) = user(&app, "bob").await;
    ok(&cust, &format!(r#"{{"op":"StartQueuing","queID":{q},"usrExtDat":"vip"}}"#)).await;
    let enter = cb("UserEnter").await;
    assert_eq!(enter[0].as_f64(), Some(q.into()));
    let offer = cb("AutoAssignUser").await;
    assert_eq!(json(&offer[0]), format!(r#"{{"queID":{q},"usrID":"bob","name":"Nick bob","queuingTime":0,"usrExtDat":"vip"}}"#));
    let args = cb("ResponseAssignUserRslt").await;
    assert_eq!((args[0].as_f64(), args[1].as_string()), (Some(0.0), Some("ck-accept".into())));
    let leave = cb("UserLeave").await;
    assert_eq!((leave[1].as_string(), leave[2].as_f64()), (Some("bob".into()), Some(1.0)));
    eval(&format!("CRVideo_FinishService({q}, 'bob', 'ck-fin')"));
    assert_eq!(cb("FinishServiceRslt").await[0].as_f64(), Some(0.0));

    // Manual mode: DND on, nobody waiting → 401 through ReqAssignUserRslt.
    eval("CRVideo_SetDNDStatus(1, 'ck-dnd')");
    assert_eq!(cb("SetDNDStatusSuccess").await[0].as_string().as_deref(), Some("ck-dnd"));
    eval("CRVideo_ReqAssignUser('ck-req')");
    let args = cb("ReqAssignUserRslt").await;
    assert_eq!((args[0].as_f64(), args[1].is_null(), args[2].as_string()), (Some(401.0), true, Some("ck-req".into())));
    eval(&format!("CRVideo_StopService({q}, 'ck-stop')"));
    assert_eq!(cb("StopServiceRslt").await[1].as_f64(), Some(0.0));

    // Customer side of the same session: queue, one queue at a time, leave.
    eval("CRVideo_QueuingInfoChanged.callback = function (i) { window.__cr.push(['QueuingInfoChanged', i]); throw new Error('a page bug'); }");
    eval(&format!("CRVideo_StartQueuing({q2}, 'ck-q')"));
    assert_eq!(cb("StartQueuingRslt").await[0].as_f64(), Some(0.0));
    let info = cb("QueuingInfoChanged").await;
    assert_eq!(json(&info[0]), format!(r#"{{"queID":{q2},"position":0,"queuingTime":0,"estimatedWaitTime":-1}}"#));
    assert_eq!(num(&eval("CRVideo_GetQueuingInfo()"), "queID"), f64::from(q2), "a throwing callback broke nothing");
    eval(&format!("CRVideo_StartQueuing2({q}, 'data', 'ck-q2')"));
    let args = cb("StartQueuingRslt").await;
    assert_eq!((args[0].as_f64(), args[1].as_string()), (Some(404.0), Some("ck-q2".into())));
    eval("CRVideo_StopQueuing('ck-stopq')");
    let args = cb("StopQueuingRslt").await;
    assert_eq!((args[0].as_f64(), args[1].as_string()), (Some(0.0), Some("ck-stopq".into())));
    eval("CRVideo_StopQueuing('ck-again')");
    assert_eq!(cb("StopQueuingRslt").await[0].as_f64(), Some(401.0));

    // Lineup additions and the remaining queries.
    eval("CRVideo_SetAgentCapacity(0, 'ck-cap0')");
    assert_eq!(cb("SetAgentCapacityRslt").await[0].as_f64(), Some(5.0), "capacity 0 is refused");
    eval("CRVideo_SetAgentCapacity(2, 'ck-cap')");
    let args = cb("SetAgentCapacityRslt").await;
    assert_eq!((args[0].as_f64(), args[1].as_string()), (Some(0.0), Some("ck-cap".into())));
    eval(&format!("CRVideo_GetQueueStatistics({q}, 'ck-stats')"));
    let args = cb("GetQueueStatisticsRslt").await;
    assert_eq!((args[0].as_f64(), num(&args[1], "served")), (Some(0.0), 1.0));
    eval("CRVideo_GetAgents('ck-agents')");
    let args = cb("GetAgentsRslt").await;
    assert_eq!(text(&Array::from(&args[1]).get(0), "UID"), "ann");
    eval(&format!("CRVideo_GetQueueStatus({q}, 'ck-gqs')"));
    let args = cb("GetQueueStatusRslt").await;
    assert_eq!((num(&args[0], "queID"), args[1].as_f64(), args[2].as_string()), (f64::from(q), Some(0.0), Some("ck-gqs".into())));
    eval("CRVideo_RefreshAllQueueStatus()");
    cb("QueueStatusChanged").await;
    let session = eval("CRVideo_GetSessionInfo()");
    assert_eq!(json(&session), r#"{"callID":"","peerID":"","peerName":"","bCallAccepted":0,"meetingID":0,"meetingPswd":"","duration":0}"#);

    // The queue-level view for agents, and an offer cancelled when the customer leaves.
    eval(&format!("CRVideo_SetDNDStatus(1, 'd'); CRVideo_StartService2({q}, 7, 'ck-s2')"));
    assert_eq!(cb("StartServiceRslt").await[1].as_f64(), Some(0.0));
    let (waiting, _) = user(&app, "carl").await;
    ok(&waiting, &format!(r#"{{"op":"StartQueuing","queID":{q}}}"#)).await;
    cb("UserEnter").await;
    // The SDK asked for the queue's users when StartService2 was answered: the answer to
    // a request sent now comes after that one.
    eval(&format!("CRVideo_GetQueueStatus({q}, 'ck-after-users')"));
    cb("GetQueueStatusRslt").await;
    let users = eval(&format!("JSON.parse(CRVideo_GetQueueUsers({q}))"));
    assert_eq!(text(&Array::from(&users).get(0), "usrID"), "carl", "GetQueueUsers returns a JSON string of the waiting users");
    eval("CRVideo_AutoAssignUser.callback = function (u) { window.__cr.push(['AutoAssignUser', u]); }");
    eval("CRVideo_SetDNDStatus(0, 'ck-auto')");
    cb("AutoAssignUser").await;
    ok(&waiting, r#"{"op":"StopQueuing"}"#).await;
    let args = cb("CancelAssignUser").await;
    assert_eq!((args[0].as_f64(), args[1].as_string()), (Some(q.into()), Some("carl".into())));
    eval("CRVideo_Logout()");
    // The logout is answered when what the session knew is forgotten.
    until("the logout answered", || Array::from(&eval("CRVideo_GetAllQueueInfo()")).length() == 0).await;

    // LoginByToken; a token that expires within a minute is announced at once.
    let (status, v) = rest(
        "POST",
        &format!("/api/v1/apps/{app}/tokens"),
        Some(SECRET_MD5),
        Some(r#"{"UID":"tok","nickName":"Token user","roles":["agent","supervisor"],"expireSeconds":30}"#),
    )
    .await;
    assert_eq!(status, 200, "{}", json(&v));
    eval(&format!("CRVideo_LoginByToken('{}', 'Token user', 'tok', '', 'ck-tok')", text(&v, "token")));
    let args = cb("LoginSuccess").await;
    assert_eq!((args[0].as_string(), args[1].as_string()), (Some("tok".into()), Some("ck-tok".into())));
    cb("NotifyTokenWillExpire").await;
    eval(&format!("CRVideo_StartQueuing({q}, 'ck-role')"));
    assert_eq!(cb("StartQueuingRslt").await[0].as_f64(), Some(30.0), "the token has no customer role");

    // Calls through the CloudRoom surface: a core-API user calls this session.
    eval(
        "['NotifyCallIn','AcceptCallSuccess','NotifyCallEvent','HangupCallSuccess','CreateMeetingSuccess',
          'CallSuccess','CallFail','NotifyCallRejected','EnterMeetingRslt','NotifyCallHungup']
           .forEach(function (n) {
             window['CRVideo_' + n].callback = function () {
               window.__cr.push([n].concat(Array.prototype.slice.call(arguments)));
             };
           });",
    );
    let (caller, caller_ev) = user(&app, "dana").await;
    let meet = ok(&caller, r#"{"op":"CreateMeeting","subject":"talk","pswd":"pw"}"#).await;
    let meet_id = num(&meet, "ID") as u32;
    let call_id = text(&ok(&caller, &format!(r#"{{"op":"Call","UID":"tok","meetID":{meet_id},"usrExtDat":"ring"}}"#)).await, "callID");
    let call_in = cb("NotifyCallIn").await;
    assert_eq!(call_in[0].as_string(), Some(call_id.clone()));
    assert_eq!(num(&call_in[1], "ID") as u32, meet_id);
    assert_eq!((call_in[2].as_string(), call_in[3].as_string()), (Some("dana".into()), Some("ring".into())));
    // Neither party serves a queue: a plain call, CALLER incoming then CALLEE ringing.
    let incoming = cb("NotifyCallEvent").await;
    assert_eq!((text(&incoming[0], "source"), text(&incoming[0], "event"), text(&incoming[0], "from")), ("CALLER".into(), "incoming".into(), "dialin".into()));
    let ringing = cb("NotifyCallEvent").await;
    assert_eq!((text(&ringing[0], "source"), text(&ringing[0], "event")), ("CALLEE".into(), "ringing".into()));
    eval(&format!("CRVideo_AcceptCall('{call_id}', CRVideo_GetSessionInfo(), 'ok', 'ck-acc')"));
    let args = cb("AcceptCallSuccess").await;
    assert_eq!((args[0].as_string(), args[1].as_string()), (Some(call_id.clone()), Some("ck-acc".into())));
    assert_eq!(text(&caller_ev.next("NotifyCallAccepted").await, "usrExtDat"), "ok");
    // The SDK asked for the session info when the accept was answered: the answer to a
    // request sent now comes after that one.
    eval(&format!("CRVideo_GetQueueStatus({q}, 'ck-after-accept')"));
    cb("GetQueueStatusRslt").await;
    let info = eval("CRVideo_GetSessionInfo()");
    assert_eq!((text(&info, "callID"), text(&info, "peerID"), num(&info, "bCallAccepted")), (call_id.clone(), "dana".into(), 1.0));
    eval(&format!("CRVideo_EnterMeeting({meet_id}, 'pw', 'ck-enter')"));
    assert_eq!(cb("EnterMeetingRslt").await[0].as_f64(), Some(0.0));
    eval(&format!("CRVideo_HungupCall('{call_id}', 'bye', 'ck-hang')"));
    assert_eq!(cb("HangupCallSuccess").await[1].as_string().as_deref(), Some("ck-hang"));
    assert_eq!(text(&caller_ev.next("NotifyCallHungup").await, "usrExtDat"), "bye");
    // This session calls: CRVideo_Call returns the callID at once; CallSuccess repeats it.
    eval("CRVideo_CreateMeeting({meetSubject: 'v2 room', needPswd: 0}, 'ck-v2')");
    let created = cb("CreateMeetingSuccess").await;
    assert_eq!((text(&created[0], "subject"), text(&created[0], "pswd"), created[1].as_string()), ("v2 room".into(), "".into(), Some("ck-v2".into())));
    eval("CRVideo_CreateMeeting('mine', '', 'ck-cm')");
    let created = cb("CreateMeetingSuccess").await;
    let my_meet = num(&created[0], "ID");
    let my_call = eval(&format!("CRVideo_Call('dana', {{ID: {my_meet}}}, 'x', 'ck-call')")).as_string().unwrap();
    let args = cb("CallSuccess").await;
    assert_eq!((args[0].as_string(), args[1].as_string()), (Some(my_call.clone()), Some("ck-call".into())));
    assert_eq!(text(&caller_ev.next("NotifyCallIn").await, "callID"), my_call);
    ok(&caller, &format!(r#"{{"op":"RejectCall","callID":"{my_call}"}}"#)).await;
    let rejected = cb("NotifyCallRejected").await;
    assert_eq!((rejected[0].as_string(), rejected[1].as_f64()), (Some(my_call), Some(606.0)));

    // The same user logging in elsewhere: LineOff(10).
    let (_other, _) = user(&app, "tok").await;
    assert_eq!(cb("LineOff").await[0].as_f64(), Some(10.0));
}

