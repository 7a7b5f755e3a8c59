//! A session's WebSocket operations, run on the hub: log in with a ticket, resume, and
//! every queue request mapped onto the engine.

use std::sync::Arc;

use lineup_engine::{AcdError, Input, QueueId, Reply as EngineReply, Request, Role, Roles, SessionId};
use lineup_protocol::ws::{
    reply_ok, AgentsData, CallData, InitQueueData, LoginData, PongData, QueueUsersData, ServingQueuesData,
    StatusesData, UserStatusData,
};
use lineup_protocol::{MsgKind, Notice, Op, Reply, ServerFrame};

use crate::auth;
use crate::clock::now;
use crate::convert;
use crate::hub::{Conn, Hub};

/// Most customers one GetQueueUsers returns.
pub const MAX_QUEUE_USERS: u32 = 1000;

/// An error with its wire code.
pub use crate::ws_error::WsError;

fn acd(e: AcdError) -> WsError {
    WsError::Acd(e)
}

/// `Login`: checks the ticket, logs the user in (or takes over its session), binds the
/// connection.
pub fn login(hub: &mut Hub, ticket: &str, conn: Conn) -> Result<(SessionId, LoginData), WsError> {
    let claims = auth::peek(ticket)?;
    let app = hub.apps.get(&claims.app).ok_or(WsError::NoApp(format!("app '{}' does not exist", claims.app)))?;
    let now_s = now().as_millis() / 1000;
    let claims = auth::verify(&app.secret, ticket, "ticket", now_s)?;
    if !hub.use_ticket(&claims.jti, claims.exp, now_s) {
        return Err(WsError::TokenExpired("this ticket was already used: log in again for a new one".into()));
    }
    let roles: Roles = claims.roles.iter().filter_map(|r| Role::parse(r)).collect();
    let reply = hub
        .input(Input::Login {
            app: claims.app.as_str().into(),
            user_id: claims.uid.as_str().into(),
            name: claims.nick.as_str().into(),
            roles,
        })
        .map_err(acd)?;
    let EngineReply::LoggedIn { session, resumed } = reply else { unreachable!("login replies LoggedIn") };
    tracing::debug!(app = %claims.app, uid = %claims.uid, session = session.0, resumed, "login");
    hub.attach(session, conn);
    Ok((session, login_data(hub, session, resumed)))
}

/// `Resume`: rebinds a held (or still open) session to this connection.
pub fn resume(hub: &mut Hub, token: &str, conn: Conn) -> Result<(SessionId, LoginData), WsError> {
    let session = hub.session_for_token(token).ok_or(WsError::NotLoggedIn(crate::ws_error::SESSION_ENDED.into()))?;
    tracing::debug!(session = session.0, "resume");
    hub.attach(session, conn);
    hub.input(Input::Reconnect { session }).map_err(acd)?;
    hub.media_moved(session);
    Ok((session, login_data(hub, session, true)))
}

fn login_data(hub: &mut Hub, session: SessionId, resumed: bool) -> LoginData {
    let view = hub.engine.session_view(session).expect("just logged in");
    let settings = hub.engine.app_settings(&view.app);
    let hold = settings.map_or(0, |s| s.hold_s);
    let offer_timeout = settings.map_or(0, |s| s.offer_timeout_s);
    let (uid, nick_name, app_id) = (view.user_id.to_string(), view.name.to_string(), view.app.to_string());
    let roles = convert::roles(view.roles);
    LoginData {
        session: hub.resume_token(session, &app_id),
        uid,
        nick_name,
        app_id,
        roles,
        resumed,
        hold_seconds: hold,
        heartbeat_seconds: hub.config.heartbeat_s,
        offer_timeout_seconds: offer_timeout,
    }
}

/// Any other op of a logged-in session.
pub fn handle(hub: &mut Hub, session: SessionId, seq: u64, op: Op) -> Reply {
    match run(hub, session, seq, op) {
        Ok(reply) => reply,
        Err(e) => e.reply(seq),
    }
}

fn request(hub: &mut Hub, session: SessionId, request: Request) -> Result<EngineReply, WsError> {
    hub.input(Input::Session { session, request }).map_err(acd)
}

/// A request whose reply carries no data.
fn request_done(hub: &mut Hub, session: SessionId, seq: u64, req: Request) -> Result<Reply, WsError> {
    request(hub, session, req).map(|_| Reply::ok(seq))
}

