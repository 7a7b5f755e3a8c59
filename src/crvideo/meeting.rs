//! CRVideo rooms and calls: CreateMeeting, EnterMeeting (2, 3), DestroyMeeting, StopMeeting, ExitMeeting,
//! SendIMmsg, SendCmd, SendMeetingCustomMsg and the call functions, with CloudRoom's parameter orders and result callbacks.

use lineup_protocol::{codes, MsgKind};
use lineup_protocol::ws::Op;
use wasm_bindgen::prelude::*;

use super::{core, err, fire, members, rslt, run, with_classic};
use crate::args::{cookie, id, number, text};
use crate::interop::get;

use crate::interop::{random_bytes, random_hex};

/// A room password the system makes (CloudRoom: createPswd > 0): 6 random digits.
fn new_password() -> String {
    let n = u32::from_le_bytes(random_bytes::<4>()) % 1_000_000;
    let mut s = n.to_string();
    while s.len() < 6 {
        s.insert(0, '0');
    }
    s
}

/// An id a function returns at once (CloudRoom's Call: callID, SendIMmsg: taskID):
/// `prefix` and 24 hex digits.
pub(super) fn new_id(prefix: char) -> String {
    let mut s = String::from(prefix);
    s.push_str(&random_hex::<12>());
    s
}

/// A room given as its id or as a meetObj (`{ID, ...}`).
fn meet_id(v: &JsValue) -> u32 {
    if v.is_object() {
        id(&get(v, "ID"))
    } else {
        id(v)
    }
}

fn create_meeting(subject: String, pswd: String, ck: JsValue) {
    run(Op::CreateMeeting { subject, pswd }, move |r| match r {
        Ok(meet) => fire("CreateMeetingSuccess", &[meet, ck]),
        Err(c) => fire("CreateMeetingFail", &[err(c), ck]),
    });
}

/// CloudRoom `CreateMeeting(meetSubject, createPswd, cookie)`: createPswd 0 no password,
/// > 0 one generated for the room (it comes back in meetObj.pswd), and RTCSDKV2's
/// `CreateMeeting({meetSubject, needPswd}, cookie)` → CreateMeetingSuccess(meetObj,
/// cookie) or CreateMeetingFail(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_CreateMeeting)]
pub fn create_meeting1(subject: JsValue, create_pswd: JsValue, ck: JsValue) {
    let (subject, create_pswd, ck) = if subject.is_object() {
        (get(&subject, "meetSubject"), get(&subject, "needPswd"), create_pswd)
    } else {
        (subject, create_pswd, ck)
    };
    let pswd = if number(&create_pswd) > 0.0 { new_password() } else { String::new() };
    create_meeting(text(&subject), pswd, cookie(&ck));
}

/// `CreateMeeting2({subject, pswd}, cookie)` (WebIE), `CreateMeeting2(subject, cookie)`,
/// and RTCSDKV2's `CreateMeeting2(cookie)`: one argument that is not an object is the cookie.
#[wasm_bindgen(js_name = CRVideo_CreateMeeting2)]
pub fn create_meeting2(params: JsValue, ck: JsValue) {
    if !params.is_object() && ck.is_undefined() {
        return create_meeting(String::new(), String::new(), cookie(&params));
    }
    let (subject, pswd) = if params.is_object() {
        let or = |a: &str, b: &str| {
            let v = get(&params, a);
            text(&if v.is_undefined() { get(&params, b) } else { v })
        };
        (or("subject", "meetSubject"), or("pswd", "password"))
    } else {
        (text(&params), String::new())
    };
    create_meeting(subject, pswd, cookie(&ck));
}

fn enter(meet: &JsValue, pswd: String, ck: JsValue) {
    let meet_id = meet_id(meet);
    run(Op::EnterMeeting { meet_id, pswd }, move |r| {
        if let Ok(room) = &r {
            with_classic(|s| s.meeting = meet_id);
            members::entered(meet_id, room);
        }
        fire("EnterMeetingRslt", &[err(r.err().unwrap_or(codes::NOERR)), ck]);
    });
}

/// CloudRoom `EnterMeeting(meetID, pswd, UID, nickName, cookie)`, and the short `(meetID,
/// pswd, cookie)` and `(meetID, pswd, nickName, cookie)` forms → EnterMeetingRslt(sdkErr,
/// cookie). The user and nickname are the logged-in session's.
#[wasm_bindgen(js_name = CRVideo_EnterMeeting)]
pub fn enter_meeting(meet: JsValue, pswd: JsValue, a: JsValue, b: JsValue, c: JsValue) {
    let ck = cookie([&c, &b, &a].into_iter().find(|v| !v.is_undefined()).unwrap_or(&a));
    enter(&meet, text(&pswd), ck);
}

/// RTCSDKV2 `EnterMeeting2(meetID, pswd, nickName, cookie)` (as EnterMeeting).
#[wasm_bindgen(js_name = CRVideo_EnterMeeting2)]
pub fn enter_meeting2(meet: JsValue, pswd: JsValue, nick_name: JsValue, ck: JsValue) {
    enter_meeting(meet, pswd, nick_name, ck, JsValue::UNDEFINED);
}

