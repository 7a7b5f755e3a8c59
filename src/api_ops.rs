//! The modern API's operations: one typed method per protocol op, each a promise of the
//! reply's data. The CRVideo functions (`crvideo`) send the same ops through the same
//! `core::send`; the parameters are checked here and a wrong one is refused with
//! MEETPARAM_ERR naming it, before anything is sent.

use js_sys::Promise;
use lineup_client::Failure;
use lineup_protocol::ws::Op;
use wasm_bindgen::prelude::*;

use crate::api::{promise, LineupCore};
use crate::args::{opt_str, opt_uint, want_str, want_uint};
use crate::core;
use crate::interop::get;

const U16: u32 = u16::MAX as u32;
const U32: u32 = u32::MAX;

/// What a reply resolves to.
#[derive(Clone, Copy)]
enum Answer {
    /// The reply's data.
    Data,
    /// Nothing (`undefined`).
    Done,
    /// One field of the data.
    Field(&'static str),
}

impl LineupCore {
    fn op(&self, answer: Answer, op: Result<Op, Failure>) -> Promise {
        let core = self.core.clone();
        promise(async move {
            let data = core::send(&core, &op?).await?;
            Ok(match answer {
                Answer::Data => data,
                Answer::Done => JsValue::UNDEFINED,
                Answer::Field(f) => get(&data, f),
            })
        })
    }
}

#[wasm_bindgen]
impl LineupCore {
    /// Subscribes to every queue's status; resolves with `{queues, statuses}`.
    #[wasm_bindgen(js_name = initQueueDat)]
    pub fn init_queue_dat(&self) -> Promise {
        self.op(Answer::Data, Ok(Op::InitQueueDat))
    }

    /// Every queue's status (each also arrives as QueueStatusChanged).
    #[wasm_bindgen(js_name = refreshAllQueueStatus)]
    pub fn refresh_all_queue_status(&self) -> Promise {
        self.op(Answer::Data, Ok(Op::RefreshAllQueueStatus))
    }

    #[wasm_bindgen(js_name = getQueueStatus)]
    pub fn get_queue_status(&self, que_id: JsValue) -> Promise {
        self.op(Answer::Data, want_uint(&que_id, "queID", U32).map(|que_id| Op::GetQueueStatus { que_id }))
    }

    /// One page of a queue's customers (agents of the queue, supervisors).
    #[wasm_bindgen(js_name = getQueueUsers)]
    pub fn get_queue_users(&self, que_id: JsValue, offset: JsValue, limit: JsValue) -> Promise {
        let op = || {
            Ok(Op::GetQueueUsers {
                que_id: want_uint(&que_id, "queID", U32)?,
                offset: opt_uint(&offset, "offset", U32)?,
                limit: opt_uint(&limit, "limit", U32)?,
            })
        };
        self.op(Answer::Data, op())
    }

    #[wasm_bindgen(js_name = getQueueStatistics)]
    pub fn get_queue_statistics(&self, que_id: JsValue) -> Promise {
        self.op(Answer::Data, want_uint(&que_id, "queID", U32).map(|que_id| Op::GetQueueStatistics { que_id }))
    }

    /// Every agent of the app (supervisors); resolves with the list.
    #[wasm_bindgen(js_name = getAgents)]
    pub fn get_agents(&self) -> Promise {
        self.op(Answer::Field("agents"), Ok(Op::GetAgents))
    }

    #[wasm_bindgen(js_name = startService)]
    pub fn start_service(&self, que_id: JsValue, priority: JsValue) -> Promise {
        let op = || Ok(Op::StartService { que_id: want_uint(&que_id, "queID", U32)?, priority: opt_prio(&priority)? });
        self.op(Answer::Done, op())
    }

    #[wasm_bindgen(js_name = stopService)]
    pub fn stop_service(&self, que_id: JsValue) -> Promise {
        self.op(Answer::Done, want_uint(&que_id, "queID", U32).map(|que_id| Op::StopService { que_id }))
    }