fn run(hub: &mut Hub, session: SessionId, seq: u64, op: Op) -> Result<Reply, WsError> {
    let view = hub.engine.session_view(session).ok_or(WsError::NotLoggedIn("the session has ended".to_string()))?;
    let app = view.app.clone();
    let statuses = |hub: &Hub| -> Vec<_> {
        hub.engine
            .queues(&app)
            .iter()
            .filter_map(|q| hub.engine.queue_status(q.queue))
            .map(|s| convert::que_status(&s))
            .collect()
    };
    let own_queue = |hub: &Hub, id: u32| -> Result<QueueId, WsError> {
        hub.engine.queue(&app, QueueId(id)).map(|q| q.queue).ok_or_else(|| acd(AcdError::QueueInvalid(QueueId(id))))
    };
    let done = Reply::ok(seq);
    Ok(match op {
        Op::Login { .. } | Op::Resume { .. } => {
            return Err(WsError::AlreadyLoggedIn("already logged in on this connection".into()))
        }
        Op::Ping => reply_ok(seq, &PongData { time: now().as_millis() }),
        Op::Logout => {
            hub.input(Input::Logout { session }).map_err(acd)?;
            done
        }
        Op::InitQueueDat => {
            request(hub, session, Request::InitQueueDat)?;
            let queues = hub.engine.queues(&app).iter().map(convert::queue_info).collect();
            reply_ok(seq, &InitQueueData { queues, statuses: statuses(hub) })
        }
        Op::RefreshAllQueueStatus => {
            let statuses = statuses(hub);
            for status in &statuses {
                hub.send_after_reply(session, ServerFrame::Notice(Notice::QueueStatusChanged(*status)));
            }
            reply_ok(seq, &StatusesData { statuses })
        }
        Op::GetQueueStatus { que_id } => {
            let q = own_queue(hub, que_id)?;
            reply_ok(seq, &convert::que_status(&hub.engine.queue_status(q).expect("exists")))
        }
        Op::GetQueuingInfo => reply_ok(seq, &convert::queuing_info(&hub.engine.queuing_info(session).map_err(acd)?)),
        Op::GetServingQueues => {
            let queues = hub.engine.serving_queues(session).map_err(acd)?.iter().map(|q| q.0).collect();
            reply_ok(seq, &ServingQueuesData { queues })
        }
        Op::GetQueueUsers { que_id, offset, limit } => {
            let limit = limit.unwrap_or(100);
            if limit == 0 || limit > MAX_QUEUE_USERS {
                return Err(WsError::BadParam(format!("invalid limit: {limit}, must be 1 to {MAX_QUEUE_USERS}")));
            }
            let users = hub
                .engine
                .queue_users(session, QueueId(que_id), offset.unwrap_or(0) as usize, limit as usize)
                .map_err(acd)?;
            reply_ok(
                seq,
                &QueueUsersData {
                    que_id,
                    total: users.total,
                    users: users.users.iter().map(convert::que_user).collect(),
                },
            )
        }
        Op::StartService { que_id, priority, skills } => {
            let (queue, priority) = (QueueId(que_id), priority.unwrap_or(0));
            let request_of = match skills {
                None => Request::StartService { queue, priority },
                Some(skills) => {
                    let skills = skills.into_iter().map(|(n, l)| (n.as_str().into(), l)).collect();
                    Request::StartServiceWith { queue, priority, skills }
                }
            };
            request(hub, session, request_of)?;
            done
        }
        Op::StopService { que_id } => {
            request(hub, session, Request::StopService { queue: QueueId(que_id) })?;
            done
        }
        Op::StartQueuing { que_id, usr_ext_dat, attributes } => {
            let (queue, usr_ext_dat): (QueueId, Arc<str>) = (QueueId(que_id), usr_ext_dat.unwrap_or_default().into());
            let request_of = match attributes {
                None => Request::StartQueuing { queue, usr_ext_dat },
                Some(a) => Request::StartQueuingWith { queue, usr_ext_dat, attributes: convert::attributes_in(a) },
            };
            request(hub, session, request_of)?;
            done
        }
        Op::StopQueuing => {
            request(hub, session, Request::StopQueuing)?;
            done
        }
        Op::AcceptAssignUser { que_id, usr_id } => {
            request(hub, session, Request::AcceptAssignUser { queue: QueueId(que_id), user_id: usr_id.into() })?;
            done
        }
        Op::RejectAssignUser { que_id, usr_id } => {
            request(hub, session, Request::RejectAssignUser { queue: QueueId(que_id), user_id: usr_id.into() })?;
            done
        }
        Op::SetDNDStatus { dnd_status } => {
            let dnd_type = u32::try_from(dnd_status).map_err(|_| {
                WsError::BadParam(format!(
                    "invalid DNDStatus: {dnd_status} is neither 0 (off) nor a DND type 1 to {}",
                    u32::MAX
                ))
            })?;
            request(hub, session, Request::SetDndType { dnd_type })?;
            done
        }
        Op::ReqAssignUser => match request(hub, session, Request::ReqAssignUser)? {
            EngineReply::Assigned(user) => reply_ok(seq, &convert::que_user(&user)),
            _ => unreachable!("ReqAssignUser replies Assigned"),
        },
        Op::ReqAssignUser2 { que_id, usr_id } => {
            match request(hub, session, Request::ReqAssignUser2 { queue: QueueId(que_id), user_id: usr_id.into() })? {
                EngineReply::Assigned(user) => reply_ok(seq, &convert::que_user(&user)),
                _ => unreachable!("ReqAssignUser2 replies Assigned"),
            }
        }
        Op::FinishService { que_id, usr_id } => {
            request(hub, session, Request::FinishService { queue: QueueId(que_id), user_id: usr_id.into() })?;
            done
        }
        Op::SetAgentCapacity { capacity } => {
            request(hub, session, Request::SetCapacity { capacity })?;
            done
        }
        Op::GetQueueStatistics { que_id } => {
            agent_or_supervisor(view.roles)?;
            let q = own_queue(hub, que_id)?;
            reply_ok(seq, &convert::statistics(&hub.engine.queue_stats(q).expect("exists")))
        }
        Op::ForwardUser { que_id, usr_id, to_que_id } => {
            let request =
                Request::ForwardUser { queue: QueueId(que_id), user_id: usr_id.into(), to_queue: QueueId(to_que_id) };
            request_done(hub, session, seq, request)?
        }
        Op::CreateMeeting { subject, pswd } => {
            match request(hub, session, Request::CreateMeeting { subject: subject.into(), pswd: pswd.into() })? {
                EngineReply::Meeting(m) => reply_ok(seq, &convert::meet_info(&m)),
                _ => unreachable!("CreateMeeting replies Meeting"),
            }
        }
        Op::EnterMeeting { meet_id, pswd } => {
            match request(hub, session, Request::EnterMeeting { meeting: meet_id, pswd: pswd.into() })? {
                EngineReply::Meeting(m) => reply_ok(seq, &convert::entered_meeting(&m)),
                _ => unreachable!("EnterMeeting replies Meeting"),
            }
        }
        Op::ExitMeeting { meet_id } => request_done(hub, session, seq, Request::ExitMeeting { meeting: meet_id })?,
        Op::SendIMmsg { meet_id, text, uid, kind } => {
            send_im(hub, session, &view.user_id, meet_id, (text, kind), uid)?;
            done
        }
        Op::DestroyMeeting { meet_id } => {
            request_done(hub, session, seq, Request::DestroyMeeting { meeting: meet_id })?
        }
        Op::Call { call_id, uid, meet_id, usr_ext_dat } => {
            let call = Request::Call {
                callee: uid.into(),
                meeting: meet_id,
                usr_ext_dat: usr_ext_dat.unwrap_or_default().into(),
                call_id: call_id.map(Into::into),
            };
            match request(hub, session, call)? {
                EngineReply::Call(id) => reply_ok(seq, &CallData { call_id: id.to_string() }),
                _ => unreachable!("Call replies Call"),
            }
        }
        Op::AcceptCall { call_id, usr_ext_dat } => {
            let request =
                Request::AcceptCall { call: call_id.into(), usr_ext_dat: usr_ext_dat.unwrap_or_default().into() };
            request_done(hub, session, seq, request)?
        }
        Op::RejectCall { call_id, usr_ext_dat } => {
            let request =
                Request::RejectCall { call: call_id.into(), usr_ext_dat: usr_ext_dat.unwrap_or_default().into() };
            request_done(hub, session, seq, request)?
        }
        Op::HungupCall { call_id, usr_ext_dat } => {
            let request =
                Request::HangupCall { call: call_id.into(), usr_ext_dat: usr_ext_dat.unwrap_or_default().into() };
            request_done(hub, session, seq, request)?
        }
        Op::HoldCall { call_id } => {
            request_done(hub, session, seq, Request::HoldCall { call: call_id.into(), hold: true })?
        }
        Op::ResumeCall { call_id } => {
            request_done(hub, session, seq, Request::HoldCall { call: call_id.into(), hold: false })?
        }
        Op::GetSessionInfo => reply_ok(seq, &convert::session_info(&hub.engine.session_info(session).map_err(acd)?)),
        // The media task answers these (ws.rs sends them there).
        Op::MediaJoin { .. }
        | Op::MediaAnswer { .. }
        | Op::MediaLeave
        | Op::MediaMute { .. }
        | Op::MediaMonitor { .. }
        | Op::StartScreenShare { .. }
        | Op::StopScreenShare { .. } => return Err(WsError::Internal("media is not available on this server".into())),
        Op::CreateCloudMixer { .. } | Op::DestroyCloudMixer { .. } => {
            return Err(WsError::NotEnabled("recording needs the media server, which this server does not run".into()))
        }
        Op::StartUserStatusNotify => {
            agent_or_supervisor(view.roles)?;
            request_done(hub, session, seq, Request::StartUserStatusNotify)?
        }
        Op::StopUserStatusNotify => request_done(hub, session, seq, Request::StopUserStatusNotify)?,
        Op::GetUserStatus { uid } => {
            agent_or_supervisor(view.roles)?;
            let users = hub.engine.user_statuses(session, uid.as_deref()).iter().map(convert::user_status).collect();
            reply_ok(seq, &UserStatusData { users })
        }
        Op::SubscribeWallboard => request_done(hub, session, seq, Request::SubscribeWallboard)?,
        Op::UnsubscribeWallboard => request_done(hub, session, seq, Request::UnsubscribeWallboard)?,
        Op::RequestCallback { number } => {
            request_done(hub, session, seq, Request::RequestCallback { number: number.as_str().into() })?
        }
        Op::GetAgentReasons => {
            agent_or_supervisor(view.roles)?;
            let reasons = crate::admin::reasons(hub, &app).map_err(|e| WsError::Internal(e.to_string()))?;
            reply_ok(seq, &reasons)
        }
        Op::GetAgents => {
            if !view.roles.has(Role::Supervisor) {
                return Err(acd(AcdError::NoPermission(Role::Supervisor)));
            }
            let agents = hub.engine.agents(&app).iter().map(convert::agent).collect();
            reply_ok(seq, &AgentsData { agents })
        }
    })
}

