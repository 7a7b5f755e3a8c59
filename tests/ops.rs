//! Every op of the protocol is reachable from both SDK surfaces and documented: the
//! modern API's method (a `LineupCore` export, declared in index.d.ts), the CloudRoom
//! function (a `CRVideo_` export the loader installs), and its PROTOCOL.md section. A new
//! op fails here until [`SURFACES`] says how each surface sends it and those exist
//! (the recipe: lineup-protocol's crate docs). Native: reads the sources.
#![cfg(not(target_arch = "wasm32"))]

use lineup_protocol::ws::Op;

const INDEX_DTS: &str = include_str!("../js/src/index.d.ts");
const LOADER: &str = include_str!("../js/src/crvideo.js");
const PROTOCOL_MD: &str = include_str!("../PROTOCOL.md");
#[path = "support/sdk_sources.rs"]
mod sdk_sources;
use sdk_sources::{CRVIDEO, MODERN};

/// Not sent by a page call of its own (the SDK sends it).
const BY_THE_SDK: &str = "-";

/// (op, the modern API's method, the CloudRoom function): a name, or [`BY_THE_SDK`].
const SURFACES: &[(&str, &str, &str)] = &[
    ("Login", "login", "Login"),
    ("Resume", BY_THE_SDK, BY_THE_SDK), // after a reconnect
    ("Logout", "logout", "Logout"),
    ("Ping", "ping", BY_THE_SDK), // CloudRoom has none: the SDK's heartbeat
    ("InitQueueDat", "initQueueDat", "InitQueueDat"),
    ("RefreshAllQueueStatus", "refreshAllQueueStatus", "RefreshAllQueueStatus"),
    ("GetQueueStatus", "getQueueStatus", "GetQueueStatus"),
    ("GetQueuingInfo", BY_THE_SDK, "GetQueuingInfo"), // the modern API keeps it current
    ("GetServingQueues", BY_THE_SDK, "GetServingQueues"), // likewise
    ("GetQueueUsers", "getQueueUsers", "GetQueueUsers"),
    ("StartService", "startService", "StartService2"),
    ("StopService", "stopService", "StopService"),
    ("StartQueuing", "startQueuing", "StartQueuing2"),
    ("StopQueuing", "stopQueuing", "StopQueuing"),
    ("AcceptAssignUser", "acceptAssignUser", "AcceptAssignUser"),
    ("RejectAssignUser", "rejectAssignUser", "RejectAssignUser"),
    ("SetDNDStatus", "setDNDStatus", "SetDNDStatus"),
    ("ReqAssignUser", "reqAssignUser", "ReqAssignUser"),
    ("ReqAssignUser2", "reqAssignUser2", "ReqAssignUser2"),
    ("FinishService", "finishService", "FinishService"),
    ("SetAgentCapacity", "setAgentCapacity", "SetAgentCapacity"),
    ("GetQueueStatistics", "getQueueStatistics", "GetQueueStatistics"),
    ("GetAgents", "getAgents", "GetAgents"),
    ("ForwardUser", "forwardUser", "ForwardUser"),
    ("CreateMeeting", "createMeeting", "CreateMeeting"),
    ("EnterMeeting", "enterMeeting", "EnterMeeting"),
    ("ExitMeeting", "exitMeeting", "ExitMeeting"),
    ("DestroyMeeting", "destroyMeeting", "DestroyMeeting"),
    ("Call", "call", "Call"),
    ("AcceptCall", "acceptCall", "AcceptCall"),
    ("RejectCall", "rejectCall", "RejectCall"),
    ("HungupCall", "hangupCall", "HungupCall"),
    ("HoldCall", "holdCall", "HoldCall"),
    ("ResumeCall", "resumeCall", "ResumeCall"),
    ("GetSessionInfo", "getSessionInfo", "GetSessionInfo"),
    ("MediaJoin", "openMic", "OpenMic"), // the first device opened joins the room's media
    ("MediaAnswer", BY_THE_SDK, BY_THE_SDK), // the peer connection's answer
    ("MediaLeave", "leaveMedia", "ExitMeeting"),
    ("MediaMute", "closeMic", "CloseMic"),
    ("MediaMonitor", "monitorCall", BY_THE_SDK), // CloudRoom has no supervisor call modes
    ("SendIMmsg", "sendIMmsg", "SendIMmsg"),
    ("StartUserStatusNotify", "startUserStatusNotify", "StartUserStatusNotify"),
    ("StopUserStatusNotify", "stopUserStatusNotify", "StopUserStatusNotify"),
    ("GetUserStatus", "getUserStatus", "GetUserStatus"),
    ("CreateCloudMixer", "startRecording", "CreateCloudMixer"),
    ("DestroyCloudMixer", "stopRecording", "DestroyCloudMixer"),
    ("GetAgentReasons", "getAgentReasons", BY_THE_SDK), // read at login for SetDNDStatus
    ("SubscribeWallboard", "subscribeWallboard", BY_THE_SDK), // CloudRoom has no wallboard
    ("UnsubscribeWallboard", "unsubscribeWallboard", BY_THE_SDK),
    ("RequestCallback", "requestCallback", "RequestCallback"),
    ("StartScreenShare", "startScreenShare", "StartScreenShare"),
    ("StopScreenShare", "stopScreenShare", "StopScreenShare"),
];

#[test]
fn every_op_has_a_modern_method_a_crvideo_function_and_a_protocol_section() {
    let mut missing = Vec::new();
    for &name in Op::NAMES {
        let Some(&(_, modern, classic)) = SURFACES.iter().find(|(op, _, _)| *op == name) else {
            missing.push(format!(
                "{name}: not in SURFACES (tests/ops.rs): say which modern method and which CRVideo_ function send it"
            ));
            continue;
        };
        if modern != BY_THE_SDK {
            if !INDEX_DTS.contains(&format!("    {modern}(")) {
                missing.push(format!("{name}: no {modern}() in js/src/index.d.ts (run `cargo xtask sdk`)"));
            }
            // `js_name = startService`, or a Rust name that is the JS name (`pub fn call(`).
            let exported = |s: &&str| {
                s.contains(&format!("js_name = {modern},"))
                    || s.contains(&format!("js_name = {modern})"))
                    || s.contains(&format!("pub fn {modern}("))
            };
            if !MODERN.iter().any(exported) {
                missing.push(format!("{name}: no `#[wasm_bindgen(js_name = {modern})]` method in src/api*.rs"));
            }
        }
        if classic != BY_THE_SDK {
            if !CRVIDEO.iter().any(|s| s.contains(&format!("js_name = CRVideo_{classic})"))) {
                missing.push(format!("{name}: no `#[wasm_bindgen(js_name = CRVideo_{classic})]` in src/crvideo"));
            }
            if !LOADER.contains(&format!("'{classic}'")) {
                missing.push(format!("{name}: the loader's FUNCTIONS (js/src/crvideo.js) lack '{classic}'"));
            }
        }
        if !PROTOCOL_MD.contains(&format!("### `{name}`")) {
            missing.push(format!("{name}: no \"### `{name}`\" section in PROTOCOL.md"));
        }
    }
    for (op, _, _) in SURFACES {
        if !Op::NAMES.contains(op) {
            missing.push(format!("{op}: in SURFACES but not an op"));
        }
    }
    assert!(missing.is_empty(), "ops not reachable or not documented:\n{}", missing.join("\n"));
}