    #[wasm_bindgen(js_name = startQueuing)]
    pub fn start_queuing(&self, que_id: JsValue, usr_ext_dat: JsValue) -> Promise {
        let op = || {
            Ok(Op::StartQueuing { que_id: want_uint(&que_id, "queID", U32)?, usr_ext_dat: opt_str(&usr_ext_dat, "usrExtDat")? })
        };
        self.op(Answer::Done, op())
    }

    #[wasm_bindgen(js_name = stopQueuing)]
    pub fn stop_queuing(&self) -> Promise {
        self.op(Answer::Done, Ok(Op::StopQueuing))
    }

    #[wasm_bindgen(js_name = acceptAssignUser)]
    pub fn accept_assign_user(&self, que_id: JsValue, usr_id: JsValue) -> Promise {
        self.op(Answer::Done, queue_user(&que_id, &usr_id).map(|(que_id, usr_id)| Op::AcceptAssignUser { que_id, usr_id }))
    }

    #[wasm_bindgen(js_name = rejectAssignUser)]
    pub fn reject_assign_user(&self, que_id: JsValue, usr_id: JsValue) -> Promise {
        self.op(Answer::Done, queue_user(&que_id, &usr_id).map(|(que_id, usr_id)| Op::RejectAssignUser { que_id, usr_id }))
    }

    /// Do-not-disturb on (no automatic offers) or off.
    #[wasm_bindgen(js_name = setDNDStatus)]
    pub fn set_dnd_status(&self, on: JsValue) -> Promise {
        self.op(Answer::Done, Ok(Op::SetDNDStatus { dnd_status: i64::from(on.is_truthy()) }))
    }

    /// Takes the next customer by hand; resolves with it.
    #[wasm_bindgen(js_name = reqAssignUser)]
    pub fn req_assign_user(&self) -> Promise {
        self.op(Answer::Data, Ok(Op::ReqAssignUser))
    }

    /// Takes one named customer by hand; resolves with it.
    #[wasm_bindgen(js_name = reqAssignUser2)]
    pub fn req_assign_user2(&self, que_id: JsValue, usr_id: JsValue) -> Promise {
        self.op(Answer::Data, queue_user(&que_id, &usr_id).map(|(que_id, usr_id)| Op::ReqAssignUser2 { que_id, usr_id }))
    }

    #[wasm_bindgen(js_name = finishService)]
    pub fn finish_service(&self, que_id: JsValue, usr_id: JsValue) -> Promise {
        self.op(Answer::Done, queue_user(&que_id, &usr_id).map(|(que_id, usr_id)| Op::FinishService { que_id, usr_id }))
    }

    #[wasm_bindgen(js_name = setAgentCapacity)]
    pub fn set_agent_capacity(&self, capacity: JsValue) -> Promise {
        let op = want_uint(&capacity, "capacity", U16).map(|c| Op::SetAgentCapacity { capacity: c as u16 });
        self.op(Answer::Done, op)
    }

    /// Resolves with `{time}`, the server's clock.
    pub fn ping(&self) -> Promise {
        self.op(Answer::Data, Ok(Op::Ping))
    }

    #[wasm_bindgen(js_name = forwardUser)]
    pub fn forward_user(&self, que_id: JsValue, usr_id: JsValue, to_que_id: JsValue) -> Promise {
        let op = || {
            let (que_id, usr_id) = queue_user(&que_id, &usr_id)?;
            Ok(Op::ForwardUser { que_id, usr_id, to_que_id: want_uint(&to_que_id, "toQueID", U32)? })
        };
        self.op(Answer::Done, op())
    }

    /// A room to call a customer into; resolves with its MeetInfo.
    #[wasm_bindgen(js_name = createMeeting)]
    pub fn create_meeting(&self, subject: JsValue, pswd: JsValue) -> Promise {
        let op = || {
            Ok(Op::CreateMeeting {
                subject: opt_str(&subject, "subject")?.unwrap_or_default(),
                pswd: opt_str(&pswd, "pswd")?.unwrap_or_default(),
            })
        };
        self.op(Answer::Data, op())
    }

