//! The class JavaScript sees: each method converts its arguments, calls the core and
//! converts the result. Promises reject with `Error`s that carry `sdkErr`.

use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Promise};
use lineup_protocol::codes;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::core::{self, Core, Failure};
use crate::interop::{call_page, copy, error, object, set};

/// One SDK session: a logged-in user of a Lineup app.
#[wasm_bindgen]
pub struct LineupCore {
    pub(crate) core: Core,
}

pub(crate) fn promise(f: impl Future<Output = Result<JsValue, Failure>> + 'static) -> Promise {
    future_to_promise(async move { f.await.map_err(|(code, msg)| error(code, &msg)) })
}

#[wasm_bindgen]
impl LineupCore {
    /// `server`: the lineup-server base URL (`http://host:port`); `onEvent(name, data)`
    /// receives every notice and connection event.
    #[wasm_bindgen(constructor)]
    pub fn new(server: String, on_event: js_sys::Function) -> LineupCore {
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
    pub fn login(&self, app_id: String, md5_app_secret: String, nick_name: String, uid: String) -> Promise {
        let body = object(&[("appID", &app_id), ("md5_appSecret", &md5_app_secret), ("UID", &uid), ("nickName", &nick_name)]);
        let core = self.core.clone();
        promise(async move { core::login(&core, body).await })
    }

    /// CloudRoom `LoginByToken(token, nickName, UID)`; UID may be empty (the token's).
    #[wasm_bindgen(js_name = loginByToken)]
    pub fn login_by_token(&self, token: String, nick_name: String, uid: String) -> Promise {
        let body = object(&[("token", &token), ("UID", &uid), ("nickName", &nick_name)]);
        let core = self.core.clone();
        promise(async move { core::login(&core, body).await })
    }

    /// Sends one operation, e.g. `{op: "StartQueuing", queID: 3, usrExtDat: ""}`;
    /// resolves with the reply's data.
    pub fn request(&self, op: JsValue) -> Promise {
        let core = self.core.clone();
        promise(async move { core::request(&core, &op).await })
    }

    /// Logs out and closes the connection.
    pub fn logout(&self) -> Promise {
        let core = self.core.clone();
        promise(async move { core::logout(&core).await.map(|_| JsValue::UNDEFINED) })
    }

    /// The app's queues (CloudRoom QueueInfo[]), as of InitQueueDat and later notices.
    #[wasm_bindgen(getter)]
    pub fn queues(&self) -> Array {
        self.core.borrow().cache.queues.values().map(copy).collect()
    }

    /// A queue's last known QueStatus, or undefined.
    #[wasm_bindgen(js_name = queueStatus)]
    pub fn queue_status(&self, que_id: u32) -> JsValue {
        self.core.borrow().cache.statuses.get(que_id).map_or(JsValue::UNDEFINED, copy)
    }

    /// Every known QueStatus.
    #[wasm_bindgen(getter = queueStatuses)]
    pub fn queue_statuses(&self) -> Array {
        self.core.borrow().cache.statuses.values().map(copy).collect()
    }

    /// Where this customer stands (CloudRoom QueuingInfo; queID -1 until told).
    #[wasm_bindgen(getter = queuingInfo)]
    pub fn queuing_info(&self) -> JsValue {
        match &self.core.borrow().cache.queuing {
            Some(v) => copy(v),
            None => {
                let o = object(&[]);
                set(&o, "queID", -1);
                set(&o, "position", 0);
                set(&o, "queuingTime", 0);
                o
            }
        }
    }

    /// The queues this agent serves.
    #[wasm_bindgen(getter = servingQueues)]
    pub fn serving_queues(&self) -> Array {
        self.core.borrow().cache.serving.iter().map(|q| JsValue::from(*q)).collect()
    }

    /// CloudRoom SessionInfo: the call this session is in (empty fields when none).
    #[wasm_bindgen(getter = sessionInfo)]
    pub fn session_info(&self) -> JsValue {
        match &self.core.borrow().cache.session_info {
            Some(v) => copy(v),
            None => {
                let o = object(&[("callID", ""), ("peerID", ""), ("peerName", ""), ("meetingPswd", "")]);
                for k in ["bCallAccepted", "meetingID", "duration"] {
                    set(&o, k, 0);
                }
                o
            }
        }
    }

    /// The logged-in user (UID, nickName, appID, roles, ...), or undefined.
    #[wasm_bindgen(getter)]
    pub fn user(&self) -> JsValue {
        self.core.borrow().cache.user.as_ref().map_or(JsValue::UNDEFINED, copy)
    }

    /// "idle", "connecting", "online" or "reconnecting".
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        let inner = self.core.borrow();
        if inner.logging_in { "connecting" } else { inner.session.phase().name() }.into()
    }

    /// Every error code: `[{code, name, meaning}]`.
    #[wasm_bindgen(js_name = errorCodes)]
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
