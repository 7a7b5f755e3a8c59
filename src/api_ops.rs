//! The modern API's operations: one typed method per protocol op, each a promise of the
//! reply's data. The CRVideo functions (`crvideo`) send the same ops through the same
//! `core::send`; the parameters are checked here and a wrong one is refused with
//! MEETPARAM_ERR naming it, before anything is sent.

use js_sys::Promise;
use lineup_client::Failure;
use lineup_protocol::ws::Op;
use wasm_bindgen::prelude::*;

use crate::api::{promise, LineupCore};
use crate::args::{opt_attributes, opt_skills, opt_str, opt_uint, want_str, want_uint};
use crate::core;
use crate::interop::get;

const U16: u32 = u16::MAX as u32;
const U32: u32 = u32::MAX;

/// What a reply resolves to.
#[derive(Clone)]
enum Answer {
    /// The reply's data.
    Data,
    /// Nothing (`undefined`).
    Done,
    /// One field of the data.
    Field(&'static str),
    /// A value the SDK made (an id it sent).
    Value(JsValue),
}

impl LineupCore {
    fn op(&self, answer: Answer, op: Result<Op, Failure>) -> Promise {
        let core = self.core.clone();
        promise(move |done| match op {
            Ok(op) => core::send(
                &core,
                &op,
                Box::new(move |r| {
                    done(r.map(|data| match answer {
                        Answer::Data => data,
                        Answer::Done => JsValue::UNDEFINED,
                        Answer::Field(f) => get(&data, f),
                        Answer::Value(v) => v,
                    }))
                }),
            ),
            Err(e) => done(Err(e)),
        })
    }
}

#[wasm_bindgen]
impl LineupCore {
    /// Subscribes to every queue's status; resolves with `{queues, statuses}`.
    #[wasm_bindgen(js_name = initQueueDat, unchecked_return_type = "Promise<InitQueueData>")]
    pub fn init_queue_dat(&self) -> Promise {
        self.op(Answer::Data, Ok(Op::InitQueueDat))
    }

    /// Every queue's status (each also arrives as QueueStatusChanged).
    #[wasm_bindgen(js_name = refreshAllQueueStatus, unchecked_return_type = "Promise<StatusesData>")]
    pub fn refresh_all_queue_status(&self) -> Promise {
        self.op(Answer::Data, Ok(Op::RefreshAllQueueStatus))
    }

    #[wasm_bindgen(js_name = getQueueStatus, unchecked_return_type = "Promise<QueStatus>")]
    pub fn get_queue_status(
        &self,
        #[wasm_bindgen(js_name = queID, unchecked_param_type = "number")] que_id: JsValue,
    ) -> Promise {
        self.op(Answer::Data, want_uint(&que_id, "queID", U32).map(|que_id| Op::GetQueueStatus { que_id }))
    }

    /// One page of a queue's customers (agents of the queue, supervisors).
    #[wasm_bindgen(js_name = getQueueUsers, unchecked_return_type = "Promise<QueueUsersData>")]
    pub fn get_queue_users(
        &self,
        #[wasm_bindgen(js_name = queID, unchecked_param_type = "number")] que_id: JsValue,
        #[wasm_bindgen(js_name = offset, unchecked_param_type = "number | undefined")] offset: JsValue,
        #[wasm_bindgen(js_name = limit, unchecked_param_type = "number | undefined")] limit: JsValue,
    ) -> Promise {
        let op = || {
            Ok(Op::GetQueueUsers {
                que_id: want_uint(&que_id, "queID", U32)?,
                offset: opt_uint(&offset, "offset", U32)?,
                limit: opt_uint(&limit, "limit", U32)?,
            })
        };
        self.op(Answer::Data, op())
    }

    #[wasm_bindgen(js_name = getQueueStatistics, unchecked_return_type = "Promise<QueueStatistics>")]
    pub fn get_queue_statistics(
        &self,
        #[wasm_bindgen(js_name = queID, unchecked_param_type = "number")] que_id: JsValue,
    ) -> Promise {
        self.op(Answer::Data, want_uint(&que_id, "queID", U32).map(|que_id| Op::GetQueueStatistics { que_id }))
    }

    /// Every agent of the app (supervisors); resolves with the list.
    #[wasm_bindgen(js_name = getAgents, unchecked_return_type = "Promise<AgentInfo[]>")]
    pub fn get_agents(&self) -> Promise {
        self.op(Answer::Field("agents"), Ok(Op::GetAgents))
    }

