//! What the server told this session: the app's queues and their statuses, where the
//! customer stands, the queues the agent serves. CloudRoom's synchronous getters
//! (GetAllQueueInfo, GetQueueStatus, GetQueuingInfo, GetServingQueues) read it. Objects
//! are kept as the server sent them (CloudRoom field names).

use js_sys::Array;
use wasm_bindgen::JsValue;

use lineup_protocol::types::{QueuingInfo, SessionInfo};
use lineup_protocol::ws::{NoticeName, OpName};

use crate::interop::{copy, get, get_u32};
use crate::small_map::SmallMap;

/// The session's view of the queues.
#[derive(Default)]
pub struct Cache {
    pub user: Option<JsValue>,
    pub queues: SmallMap<u32, JsValue>,
    pub statuses: SmallMap<u32, JsValue>,
    pub queuing: Option<JsValue>,
    pub serving: Vec<u32>,
    /// CloudRoom SessionInfo: the call this session is in (from GetSessionInfo).
    pub session_info: Option<JsValue>,
}

fn by_queue(list: &JsValue) -> SmallMap<u32, JsValue> {
    Array::from(list).iter().filter_map(|v| get_u32(&v, "queID").map(|q| (q, v))).collect()
}

impl Cache {
    /// Learns from a successful reply to `op` (naming `que_id`).
    pub fn on_reply(&mut self, op: &str, que_id: Option<u32>, data: &JsValue) {
        let Some(op) = OpName::parse(op) else { return };
        match op {
            OpName::InitQueueDat => {
                self.queues = by_queue(&get(data, "queues"));
                self.statuses = by_queue(&get(data, "statuses"));
            }
            OpName::GetQueueStatus => self.on_notice(NoticeName::QueueStatusChanged, data),
            OpName::GetQueuingInfo => self.on_notice(NoticeName::QueuingInfoChanged, data),
            OpName::GetServingQueues => {
                self.serving = Array::from(&get(data, "queues")).iter().filter_map(|q| q.as_f64()).map(|q| q as u32).collect();
            }
            OpName::StartService => {
                if let Some(q) = que_id.filter(|q| !self.serving.contains(q)) {
                    self.serving.push(q);
                }
            }
            OpName::StopService => self.serving.retain(|q| Some(*q) != que_id),
            OpName::GetSessionInfo => self.session_info = Some(data.clone()),
            OpName::Logout => *self = Cache::default(),
            _ => {}
        }
    }

    /// Learns from a notice.
    pub fn on_notice(&mut self, name: NoticeName, data: &JsValue) {
        let que_id = get_u32(data, "queID");
        match (name, que_id) {
            (NoticeName::QueueStatusChanged, Some(q)) => {
                self.statuses.insert(q, data.clone());
            }
            (NoticeName::QueuingInfoChanged, _) => self.queuing = Some(data.clone()),
            (NoticeName::QueueInfoChanged, Some(q)) => {
                self.queues.insert(q, data.clone());
            }
            (NoticeName::QueueRemoved, Some(q)) => {
                self.queues.remove(q);
                self.statuses.remove(q);
                self.serving.retain(|s| *s != q);
            }
            (NoticeName::ServiceStopped, Some(q)) => self.serving.retain(|s| *s != q),
            _ => {}
        }
    }
}

/// What the getters hand the page: copies (a page cannot change the cache), and
/// CloudRoom's empty values where nothing is known yet.
impl Cache {
    /// The app's queues (QueueInfo[]).
    pub fn queue_list(&self) -> Array {
        self.queues.values().map(copy).collect()
    }

    /// A queue's last known QueStatus, or undefined.
    pub fn status_of(&self, que_id: u32) -> JsValue {
        self.statuses.get(que_id).map_or(JsValue::UNDEFINED, copy)
    }

    /// Where this customer stands (QueuingInfo; queID -1 until told).
    pub fn queuing_view(&self) -> JsValue {
        match &self.queuing {
            Some(v) => copy(v),
            None => typed(&QueuingInfo { que_id: QueuingInfo::NOT_QUEUING, position: 0, queuing_time: 0, estimated_wait_time: None }),
        }
    }

    /// The queues this agent serves.
    pub fn serving_list(&self) -> Array {
        self.serving.iter().map(|q| JsValue::from(*q)).collect()
    }

    /// SessionInfo: the call this session is in (empty fields when none).
    pub fn session_view(&self) -> JsValue {
        match &self.session_info {
            Some(v) => copy(v),
            None => typed(&SessionInfo::default()),
        }
    }
}

/// A protocol value as the page's JS object.
fn typed<T: serde::Serialize>(v: &T) -> JsValue {
    serde_wasm_bindgen::to_value(v).unwrap_or(JsValue::UNDEFINED)
}