    #[wasm_bindgen(js_name = enterMeeting)]
    pub fn enter_meeting(&self, meet_id: JsValue, pswd: JsValue) -> Promise {
        let op = || {
            Ok(Op::EnterMeeting { meet_id: want_uint(&meet_id, "meetID", U32)?, pswd: opt_str(&pswd, "pswd")?.unwrap_or_default() })
        };
        self.op(Answer::Data, op())
    }

    #[wasm_bindgen(js_name = exitMeeting)]
    pub fn exit_meeting(&self, meet_id: JsValue) -> Promise {
        self.op(Answer::Done, want_uint(&meet_id, "meetID", U32).map(|meet_id| Op::ExitMeeting { meet_id }))
    }

    /// Ends a room this session created, for everyone (the others get MeetingStopped).
    #[wasm_bindgen(js_name = destroyMeeting)]
    pub fn destroy_meeting(&self, meet_id: JsValue) -> Promise {
        self.op(Answer::Done, want_uint(&meet_id, "meetID", U32).map(|meet_id| Op::DestroyMeeting { meet_id }))
    }

    /// Calls a user into a room; resolves with the callID.
    pub fn call(&self, uid: JsValue, meet_id: JsValue, usr_ext_dat: JsValue) -> Promise {
        let op = || {
            Ok(Op::Call {
                call_id: None,
                uid: want_str(&uid, "UID")?,
                meet_id: want_uint(&meet_id, "meetID", U32)?,
                usr_ext_dat: opt_str(&usr_ext_dat, "usrExtDat")?,
            })
        };
        self.op(Answer::Field("callID"), op())
    }

    #[wasm_bindgen(js_name = acceptCall)]
    pub fn accept_call(&self, call_id: JsValue, usr_ext_dat: JsValue) -> Promise {
        self.op(Answer::Done, call_ext(&call_id, &usr_ext_dat).map(|(call_id, usr_ext_dat)| Op::AcceptCall { call_id, usr_ext_dat }))
    }

    #[wasm_bindgen(js_name = rejectCall)]
    pub fn reject_call(&self, call_id: JsValue, usr_ext_dat: JsValue) -> Promise {
        self.op(Answer::Done, call_ext(&call_id, &usr_ext_dat).map(|(call_id, usr_ext_dat)| Op::RejectCall { call_id, usr_ext_dat }))
    }

    #[wasm_bindgen(js_name = hangupCall)]
    pub fn hangup_call(&self, call_id: JsValue, usr_ext_dat: JsValue) -> Promise {
        self.op(Answer::Done, call_ext(&call_id, &usr_ext_dat).map(|(call_id, usr_ext_dat)| Op::HungupCall { call_id, usr_ext_dat }))
    }

    #[wasm_bindgen(js_name = holdCall)]
    pub fn hold_call(&self, call_id: JsValue) -> Promise {
        self.op(Answer::Done, want_str(&call_id, "callID").map(|call_id| Op::HoldCall { call_id }))
    }

    #[wasm_bindgen(js_name = resumeCall)]
    pub fn resume_call(&self, call_id: JsValue) -> Promise {
        self.op(Answer::Done, want_str(&call_id, "callID").map(|call_id| Op::ResumeCall { call_id }))
    }

    /// The call this session is in, asked of the server.
    #[wasm_bindgen(js_name = getSessionInfo)]
    pub fn get_session_info(&self) -> Promise {
        self.op(Answer::Data, Ok(Op::GetSessionInfo))
    }
}

fn opt_prio(v: &JsValue) -> Result<Option<u16>, Failure> {
    opt_uint(v, "priority", U16).map(|p| p.map(|p| p as u16))
}

fn queue_user(que_id: &JsValue, usr_id: &JsValue) -> Result<(u32, String), Failure> {
    Ok((want_uint(que_id, "queID", U32)?, want_str(usr_id, "usrID")?))
}

fn call_ext(call_id: &JsValue, usr_ext_dat: &JsValue) -> Result<(String, Option<String>), Failure> {
    Ok((want_str(call_id, "callID")?, opt_str(usr_ext_dat, "usrExtDat")?))
}