    #[wasm_bindgen(js_name = startService, unchecked_return_type = "Promise<void>")]
    pub fn start_service(
        &self,
        #[wasm_bindgen(js_name = queID, unchecked_param_type = "number")] que_id: JsValue,
        #[wasm_bindgen(js_name = priority, unchecked_param_type = "number | undefined")] priority: JsValue,
        #[wasm_bindgen(js_name = skills, unchecked_param_type = "Record<string, number> | undefined")] skills: JsValue,
    ) -> Promise {
        let op = || {
            Ok(Op::StartService {
                que_id: want_uint(&que_id, "queID", U32)?,
                priority: opt_prio(&priority)?,
                skills: opt_skills(&skills, "skills")?,
            })
        };
        self.op(Answer::Done, op())
    }

    #[wasm_bindgen(js_name = stopService, unchecked_return_type = "Promise<void>")]
    pub fn stop_service(
        &self,
        #[wasm_bindgen(js_name = queID, unchecked_param_type = "number")] que_id: JsValue,
    ) -> Promise {
        self.op(Answer::Done, want_uint(&que_id, "queID", U32).map(|que_id| Op::StopService { que_id }))
    }

    #[wasm_bindgen(js_name = startQueuing, unchecked_return_type = "Promise<void>")]
    pub fn start_queuing(
        &self,
        #[wasm_bindgen(js_name = queID, unchecked_param_type = "number")] que_id: JsValue,
        #[wasm_bindgen(js_name = usrExtDat, unchecked_param_type = "string | undefined")] usr_ext_dat: JsValue,
        #[wasm_bindgen(js_name = attributes, unchecked_param_type = "Record<string, string | number | boolean> | undefined")]
        attributes: JsValue,
    ) -> Promise {
        let op = || {
            Ok(Op::StartQueuing {
                que_id: want_uint(&que_id, "queID", U32)?,
                usr_ext_dat: opt_str(&usr_ext_dat, "usrExtDat")?,
                attributes: opt_attributes(&attributes, "attributes")?,
            })
        };
        self.op(Answer::Done, op())
    }

    #[wasm_bindgen(js_name = stopQueuing, unchecked_return_type = "Promise<void>")]
    pub fn stop_queuing(&self) -> Promise {
        self.op(Answer::Done, Ok(Op::StopQueuing))
    }

    /// Lineup: call me back at `number` (omitted or "": in this page); the place is kept
    /// without this page until the app's callbackExpirySeconds.
    #[wasm_bindgen(js_name = requestCallback, unchecked_return_type = "Promise<void>")]
    pub fn request_callback(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] number: JsValue,
    ) -> Promise {
        self.op(Answer::Done, opt_str(&number, "number").map(|n| Op::RequestCallback { number: n.unwrap_or_default() }))
    }

    #[wasm_bindgen(js_name = acceptAssignUser, unchecked_return_type = "Promise<void>")]
    pub fn accept_assign_user(
        &self,
        #[wasm_bindgen(js_name = queID, unchecked_param_type = "number")] que_id: JsValue,
        #[wasm_bindgen(js_name = usrID, unchecked_param_type = "string")] usr_id: JsValue,
    ) -> Promise {
        self.op(
            Answer::Done,
            queue_user(&que_id, &usr_id).map(|(que_id, usr_id)| Op::AcceptAssignUser { que_id, usr_id }),
        )
    }

    #[wasm_bindgen(js_name = rejectAssignUser, unchecked_return_type = "Promise<void>")]
    pub fn reject_assign_user(
        &self,
        #[wasm_bindgen(js_name = queID, unchecked_param_type = "number")] que_id: JsValue,
        #[wasm_bindgen(js_name = usrID, unchecked_param_type = "string")] usr_id: JsValue,
    ) -> Promise {
        self.op(
            Answer::Done,
            queue_user(&que_id, &usr_id).map(|(que_id, usr_id)| Op::RejectAssignUser { que_id, usr_id }),
        )
    }

    /// Do-not-disturb on (no automatic offers) or off.
    /// Do-not-disturb: `false`/`true` (manual mode), or the agent's reason, a number
    /// (0 available, 1 manual mode, a code of the app's table: getAgentReasons).
    #[wasm_bindgen(js_name = setDNDStatus, unchecked_return_type = "Promise<void>")]
    pub fn set_dnd_status(
        &self,
        #[wasm_bindgen(js_name = status, unchecked_param_type = "boolean | number")] status: JsValue,
    ) -> Promise {
        let status = match status.as_bool() {
            Some(on) => Ok(i64::from(on)),
            None => want_uint(&status, "status", U32).map(i64::from),
        };
        self.op(Answer::Done, status.map(|dnd_status| Op::SetDNDStatus { dnd_status }))
    }

