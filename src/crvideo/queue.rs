//! CRVideo queue functions: queue information, agents (StartService, offers, DND, manual
//! assignment) and customers (StartQueuing). Parameters in CloudRoom's order, results
//! through the Rslt callbacks CloudRoom names.

use js_sys::Array;
use lineup_protocol::codes;
use lineup_protocol::ws::Op;
use wasm_bindgen::prelude::*;

use super::events::que_user;
use super::{core, data_rslt, err, fire, rslt, run, with_classic};
use crate::args::{cookie, id, number, opt_attributes, opt_skills, text};
use crate::interop::{get, stringify};

// ---- queue information ----

/// → InitQueueDatRslt(sdkErr, cookie); the queues are then in GetAllQueueInfo.
#[wasm_bindgen(js_name = CRVideo_InitQueueDat)]
pub fn init_queue_dat(ck: JsValue) {
    rslt(Op::InitQueueDat, "InitQueueDatRslt", &ck, None);
}

#[wasm_bindgen(js_name = CRVideo_GetAllQueueInfo)]
pub fn get_all_queue_info() -> Array {
    core().borrow().cache.queue_list()
}

/// The queue's last known QueStatus. With a cookie (the H5 form) it is also asked of the
/// server and answered through GetQueueStatusRslt(status, sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_GetQueueStatus)]
pub fn get_queue_status(que_id: JsValue, ck: JsValue) -> JsValue {
    let q = id(&que_id);
    if !ck.is_undefined() {
        let ck = cookie(&ck);
        run(Op::GetQueueStatus { que_id: q }, move |r| match r {
            Ok(s) => fire("GetQueueStatusRslt", &[s, err(codes::NOERR), ck]),
            Err(c) => fire("GetQueueStatusRslt", &[JsValue::NULL, err(c), ck]),
        });
    }
    core().borrow().cache.status_of(q)
}

/// Every queue's status again (as QueueStatusChanged).
#[wasm_bindgen(js_name = CRVideo_RefreshAllQueueStatus)]
pub fn refresh_all_queue_status() {
    run(Op::RefreshAllQueueStatus, |_| {});
}

#[wasm_bindgen(js_name = CRVideo_GetQueuingInfo)]
pub fn get_queuing_info() -> JsValue {
    core().borrow().cache.queuing_view()
}

#[wasm_bindgen(js_name = CRVideo_GetServingQueues)]
pub fn get_serving_queues() -> Array {
    core().borrow().cache.serving_list()
}

/// The customers of a queue this agent serves, as WebIE gives them: a JSON string. With
/// a cookie (RTCSDKV2's `GetQueueUsers(queID, cookie)`) also answered through
/// GetQueueUsersRslt(sdkErr, QueUser[], cookie).
#[wasm_bindgen(js_name = CRVideo_GetQueueUsers)]
pub fn get_queue_users(que_id: JsValue, ck: JsValue) -> String {
    let q = id(&que_id);
    let users: Option<Array> = with_classic(|c| c.queue_users.get(q).map(|u| u.iter().collect()));
    if !ck.is_undefined() {
        let ck = cookie(&ck);
        let (code, list) = match &users {
            Some(u) => (codes::NOERR, u.clone()),
            None => (codes::QUE_SERVICE_NOT_START, Array::new()),
        };
        wasm_bindgen_futures::spawn_local(async move { fire("GetQueueUsersRslt", &[err(code), list.into(), ck]) });
    }
    stringify(&users.unwrap_or_default()).unwrap_or_else(|| "[]".into())
}

// ---- agents ----

fn start_service(que_id: u32, priority: u16, skills: Option<std::collections::BTreeMap<String, u8>>, ck: JsValue) {
    run(Op::StartService { que_id, priority: Some(priority), skills }, move |r| {
        let ok = r.is_ok();
        fire("StartServiceRslt", &[que_id.into(), err(r.err().unwrap_or(codes::NOERR)), ck]);
        if ok {
            // The queue's customers, for GetQueueUsers (kept up to date by UserEnter/Leave).
            let op = Op::GetQueueUsers { que_id, offset: None, limit: Some(1000) };
            run(op, move |r| {
                if let Ok(d) = r {
                    let users = Array::from(&get(&d, "users")).iter().map(que_user).collect();
                    with_classic(|c| c.queue_users.insert(que_id, users));
                }
            });
        }
    });
}