/// RTCSDKV2 `EnterMeeting3(meetID, cookie)`: a room without a password.
#[wasm_bindgen(js_name = CRVideo_EnterMeeting3)]
pub fn enter_meeting3(meet: JsValue, ck: JsValue) {
    enter(&meet, String::new(), cookie(&ck));
}

/// CloudRoom `DestroyMeeting(meetID, cookie)` → DestroyMeetingRslt(sdkErr, cookie)
/// (RTCSDKV2) and StopMeetingRslt(sdkErr, cookie) (WebIE): the creator ends the room for
/// everyone (the others get MeetingStopped).
#[wasm_bindgen(js_name = CRVideo_DestroyMeeting)]
pub fn destroy_meeting(meet: JsValue, ck: JsValue) {
    destroy(meet_id(&meet), cookie(&ck), &["DestroyMeetingRslt", "StopMeetingRslt"]);
}

/// RTCSDKV2 `StopMeeting(cookie)`: ends the room entered → StopMeetingRslt(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_StopMeeting)]
pub fn stop_meeting(ck: JsValue) {
    destroy(with_classic(|s| s.meeting), cookie(&ck), &["StopMeetingRslt"]);
}

fn destroy(meet_id: u32, ck: JsValue, answers: &'static [&'static str]) {
    run(Op::DestroyMeeting { meet_id }, move |r| {
        if r.is_ok() {
            with_classic(|s| {
                if s.meeting == meet_id {
                    s.meeting = 0;
                    s.members.clear();
                }
            });
        }
        for name in answers {
            fire(name, &[err(r.as_ref().err().copied().unwrap_or(codes::NOERR)), ck.clone()]);
        }
    });
}

/// Leaves a room (the one entered when no id is given).
#[wasm_bindgen(js_name = CRVideo_ExitMeeting)]
pub fn exit_meeting(meet: JsValue) {
    let meet_id = with_classic(|s| {
        let meet_id = if meet.is_undefined() { s.meeting } else { meet_id(&meet) };
        if meet_id == s.meeting {
            s.meeting = 0;
            s.members.clear();
        }
        meet_id
    });
    if meet_id != 0 {
        run(Op::ExitMeeting { meet_id }, |_| {});
    }
}

/// CloudRoom `Call(UID, meetObj, usrExtDat, cookie)`: returns the callID at once →
/// CallSuccess(callID, cookie) or CallFail(callID, sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_Call)]
pub fn call(uid: JsValue, meet: JsValue, usr_ext_dat: JsValue, ck: JsValue) -> String {
    let call_id = new_id('c');
    let ck = cookie(&ck);
    let op = Op::Call {
        call_id: Some(call_id.clone()),
        uid: text(&uid),
        meet_id: meet_id(&meet),
        usr_ext_dat: Some(text(&usr_ext_dat)),
    };
    let id = JsValue::from(call_id.as_str());
    run(op, move |r| match r {
        Ok(_) => fire("CallSuccess", &[id, ck]),
        Err(c) => fire("CallFail", &[id, err(c), ck]),
    });
    call_id
}

/// CloudRoom `SendIMmsg(text, UID, cookie)`: a text to the other members of the room
/// entered (an empty UID: to all of them); returns the taskID at once →
/// SendIMmsgRlst(taskID, sdkErr, cookie). They get NotifyIMmsg(fromUserID, text, sendTime).
#[wasm_bindgen(js_name = CRVideo_SendIMmsg)]
pub fn send_im_msg(msg: JsValue, uid: JsValue, ck: JsValue) -> String {
    send_text(msg, text(&uid), MsgKind::Text, move |id, code, ck| fire("SendIMmsgRlst", &[id, code, ck]), ck)
}

/// RTCSDKV2's spelling: `SendIMMsg(text, UID, cookie)` → SendIMMsgRslt(taskID, sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_SendIMMsg)]
pub fn send_im_msg2(msg: JsValue, uid: JsValue, ck: JsValue) -> String {
    send_text(msg, text(&uid), MsgKind::Text, move |id, code, ck| fire("SendIMMsgRslt", &[id, code, ck]), ck)
}

/// RTCSDKV2 `SendCmd(UID, data, cookie)`: data to one member of the room entered (in
/// Lineup a command travels as an in-room message); returns the taskID at once →
/// SendCmdRslt(taskID, sdkErr, cookie). The member gets NotifyCmdData(fromUserID, data).
#[wasm_bindgen(js_name = CRVideo_SendCmd)]
pub fn send_cmd(uid: JsValue, data: JsValue, ck: JsValue) -> String {
    let uid = text(&uid);
    if uid.is_empty() {
        // A command has one recipient: without one it would go to the whole room.
        let task_id = new_id('t');
        let (id, ck) = (JsValue::from(task_id.as_str()), cookie(&ck));
        wasm_bindgen_futures::spawn_local(async move { fire("SendCmdRslt", &[id, err(codes::MEETPARAM_ERR), ck]) });
        return task_id;
    }
    send_text(data, uid, MsgKind::Cmd, move |id, code, ck| fire("SendCmdRslt", &[id, code, ck]), ck)
}

