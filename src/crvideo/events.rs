//! The CRVideo core's page events → the page's callbacks, with CloudRoom's argument
//! lists. The queue users of the served queues and the entered room are kept up to date
//! on the way.

use lineup_protocol::ws::NoticeName;
use wasm_bindgen::{JsCast, JsValue};

use lineup_protocol::codes;

use super::{fire, members, with_classic};
use crate::args::{id, text};
use crate::interop::get;

/// CloudRoom's lost-connection number for LineOff (its web SDK's SOCKETEXCEPTION).
const SOCKETEXCEPTION: u32 = 204;

/// A QueUser with both generations' spellings: WebIE's `usrID`, `name`, `usrExtDat`
/// (enumerable, as before) and RTCSDKV2's `userID`, `nickname`, `usrExDat`
/// (non-enumerable copies, so the object's JSON stays WebIE's).
pub(super) fn que_user(user: JsValue) -> JsValue {
    if user.is_object() {
        for (from, to) in [("usrID", "userID"), ("name", "nickname"), ("usrExtDat", "usrExDat")] {
            let v = get(&user, from);
            if !v.is_undefined() && get(&user, to).is_undefined() {
                let desc: js_sys::Object = js_sys::Object::new();
                crate::interop::set(&desc, "value", v);
                crate::interop::set(&desc, "writable", true);
                crate::interop::set(&desc, "configurable", true);
                let _ = js_sys::Object::define_property(user.unchecked_ref::<js_sys::Object>(), &to.into(), &desc);
            }
        }
    }
    user
}

/// One event of the CRVideo core (a notice, or the connection's own).
pub fn on_event(name: &str, d: JsValue) {
    match NoticeName::parse(name) {
        Some(notice) => on_notice(notice, name, d),
        // Media: CloudRoom's (UID, oldStatus, newStatus), and a media connection lost.
        None if name == "AudioStatusChanged" || name == "VideoStatusChanged" => {
            fire(name, &[get(&d, "UID"), get(&d, "oldStatus"), get(&d, "newStatus")])
        }
        None if name == "MediaLost" => fire("MeetingDropped", &[]),
        None if name == "MicEnergyUpdate" => fire(name, &[get(&d, "UID"), get(&d, "oldLevel"), get(&d, "newLevel")]),
        // The connection's own events: NotifyTokenWillExpire, Reconnecting, Reconnected.
        None if super::CALLBACKS.contains(&name) => fire(name, &[]),
        None => {}
    }
}

fn on_notice(notice: NoticeName, name: &str, d: JsValue) {
    use NoticeName as N;
    let f = |key: &str| get(&d, key);
    match notice {
        N::QueueStatusChanged | N::QueuingInfoChanged | N::QueueInfoChanged | N::ServiceFinished | N::NotifyCallEvent => {
            fire(name, &[d])
        }
        N::AutoAssignUser => fire(name, &[que_user(d)]),
        N::CancelAssignUser => fire(name, &[f("queID"), f("usrID")]),
        N::UserEnter => {
            let user = que_user(f("user"));
            with_classic(|c| {
                if let Some(users) = c.queue_users.get_mut(id(&f("queID"))) {
                    users.push(user.clone());
                }
            });
            fire(name, &[f("queID"), user.clone()]);
            fire("NotifyUserEnter", &[f("queID"), user]);
        }
        N::UserLeave => {
            let usr_id = f("usrID");
            with_classic(|c| {
                if let Some(users) = c.queue_users.get_mut(id(&f("queID"))) {
                    users.retain(|u| get(u, "usrID") != usr_id);
                }
            });
            fire(name, &[f("queID"), usr_id.clone(), f("inService")]);
            fire("NotifyUserLeave", &[f("queID"), usr_id, f("inService")]);
        }
        N::QueuingEnded => fire(name, &[f("queID"), f("reason")]),
        N::ServiceStopped | N::QueueRemoved => {
            with_classic(|c| c.queue_users.remove(id(&f("queID"))));
            fire(name, &[f("queID")]);
        }
        N::LineOff => {
            let in_meeting = with_classic(|c| {
                c.queue_users = Default::default();
                c.members.clear();
                std::mem::take(&mut c.meeting) != 0
            });
            if in_meeting {
                fire("MeetingDropped", &[]);
            }
            // CloudRoom's web SDK numbers a lost connection 204 (SOCKETEXCEPTION).
            let code = f("sdkErr");
            fire(name, &[if code.as_f64() == Some(f64::from(codes::CONNECTIONLOST)) { SOCKETEXCEPTION.into() } else { code }]);
        }
        N::MeetingStopped => {
            let meet_id = id(&f("meetID"));
            with_classic(|c| {
                if c.meeting == meet_id {
                    c.meeting = 0;
                    c.members.clear();
                }
            });
            fire(name, &[]);
        }
        N::NotifyCallIn => fire(name, &[f("callID"), f("meetObj"), f("callerID"), f("usrExtDat")]),
        N::NotifyCallAccepted => fire(name, &[f("callID"), f("meetObj"), f("usrExtDat")]),
        N::NotifyCallRejected => fire(name, &[f("callID"), f("sdkErr"), f("usrExtDat")]),
        N::NotifyCallHungup => {
            // H5 spells it NotifyCallHangup: both fire.
            fire(name, &[f("callID"), f("usrExtDat")]);
            fire("NotifyCallHangup", &[f("callID"), f("usrExtDat")]);
        }
        N::NotifyCallHold | N::NotifyCallResume => fire(name, &[f("callID")]),
        N::UserEnterMeeting | N::UserLeftMeeting => {
            let (uid, nick) = (f("UID"), f("nickName"));
            if with_classic(|c| c.meeting == id(&f("meetID"))) {
                match notice {
                    N::UserEnterMeeting => members::joined(text(&uid), text(&nick)),
                    _ => members::left(&text(&uid)),
                }
            }
            fire(name, &[uid, nick, f("meetID")]);
        }
        N::NotifyIMmsg => match f("kind").as_string().as_deref() {
            Some("cmd") => fire("NotifyCmdData", &[f("fromUserID"), f("text")]),
            Some("custom") => fire("NotifyMeetingCustomMsg", &[f("fromUserID"), f("text")]),
            _ => {
                // RTCSDKV2 spells it NotifyIMMsg: both fire.
                fire(name, &[f("fromUserID"), f("text"), f("sendTime")]);
                fire("NotifyIMMsg", &[f("fromUserID"), f("text"), f("sendTime")]);
            }
        },
        N::NotifyUserStatus => fire(name, &[d, super::user_status::notify_cookie()]),
        N::AgentStatusChanged | N::Wallboard => fire(name, &[d]),
        N::RequirementRelaxed => fire(name, &[f("queID"), f("step")]),
        N::NotifyScreenShareStarted | N::NotifyScreenShareStopped => fire(name, &[f("UID")]),
        N::CloudMixerStateChanged => super::mixer::on_state(d),
        N::CloudMixerOutputInfoChanged => super::mixer::on_output(d),
        // The media module answers these (they become status events).
        N::MediaOffer | N::MediaTrack | N::MediaLost | N::MediaBitrate => {}
    }
}