    /// The wallboard (supervisors): a Wallboard event now, then after each change (at
    /// most once a second).
    #[wasm_bindgen(js_name = subscribeWallboard, unchecked_return_type = "Promise<void>")]
    pub fn subscribe_wallboard(&self) -> Promise {
        self.op(Answer::Done, Ok(Op::SubscribeWallboard))
    }

    /// No more Wallboard events.
    #[wasm_bindgen(js_name = unsubscribeWallboard, unchecked_return_type = "Promise<void>")]
    pub fn unsubscribe_wallboard(&self) -> Promise {
        self.op(Answer::Done, Ok(Op::UnsubscribeWallboard))
    }

    /// The app's table of agent reasons (besides 0 available and 1 manual mode).
    #[wasm_bindgen(js_name = getAgentReasons, unchecked_return_type = "Promise<AgentReasonBody[]>")]
    pub fn get_agent_reasons(&self) -> Promise {
        self.op(Answer::Field("reasons"), Ok(Op::GetAgentReasons))
    }

    /// Takes the next customer by hand; resolves with it.
    #[wasm_bindgen(js_name = reqAssignUser, unchecked_return_type = "Promise<QueUser>")]
    pub fn req_assign_user(&self) -> Promise {
        self.op(Answer::Data, Ok(Op::ReqAssignUser))
    }

    /// Takes one named customer by hand; resolves with it.
    #[wasm_bindgen(js_name = reqAssignUser2, unchecked_return_type = "Promise<QueUser>")]
    pub fn req_assign_user2(
        &self,
        #[wasm_bindgen(js_name = queID, unchecked_param_type = "number")] que_id: JsValue,
        #[wasm_bindgen(js_name = usrID, unchecked_param_type = "string")] usr_id: JsValue,
    ) -> Promise {
        self.op(
            Answer::Data,
            queue_user(&que_id, &usr_id).map(|(que_id, usr_id)| Op::ReqAssignUser2 { que_id, usr_id }),
        )
    }

    #[wasm_bindgen(js_name = finishService, unchecked_return_type = "Promise<void>")]
    pub fn finish_service(
        &self,
        #[wasm_bindgen(js_name = queID, unchecked_param_type = "number")] que_id: JsValue,
        #[wasm_bindgen(js_name = usrID, unchecked_param_type = "string")] usr_id: JsValue,
    ) -> Promise {
        self.op(Answer::Done, queue_user(&que_id, &usr_id).map(|(que_id, usr_id)| Op::FinishService { que_id, usr_id }))
    }

    #[wasm_bindgen(js_name = setAgentCapacity, unchecked_return_type = "Promise<void>")]
    pub fn set_agent_capacity(
        &self,
        #[wasm_bindgen(js_name = capacity, unchecked_param_type = "number")] capacity: JsValue,
    ) -> Promise {
        let op = want_uint(&capacity, "capacity", U16).map(|c| Op::SetAgentCapacity { capacity: c as u16 });
        self.op(Answer::Done, op)
    }

    /// Resolves with `{time}`, the server's clock.
    #[wasm_bindgen(unchecked_return_type = "Promise<PongData>")]
    pub fn ping(&self) -> Promise {
        self.op(Answer::Data, Ok(Op::Ping))
    }

    #[wasm_bindgen(js_name = forwardUser, unchecked_return_type = "Promise<void>")]
    pub fn forward_user(
        &self,
        #[wasm_bindgen(js_name = queID, unchecked_param_type = "number")] que_id: JsValue,
        #[wasm_bindgen(js_name = usrID, unchecked_param_type = "string")] usr_id: JsValue,
        #[wasm_bindgen(js_name = toQueID, unchecked_param_type = "number")] to_que_id: JsValue,
    ) -> Promise {
        let op = || {
            let (que_id, usr_id) = queue_user(&que_id, &usr_id)?;
            Ok(Op::ForwardUser { que_id, usr_id, to_que_id: want_uint(&to_que_id, "toQueID", U32)? })
        };
        self.op(Answer::Done, op())
    }

