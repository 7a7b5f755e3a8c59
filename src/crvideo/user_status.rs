//! CloudRoom's user status: StartUserStatusNotify / StopUserStatusNotify (the server
//! then pushes NotifyUserStatus), GetUserStatus and GetOneUserStatus, answered through
//! the callbacks CloudRoom names. Each status is a `CRVideo_UserStatus`
//! `{userID, userStatus, DNDType}` as the server sends it.

use lineup_protocol::ws::Op;
use wasm_bindgen::prelude::*;

use super::{err, fire, rslt, run, with_classic};
use crate::args::{cookie, text};
use crate::interop::get;

/// → StartUserStatusNotifyRslt(sdkErr, cookie); NotifyUserStatus(userStatus, cookie)
/// then carries this cookie.
#[wasm_bindgen(js_name = CRVideo_StartUserStatusNotify)]
pub fn start_user_status_notify(ck: JsValue) {
    let ck = cookie(&ck);
    with_classic(|c| c.status_cookie = ck.clone());
    rslt(Op::StartUserStatusNotify, "StartUserStatusNotifyRslt", &ck, None);
}

/// → StopUserStatusNotifyRslt(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_StopUserStatusNotify)]
pub fn stop_user_status_notify(ck: JsValue) {
    rslt(Op::StopUserStatusNotify, "StopUserStatusNotifyRslt", &ck, None);
}

/// Every user of the app → GetUserStatusSuccess(userStatusArr, cookie) or
/// GetUserStatusFail(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_GetUserStatus)]
pub fn get_user_status(ck: JsValue) {
    get_status(None, ck);
}

/// One user → GetUserStatusSuccess([userStatus], cookie) or GetUserStatusFail(sdkErr,
/// cookie).
#[wasm_bindgen(js_name = CRVideo_GetOneUserStatus)]
pub fn get_one_user_status(uid: JsValue, ck: JsValue) {
    get_status(Some(text(&uid)), ck);
}

fn get_status(uid: Option<String>, ck: JsValue) {
    let ck = cookie(&ck);
    run(Op::GetUserStatus { uid }, move |r| match r {
        Ok(data) => fire("GetUserStatusSuccess", &[get(&data, "users"), ck]),
        Err(c) => fire("GetUserStatusFail", &[err(c), ck]),
    });
}

/// The cookie NotifyUserStatus carries (the one StartUserStatusNotify was given).
pub(super) fn notify_cookie() -> JsValue {
    with_classic(|c| c.status_cookie.clone())
}
