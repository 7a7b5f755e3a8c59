//! The members of the room this session entered, as CloudRoom lists them: from the
//! moment it enters, everyone the EnterMeeting reply lists (this session first), then
//! everyone who enters later (UserEnterMeeting) until they leave. MemberInfo carries CloudRoom's
//! RTCSDKV2 spelling (`userID`, `nickname`) and Lineup's earlier `userId`.

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{core, with_classic};
use crate::args::{id, text};
use crate::interop::{get, object, set};
use crate::media::Device;

/// This session entered room `meet_id` (`room` is the EnterMeeting reply, a MeetInfo
/// with every member now; a server without `members` gives this session and the call's
/// peer).
pub(super) fn entered(meet_id: u32, room: &JsValue) {
    let listed = get(room, "members");
    if let Some(listed) = listed.dyn_ref::<Array>() {
        let members: Vec<(String, String)> =
            listed.iter().map(|m| (text(&get(&m, "UID")), text(&get(&m, "nickName")))).collect();
        with_classic(|c| {
            c.members = vec![c.me.clone()];
            c.members.extend(members.into_iter().filter(|m| m.0 != c.me.0));
        });
        return;
    }
    let session = core().borrow().cache.session_view();
    let peer = (id(&get(&session, "meetingID")) == meet_id && id(&get(room, "memberCount")) > 1)
        .then(|| (text(&get(&session, "peerID")), text(&get(&session, "peerName"))))
        .filter(|(uid, _)| !uid.is_empty());
    with_classic(|c| {
        c.members = vec![c.me.clone()];
        c.members.extend(peer);
    });
}

/// Someone entered the room (UserEnterMeeting).
pub(super) fn joined(uid: String, nick: String) {
    with_classic(|c| match c.members.iter_mut().find(|m| m.0 == uid) {
        Some(m) => m.1 = nick,
        None => c.members.push((uid, nick)),
    });
}

/// Someone left the room (UserLeftMeeting).
pub(super) fn left(uid: &str) {
    with_classic(|c| c.members.retain(|m| m.0 != uid));
}

fn info(uid: &str, nick: &str) -> JsValue {
    let o = object(&[("userID", uid), ("userId", uid), ("nickname", nick)]);
    let part = core().borrow().media.clone();
    let media = part.state.borrow();
    let uid = JsValue::from(uid);
    set(&o, "audioStatus", media.status_of(&uid, Device::Audio));
    set(&o, "videoStatus", media.status_of(&uid, Device::Video));
    o
}

fn member(uid: &JsValue) -> Option<(String, String)> {
    let uid = text(uid);
    with_classic(|c| c.members.iter().find(|m| m.0 == uid).cloned())
}

/// CloudRoom `GetAllMembers()`: every member of the room entered, MemberInfo
/// `{userID, nickname, audioStatus, videoStatus}` (and `userId`).
#[wasm_bindgen(js_name = CRVideo_GetAllMembers)]
pub fn get_all_members() -> Array {
    let members = with_classic(|c| c.members.clone());
    members.iter().map(|(uid, nick)| info(uid, nick)).collect()
}

/// CloudRoom `GetMemberInfo(UID)`: the member's MemberInfo, `{}` when not in the room.
#[wasm_bindgen(js_name = CRVideo_GetMemberInfo)]
pub fn get_member_info(uid: JsValue) -> JsValue {
    member(&uid).map_or_else(|| js_sys::Object::new().into(), |(uid, nick)| info(&uid, &nick))
}

/// The member's nickname ("" when not in the room).
pub(super) fn nickname_of(uid: &str) -> String {
    with_classic(|c| c.members.iter().find(|m| m.0 == uid).map(|m| m.1.clone())).unwrap_or_default()
}

/// CloudRoom `GetMemberNickName(UID)`: the member's nickname, "" when not in the room.
#[wasm_bindgen(js_name = CRVideo_GetMemberNickName)]
pub fn get_member_nick_name(uid: JsValue) -> String {
    nickname_of(&text(&uid))
}

/// CloudRoom `IsUserInMeeting(UID)`.
#[wasm_bindgen(js_name = CRVideo_IsUserInMeeting)]
pub fn is_user_in_meeting(uid: JsValue) -> bool {
    member(&uid).is_some()
}
