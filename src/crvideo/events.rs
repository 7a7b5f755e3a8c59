//! The CRVideo core's page events → the page's callbacks, with CloudRoom's argument
//! lists. The queue users of the served queues and the entered room are kept up to date
//! on the way.

use wasm_bindgen::JsValue;

use super::{fire, with_classic};
use crate::args::id;
use crate::interop::get;

/// One event of the CRVideo core (a notice, or the connection's own).
pub fn on_event(name: &str, d: JsValue) {
    let f = |key: &str| get(&d, key);
    match name {
        "QueueStatusChanged" | "QueuingInfoChanged" | "AutoAssignUser" | "QueueInfoChanged" | "ServiceFinished"
        | "NotifyCallEvent" => fire(name, &[d]),
        "CancelAssignUser" => fire(name, &[f("queID"), f("usrID")]),
        "UserEnter" => {
            let user = f("user");
            with_classic(|c| {
                if let Some(users) = c.queue_users.get_mut(id(&f("queID"))) {
                    users.push(user.clone());
                }
            });
            fire(name, &[f("queID"), user]);
        }
        "UserLeave" => {
            let usr_id = f("usrID");
            with_classic(|c| {
                if let Some(users) = c.queue_users.get_mut(id(&f("queID"))) {
                    users.retain(|u| get(u, "usrID") != usr_id);
                }
            });
            fire(name, &[f("queID"), usr_id, f("inService")]);
        }
        "QueuingEnded" => fire(name, &[f("queID"), f("reason")]),
        "ServiceStopped" | "QueueRemoved" => {
            with_classic(|c| c.queue_users.remove(id(&f("queID"))));
            fire(name, &[f("queID")]);
        }
        "LineOff" => {
            let in_meeting = with_classic(|c| {
                c.queue_users = Default::default();
                std::mem::take(&mut c.meeting) != 0
            });
            if in_meeting {
                fire("MeetingDropped", &[]);
            }
            fire(name, &[f("sdkErr")]);
        }
        "MeetingStopped" => {
            let meet_id = id(&f("meetID"));
            with_classic(|c| {
                if c.meeting == meet_id {
                    c.meeting = 0;
                }
            });
            fire(name, &[]);
        }
        "NotifyTokenWillExpire" | "Reconnecting" | "Reconnected" => fire(name, &[]),
        "NotifyCallIn" => fire(name, &[f("callID"), f("meetObj"), f("callerID"), f("usrExtDat")]),
        "NotifyCallAccepted" => fire(name, &[f("callID"), f("meetObj"), f("usrExtDat")]),
        "NotifyCallRejected" => fire(name, &[f("callID"), f("sdkErr"), f("usrExtDat")]),
        "NotifyCallHungup" => {
            // H5 spells it NotifyCallHangup: both fire.
            fire(name, &[f("callID"), f("usrExtDat")]);
            fire("NotifyCallHangup", &[f("callID"), f("usrExtDat")]);
        }
        "NotifyCallHold" | "NotifyCallResume" => fire(name, &[f("callID")]),
        "UserEnterMeeting" | "UserLeftMeeting" => fire(name, &[f("UID"), f("nickName"), f("meetID")]),
        _ => {}
    }
}
