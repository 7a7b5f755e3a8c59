//! The class JavaScript sees: each method converts its arguments, calls the core and
//! converts the result. Promises reject with `Error`s that carry `sdkErr`.

use std::rc::Rc;

use js_sys::{Array, Promise};
use lineup_protocol::codes;
use wasm_bindgen::prelude::*;

use crate::core::{self, Core};
use crate::interop::{call_page, copy, error, object, set};

/// One SDK session: a logged-in user of a Lineup app.
#[wasm_bindgen]
pub struct LineupCore {
    pub(crate) core: Core,
}

pub(crate) fn promise(start: impl FnOnce(core::Done)) -> Promise {
    let mut start = Some(start);
    Promise::new(&mut |resolve: js_sys::Function, reject: js_sys::Function| {
        if let Some(start) = start.take() {
            start(Box::new(move |result| {
                let _ = match result {
                    Ok(v) => resolve.call1(&JsValue::NULL, &v),
                    Err((code, msg)) => reject.call1(&JsValue::NULL, &error(code, &msg)),
                };
            }));
        }
    })
}

#[wasm_bindgen]
impl LineupCore {
    /// `server`: the lineup-server base URL (`http://host:port`); `onEvent(name, data)`
    /// receives every notice and connection event.
    #[wasm_bindgen(constructor)]
    pub fn new(server: String, #[wasm_bindgen(js_name = onEvent)] on_event: js_sys::Function) -> LineupCore {
        let sink = move |name: &str, data: JsValue| call_page(&on_event, name, &data);
        LineupCore { core: core::new_core(&server, Rc::new(sink)) }
    }

    /// Points the SDK at other servers: one base URL, or several separated by `;`
    /// (nodes of one cluster; reconnecting tries them in turn). Takes effect at the next
    /// connection.
    #[wasm_bindgen(js_name = setServer)]
    pub fn set_server(&self, server: String) {
        core::set_servers(&self.core, &server);
    }

    /// CloudRoom `Login(appID, md5_appSecret, nickName, UID)`.
    #[wasm_bindgen(unchecked_return_type = "Promise<LoginData>")]
    pub fn login(
        &self,
        #[wasm_bindgen(js_name = appID)] app_id: String,
        #[wasm_bindgen(js_name = md5AppSecret)] md5_app_secret: String,
        #[wasm_bindgen(js_name = nickName)] nick_name: String,
        #[wasm_bindgen(js_name = UID)] uid: String,
    ) -> Promise {
        let body =
            object(&[("appID", &app_id), ("md5_appSecret", &md5_app_secret), ("UID", &uid), ("nickName", &nick_name)]);
        let core = self.core.clone();
        promise(|done| core::login(&core, body, done))
    }

    /// CloudRoom `LoginByToken(token, nickName, UID)`; UID may be empty (the token's).
    #[wasm_bindgen(js_name = loginByToken, unchecked_return_type = "Promise<LoginData>")]
    pub fn login_by_token(
        &self,
        token: String,
        #[wasm_bindgen(js_name = nickName)] nick_name: String,
        #[wasm_bindgen(js_name = UID)] uid: String,
    ) -> Promise {
        let body = object(&[("token", &token), ("UID", &uid), ("nickName", &nick_name)]);
        let core = self.core.clone();
        promise(|done| core::login(&core, body, done))
    }

    /// Sends one operation, e.g. `{op: "StartQueuing", queID: 3, usrExtDat: ""}`;
    /// resolves with the reply's data.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ op: string; [field: string]: unknown }")] op: JsValue,
    ) -> Promise {
        let core = self.core.clone();
        promise(|done| core::request(&core, &op, done))
    }

    /// Logs out and closes the connection.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn logout(&self) -> Promise {
        let core = self.core.clone();
        promise(|done| core::logout(&core, done))
    }

    /// The app's queues (CloudRoom QueueInfo[]), as of InitQueueDat and later notices.
    #[wasm_bindgen(getter, unchecked_return_type = "QueueInfo[]")]
    pub fn queues(&self) -> Array {
        self.core.borrow().cache.queue_list()
    }

    /// A queue's last known QueStatus, or undefined.
    #[wasm_bindgen(js_name = queueStatus, unchecked_return_type = "QueStatus | undefined")]
    pub fn queue_status(&self, #[wasm_bindgen(js_name = queID)] que_id: u32) -> JsValue {
        self.core.borrow().cache.status_of(que_id)
    }

    /// Every known QueStatus.
    #[wasm_bindgen(getter = queueStatuses, unchecked_return_type = "QueStatus[]")]
    pub fn queue_statuses(&self) -> Array {
        self.core.borrow().cache.statuses.values().map(copy).collect()
    }

    /// Where this customer stands (CloudRoom QueuingInfo; queID -1 until told).
    #[wasm_bindgen(getter = queuingInfo, unchecked_return_type = "QueuingInfo")]
    pub fn queuing_info(&self) -> JsValue {
        self.core.borrow().cache.queuing_view()
    }

    /// The queues this agent serves.
    #[wasm_bindgen(getter = servingQueues, unchecked_return_type = "number[]")]
    pub fn serving_queues(&self) -> Array {
        self.core.borrow().cache.serving_list()
    }

    /// CloudRoom SessionInfo: the call this session is in (empty fields when none).
    #[wasm_bindgen(getter = sessionInfo, unchecked_return_type = "SessionInfo")]
    pub fn session_info(&self) -> JsValue {
        self.core.borrow().cache.session_view()
    }

    /// The logged-in user (UID, nickName, appID, roles, ...), or undefined.
    #[wasm_bindgen(getter, unchecked_return_type = "LoginData | undefined")]
    pub fn user(&self) -> JsValue {
        self.core.borrow().cache.user.as_ref().map_or(JsValue::UNDEFINED, copy)
    }

    /// "idle", "connecting", "online" or "reconnecting".
    #[wasm_bindgen(getter, unchecked_return_type = "'idle' | 'connecting' | 'online' | 'reconnecting'")]
    pub fn state(&self) -> String {
        let inner = self.core.borrow();
        if inner.login.is_some() { "connecting" } else { inner.session.phase().name() }.into()
    }

    /// Every error code: `[{code, name, meaning}]`.
    #[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "Array<{ code: number; name: string; meaning: string }>")]
    pub fn error_codes() -> Array {
        codes::ALL
            .iter()
            .map(|c| {
                let o = object(&[("name", c.name), ("meaning", c.meaning)]);
                set(&o, "code", c.code);
                o
            })
            .collect()
    }

    /// Drops the socket as a network failure would (the SDK then resumes). For tests.
    #[wasm_bindgen(js_name = dropConnection)]
    pub fn drop_connection(&self) {
        core::drop_connection(&self.core);
    }
}