    /// A room to call a customer into; resolves with its MeetInfo.
    #[wasm_bindgen(js_name = createMeeting, unchecked_return_type = "Promise<MeetInfo>")]
    pub fn create_meeting(
        &self,
        #[wasm_bindgen(js_name = subject, unchecked_param_type = "string | undefined")] subject: JsValue,
        #[wasm_bindgen(js_name = pswd, unchecked_param_type = "string | undefined")] pswd: JsValue,
    ) -> Promise {
        let op = || {
            Ok(Op::CreateMeeting {
                subject: opt_str(&subject, "subject")?.unwrap_or_default(),
                pswd: opt_str(&pswd, "pswd")?.unwrap_or_default(),
            })
        };
        self.op(Answer::Data, op())
    }

    #[wasm_bindgen(js_name = enterMeeting, unchecked_return_type = "Promise<MeetInfo>")]
    pub fn enter_meeting(
        &self,
        #[wasm_bindgen(js_name = meetID, unchecked_param_type = "number")] meet_id: JsValue,
        #[wasm_bindgen(js_name = pswd, unchecked_param_type = "string | undefined")] pswd: JsValue,
    ) -> Promise {
        let op = || {
            Ok(Op::EnterMeeting {
                meet_id: want_uint(&meet_id, "meetID", U32)?,
                pswd: opt_str(&pswd, "pswd")?.unwrap_or_default(),
            })
        };
        self.op(Answer::Data, op())
    }

    #[wasm_bindgen(js_name = exitMeeting, unchecked_return_type = "Promise<void>")]
    pub fn exit_meeting(
        &self,
        #[wasm_bindgen(js_name = meetID, unchecked_param_type = "number")] meet_id: JsValue,
    ) -> Promise {
        self.op(Answer::Done, want_uint(&meet_id, "meetID", U32).map(|meet_id| Op::ExitMeeting { meet_id }))
    }

    /// Ends a room this session created, for everyone (the others get MeetingStopped).
    #[wasm_bindgen(js_name = destroyMeeting, unchecked_return_type = "Promise<void>")]
    pub fn destroy_meeting(
        &self,
        #[wasm_bindgen(js_name = meetID, unchecked_param_type = "number")] meet_id: JsValue,
    ) -> Promise {
        self.op(Answer::Done, want_uint(&meet_id, "meetID", U32).map(|meet_id| Op::DestroyMeeting { meet_id }))
    }

    /// Sends a text to the other members of room `meetID` (to `UID` only when given);
    /// they get the NotifyIMmsg event.
    #[wasm_bindgen(js_name = sendIMmsg, unchecked_return_type = "Promise<void>")]
    pub fn send_im_msg(
        &self,
        #[wasm_bindgen(js_name = meetID, unchecked_param_type = "number")] meet_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        #[wasm_bindgen(js_name = UID, unchecked_param_type = "string | undefined")] uid: JsValue,
    ) -> Promise {
        let op = || {
            Ok(Op::SendIMmsg {
                meet_id: want_uint(&meet_id, "meetID", U32)?,
                text: want_str(&text, "text")?,
                uid: opt_str(&uid, "UID")?,
                kind: lineup_protocol::types::MsgKind::Text,
            })
        };
        self.op(Answer::Done, op())
    }

    /// From now on, a NotifyUserStatus event for every status change of every user of
    /// the app (agents, supervisors).
    #[wasm_bindgen(js_name = startUserStatusNotify, unchecked_return_type = "Promise<void>")]
    pub fn start_user_status_notify(&self) -> Promise {
        self.op(Answer::Done, Ok(Op::StartUserStatusNotify))
    }

    /// No more NotifyUserStatus events.
    #[wasm_bindgen(js_name = stopUserStatusNotify, unchecked_return_type = "Promise<void>")]
    pub fn stop_user_status_notify(&self) -> Promise {
        self.op(Answer::Done, Ok(Op::StopUserStatusNotify))
    }

    /// The status of every user of the app with a session, or of `UID` only (agents,
    /// supervisors).
    #[wasm_bindgen(js_name = getUserStatus, unchecked_return_type = "Promise<UserStatus[]>")]
    pub fn get_user_status(
        &self,
        #[wasm_bindgen(js_name = UID, unchecked_param_type = "string | undefined")] uid: JsValue,
    ) -> Promise {
        self.op(Answer::Field("users"), opt_str(&uid, "UID").map(|uid| Op::GetUserStatus { uid }))
    }

    /// Records the call in room `meetID` from now on (apps with `recordOnDemand`);
    /// resolves with the recording's mixer id. The room's pages get the
    /// CloudMixerStateChanged and CloudMixerOutputInfoChanged events.
    #[wasm_bindgen(js_name = startRecording, unchecked_return_type = "Promise<string>")]
    pub fn start_recording(
        &self,
        #[wasm_bindgen(js_name = meetID, unchecked_param_type = "number")] meet_id: JsValue,
    ) -> Promise {
        let mixer_id = crate::interop::random_hex::<16>();
        let id = JsValue::from(mixer_id.clone());
        let op = want_uint(&meet_id, "meetID", U32).map(|meet_id| Op::CreateCloudMixer { meet_id, mixer_id });
        self.op(Answer::Value(id), op)
    }