/// WebIE `StartService(queID, cookie)` and RTCSDKV2 `StartService(queID, priority,
/// cookie)` → StartServiceRslt(queID, sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_StartService)]
pub fn start_service1(que_id: JsValue, a: JsValue, b: JsValue) {
    if b.is_undefined() {
        start_service(id(&que_id), 0, None, cookie(&a));
    } else {
        start_service2(que_id, a, b, JsValue::UNDEFINED);
    }
}

/// Lineup's StartService with the agent's priority for the queue (0 is highest) and,
/// optionally after the cookie, its skills (`{"language.cantonese": 7}`, levels 0–10).
#[wasm_bindgen(js_name = CRVideo_StartService2)]
pub fn start_service2(que_id: JsValue, priority: JsValue, ck: JsValue, skills: JsValue) {
    let q = id(&que_id);
    match opt_skills(&skills, "skills") {
        Ok(skills) => start_service(q, number(&priority).clamp(0.0, 65_535.0) as u16, skills, cookie(&ck)),
        Err((code, _)) => refuse("StartServiceRslt", &[q.into(), err(code), cookie(&ck)]),
    }
}

/// Answers a call whose arguments were refused, as the server's answer would come
/// (later, never inside the call).
fn refuse(name: &'static str, args: &[JsValue]) {
    let args = args.to_vec();
    wasm_bindgen_futures::spawn_local(async move { fire(name, &args) });
}

/// → StopServiceRslt(queID, sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_StopService)]
pub fn stop_service(que_id: JsValue, ck: JsValue) {
    let q = id(&que_id);
    let ck = cookie(&ck);
    run(Op::StopService { que_id: q }, move |r| {
        if r.is_ok() {
            with_classic(|c| c.queue_users.remove(q));
        }
        fire("StopServiceRslt", &[q.into(), err(r.err().unwrap_or(codes::NOERR)), ck]);
    });
}

/// → ResponseAssignUserRslt(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_AcceptAssignUser)]
pub fn accept_assign_user(que_id: JsValue, usr_id: JsValue, ck: JsValue) {
    rslt(Op::AcceptAssignUser { que_id: id(&que_id), usr_id: text(&usr_id) }, "ResponseAssignUserRslt", &ck, None);
}

/// → ResponseAssignUserRslt(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_RejectAssignUser)]
pub fn reject_assign_user(que_id: JsValue, usr_id: JsValue, ck: JsValue) {
    rslt(Op::RejectAssignUser { que_id: id(&que_id), usr_id: text(&usr_id) }, "ResponseAssignUserRslt", &ck, None);
}

/// → SetDNDStatusSuccess(cookie) or SetDNDStatusFail(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_SetDNDStatus)]
pub fn set_dnd_status(status: JsValue, ck: JsValue) {
    let ck = cookie(&ck);
    run(Op::SetDNDStatus { dnd_status: number(&status) as i64 }, move |r| match r {
        Ok(_) => fire("SetDNDStatusSuccess", &[ck]),
        Err(c) => fire("SetDNDStatusFail", &[err(c), ck]),
    });
}

/// Sends a manual assignment, answered as ReqAssignUserRslt(sdkErr, QueUser or null, cookie).
fn req_assign(op: Op, ck: &JsValue) {
    let ck = cookie(ck);
    run(op, move |r| match r {
        Ok(user) => fire("ReqAssignUserRslt", &[err(codes::NOERR), que_user(user), ck]),
        Err(c) => fire("ReqAssignUserRslt", &[err(c), JsValue::NULL, ck]),
    });
}

/// → ReqAssignUserRslt(sdkErr, QueUser or null, cookie).
#[wasm_bindgen(js_name = CRVideo_ReqAssignUser)]
pub fn req_assign_user(ck: JsValue) {
    req_assign(Op::ReqAssignUser, &ck);
}

/// → ReqAssignUserRslt(sdkErr, QueUser or null, cookie).
#[wasm_bindgen(js_name = CRVideo_ReqAssignUser2)]
pub fn req_assign_user2(que_id: JsValue, usr_id: JsValue, ck: JsValue) {
    req_assign(Op::ReqAssignUser2 { que_id: id(&que_id), usr_id: text(&usr_id) }, &ck);
}