/// Refuses a session that is neither an agent nor a supervisor (err 30).
fn agent_or_supervisor(roles: Roles) -> Result<(), WsError> {
    if roles.has(Role::Agent) || roles.has(Role::Supervisor) {
        Ok(())
    } else {
        Err(WsError::NoPermission("not permitted: this needs the agent or supervisor role".into()))
    }
}

/// The longest in-meeting text (characters).
pub const MAX_IM_TEXT: usize = 4096;

/// CloudRoom SendIMmsg: the text goes to the room's other members (or the one named)
/// as NotifyIMmsg; a held member gets it on resume. A relay: the engine only says who
/// is in the room, and nothing is kept.
fn send_im(
    hub: &mut Hub,
    from: SessionId,
    from_uid: &str,
    meet_id: u32,
    (text, kind): (String, MsgKind),
    to: Option<String>,
) -> Result<(), WsError> {
    let len = text.chars().count();
    if len == 0 || len > MAX_IM_TEXT {
        return Err(WsError::BadParam(format!("invalid text: 1 to {MAX_IM_TEXT} characters ({len} given)")));
    }
    if !hub.engine.in_room(meet_id, from) {
        return Err(WsError::NoRoom(format!("this session is not in room {meet_id}")));
    }
    let mut targets: Vec<SessionId> = Vec::new();
    for &sid in hub.engine.room_members(meet_id).iter().filter(|s| **s != from) {
        let named = hub.engine.session_view(sid).is_some_and(|v| to.as_deref().is_none_or(|uid| v.user_id == uid));
        if named {
            targets.push(sid);
        }
    }
    if let (Some(uid), true) = (&to, targets.is_empty()) {
        return Err(WsError::UserNotFound(format!("{} is not in room {meet_id}", lineup_protocol::fields::clip(uid))));
    }
    let notice = ServerFrame::Notice(Notice::NotifyIMmsg {
        meet_id,
        from_user_id: from_uid.into(),
        text,
        send_time: now().as_millis() / 1000,
        kind,
    });
    for sid in targets {
        hub.send(sid, &notice);
    }
    Ok(())
}