    /// Stops a recording started with startRecording (its file is kept).
    #[wasm_bindgen(js_name = stopRecording, unchecked_return_type = "Promise<void>")]
    pub fn stop_recording(
        &self,
        #[wasm_bindgen(js_name = mixerID, unchecked_param_type = "string")] mixer_id: JsValue,
    ) -> Promise {
        self.op(Answer::Done, want_str(&mixer_id, "mixerID").map(|mixer_id| Op::DestroyCloudMixer { mixer_id }))
    }

    /// Calls a user into a room; resolves with the callID.
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn call(
        &self,
        #[wasm_bindgen(js_name = UID, unchecked_param_type = "string")] uid: JsValue,
        #[wasm_bindgen(js_name = meetID, unchecked_param_type = "number")] meet_id: JsValue,
        #[wasm_bindgen(js_name = usrExtDat, unchecked_param_type = "string | undefined")] usr_ext_dat: JsValue,
    ) -> Promise {
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

    #[wasm_bindgen(js_name = acceptCall, unchecked_return_type = "Promise<void>")]
    pub fn accept_call(
        &self,
        #[wasm_bindgen(js_name = callID, unchecked_param_type = "string")] call_id: JsValue,
        #[wasm_bindgen(js_name = usrExtDat, unchecked_param_type = "string | undefined")] usr_ext_dat: JsValue,
    ) -> Promise {
        self.op(
            Answer::Done,
            call_ext(&call_id, &usr_ext_dat).map(|(call_id, usr_ext_dat)| Op::AcceptCall { call_id, usr_ext_dat }),
        )
    }

    #[wasm_bindgen(js_name = rejectCall, unchecked_return_type = "Promise<void>")]
    pub fn reject_call(
        &self,
        #[wasm_bindgen(js_name = callID, unchecked_param_type = "string")] call_id: JsValue,
        #[wasm_bindgen(js_name = usrExtDat, unchecked_param_type = "string | undefined")] usr_ext_dat: JsValue,
    ) -> Promise {
        self.op(
            Answer::Done,
            call_ext(&call_id, &usr_ext_dat).map(|(call_id, usr_ext_dat)| Op::RejectCall { call_id, usr_ext_dat }),
        )
    }

    #[wasm_bindgen(js_name = hangupCall, unchecked_return_type = "Promise<void>")]
    pub fn hangup_call(
        &self,
        #[wasm_bindgen(js_name = callID, unchecked_param_type = "string")] call_id: JsValue,
        #[wasm_bindgen(js_name = usrExtDat, unchecked_param_type = "string | undefined")] usr_ext_dat: JsValue,
    ) -> Promise {
        self.op(
            Answer::Done,
            call_ext(&call_id, &usr_ext_dat).map(|(call_id, usr_ext_dat)| Op::HungupCall { call_id, usr_ext_dat }),
        )
    }

    #[wasm_bindgen(js_name = holdCall, unchecked_return_type = "Promise<void>")]
    pub fn hold_call(
        &self,
        #[wasm_bindgen(js_name = callID, unchecked_param_type = "string")] call_id: JsValue,
    ) -> Promise {
        self.op(Answer::Done, want_str(&call_id, "callID").map(|call_id| Op::HoldCall { call_id }))
    }

    #[wasm_bindgen(js_name = resumeCall, unchecked_return_type = "Promise<void>")]
    pub fn resume_call(
        &self,
        #[wasm_bindgen(js_name = callID, unchecked_param_type = "string")] call_id: JsValue,
    ) -> Promise {
        self.op(Answer::Done, want_str(&call_id, "callID").map(|call_id| Op::ResumeCall { call_id }))
    }

    /// The call this session is in, asked of the server.
    #[wasm_bindgen(js_name = getSessionInfo, unchecked_return_type = "Promise<SessionInfo>")]
    pub fn get_session_info(&self) -> Promise {
        self.op(Answer::Data, Ok(Op::GetSessionInfo))
    }
}

/// Sends `op`, nobody waiting for the reply.
pub(crate) fn send_quietly(core: &core::Core, op: Op) {
    core::send(core, &op, Box::new(|_| {}));
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