// ---- customers ----

fn start_queuing(que_id: &JsValue, usr_ext_dat: &JsValue, ck: &JsValue, attributes: &JsValue) {
    let attributes = match opt_attributes(attributes, "attributes") {
        Ok(a) => a,
        Err((code, _)) => return refuse("StartQueuingRslt", &[err(code), cookie(ck)]),
    };
    let op = Op::StartQueuing { que_id: id(que_id), usr_ext_dat: Some(text(usr_ext_dat)), attributes };
    rslt(op, "StartQueuingRslt", ck, None);
}

/// `StartQueuing(queID, cookie)`, and the H5 form `(queID, usrExtDat, cookie)` →
/// StartQueuingRslt(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_StartQueuing)]
pub fn start_queuing1(que_id: JsValue, a: JsValue, b: JsValue) {
    if b.is_undefined() {
        start_queuing(&que_id, &JsValue::UNDEFINED, &a, &JsValue::UNDEFINED);
    } else {
        start_queuing(&que_id, &a, &b, &JsValue::UNDEFINED);
    }
}

/// `StartQueuing2(queID, usrExtDat, cookie)`; Lineup: optionally after the cookie, the
/// customer's attributes for the queue's requirement (`{"language": "cantonese"}`).
#[wasm_bindgen(js_name = CRVideo_StartQueuing2)]
pub fn start_queuing2(que_id: JsValue, usr_ext_dat: JsValue, ck: JsValue, attributes: JsValue) {
    start_queuing(&que_id, &usr_ext_dat, &ck, &attributes);
}

/// `StopQueuing(cookie)`, and the `(queID, cookie)` form of some docs →
/// StopQueuingRslt(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_StopQueuing)]
pub fn stop_queuing(a: JsValue, b: JsValue) {
    rslt(Op::StopQueuing, "StopQueuingRslt", if b.is_undefined() { &a } else { &b }, None);
}

// ---- Lineup additions ----

/// `RequestCallback(number, cookie)`: the waiting customer keeps its place without this
/// page and is called back at `number` ("": in the page) → RequestCallbackRslt(sdkErr,
/// cookie).
#[wasm_bindgen(js_name = CRVideo_RequestCallback)]
pub fn request_callback(number: JsValue, ck: JsValue) {
    let number = if number.is_undefined() || number.is_null() { String::new() } else { text(&number) };
    rslt(Op::RequestCallback { number }, "RequestCallbackRslt", &ck, None);
}

/// → ForwardUserRslt(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_ForwardUser)]
pub fn forward_user(que_id: JsValue, usr_id: JsValue, to_que_id: JsValue, ck: JsValue) {
    let op = Op::ForwardUser { que_id: id(&que_id), usr_id: text(&usr_id), to_que_id: id(&to_que_id) };
    rslt(op, "ForwardUserRslt", &ck, None);
}

/// → FinishServiceRslt(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_FinishService)]
pub fn finish_service(que_id: JsValue, usr_id: JsValue, ck: JsValue) {
    rslt(Op::FinishService { que_id: id(&que_id), usr_id: text(&usr_id) }, "FinishServiceRslt", &ck, None);
}

/// → SetAgentCapacityRslt(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_SetAgentCapacity)]
pub fn set_agent_capacity(capacity: JsValue, ck: JsValue) {
    let capacity = number(&capacity).clamp(0.0, 65_535.0) as u16;
    rslt(Op::SetAgentCapacity { capacity }, "SetAgentCapacityRslt", &ck, None);
}

/// → GetQueueStatisticsRslt(sdkErr, QueueStatistics or null, cookie).
#[wasm_bindgen(js_name = CRVideo_GetQueueStatistics)]
pub fn get_queue_statistics(que_id: JsValue, ck: JsValue) {
    data_rslt(Op::GetQueueStatistics { que_id: id(&que_id) }, "GetQueueStatisticsRslt", &ck, None);
}

/// → GetAgentsRslt(sdkErr, AgentInfo[] or null, cookie).
#[wasm_bindgen(js_name = CRVideo_GetAgents)]
pub fn get_agents(ck: JsValue) {
    data_rslt(Op::GetAgents, "GetAgentsRslt", &ck, Some("agents"));
}