/// RTCSDKV2 `SendMeetingCustomMsg(msg, cookie)`: a message to every member of the room
/// entered, this session included (as CloudRoom does) → SendMeetingCustomMsgRslt(sdkErr,
/// cookie); each member gets NotifyMeetingCustomMsg(fromUserID, msg).
#[wasm_bindgen(js_name = CRVideo_SendMeetingCustomMsg)]
pub fn send_meeting_custom_msg(msg: JsValue, ck: JsValue) {
    let (me, copy) = (with_classic(|s| s.me.0.clone()), msg.clone());
    send_text(
        msg,
        String::new(),
        MsgKind::Custom,
        move |_, code, ck| {
            let ok = code.as_f64() == Some(f64::from(codes::NOERR));
            fire("SendMeetingCustomMsgRslt", &[code, ck]);
            if ok {
                fire("NotifyMeetingCustomMsg", &[me.into(), text(&copy).into()]);
            }
        },
        ck,
    );
}

/// Sends a message of `kind` in the room entered (to `uid` only, unless empty); `answer`
/// gets (taskID, sdkErr, cookie). Returns the taskID.
fn send_text(msg: JsValue, uid: String, kind: MsgKind, answer: impl FnOnce(JsValue, JsValue, JsValue) + 'static, ck: JsValue) -> String {
    let task_id = new_id('t');
    let ck = cookie(&ck);
    let op = Op::SendIMmsg { meet_id: with_classic(|s| s.meeting), text: text(&msg), uid: (!uid.is_empty()).then_some(uid), kind };
    let id = JsValue::from(task_id.as_str());
    run(op, move |r| answer(id, err(r.err().unwrap_or(codes::NOERR)), ck));
    task_id
}

/// A call answer: `ok(callID, cookie)` or `bad(callID, sdkErr, cookie)`.
fn answer(op: Op, call_id: JsValue, ok: &'static str, bad: &'static str, ck: &JsValue) {
    let ck = cookie(ck);
    run(op, move |r| match r {
        Ok(_) => fire(ok, &[call_id, ck]),
        Err(c) => fire(bad, &[call_id, err(c), ck]),
    });
}

/// CloudRoom `AcceptCall(callID, meetObj, usrExtDat, cookie)`.
#[wasm_bindgen(js_name = CRVideo_AcceptCall)]
pub fn accept_call(call_id: JsValue, _meet: JsValue, usr_ext_dat: JsValue, ck: JsValue) {
    let op = Op::AcceptCall { call_id: text(&call_id), usr_ext_dat: Some(text(&usr_ext_dat)) };
    answer(op, call_id, "AcceptCallSuccess", "AcceptCallFail", &ck);
}

/// CloudRoom `RejectCall(callID, usrExtDat, cookie)`.
#[wasm_bindgen(js_name = CRVideo_RejectCall)]
pub fn reject_call(call_id: JsValue, usr_ext_dat: JsValue, ck: JsValue) {
    let op = Op::RejectCall { call_id: text(&call_id), usr_ext_dat: Some(text(&usr_ext_dat)) };
    answer(op, call_id, "RejectCallSuccess", "RejectCallFail", &ck);
}

/// CloudRoom `HungupCall(callID, usrExtDat, cookie)` → HangupCallSuccess / HangupCallFail.
#[wasm_bindgen(js_name = CRVideo_HungupCall)]
pub fn hungup_call(call_id: JsValue, usr_ext_dat: JsValue, ck: JsValue) {
    let op = Op::HungupCall { call_id: text(&call_id), usr_ext_dat: Some(text(&usr_ext_dat)) };
    answer(op, call_id, "HangupCallSuccess", "HangupCallFail", &ck);
}

/// The H5 spelling of HungupCall.
#[wasm_bindgen(js_name = CRVideo_HangupCall)]
pub fn hangup_call(call_id: JsValue, usr_ext_dat: JsValue, ck: JsValue) {
    hungup_call(call_id, usr_ext_dat, ck);
}

/// Lineup: → HoldCallRslt(callID, sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_HoldCall)]
pub fn hold_call(call_id: JsValue, ck: JsValue) {
    rslt(Op::HoldCall { call_id: text(&call_id) }, "HoldCallRslt", &ck, Some(call_id));
}

/// Lineup: → ResumeCallRslt(callID, sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_ResumeCall)]
pub fn resume_call(call_id: JsValue, ck: JsValue) {
    rslt(Op::ResumeCall { call_id: text(&call_id) }, "ResumeCallRslt", &ck, Some(call_id));
}

/// CloudRoom SessionInfo: the call this session is in (empty fields when none).
#[wasm_bindgen(js_name = CRVideo_GetSessionInfo)]
pub fn get_session_info() -> JsValue {
    core().borrow().cache.session_view()
}
