//! Every JSON example of PROTOCOL.md is the type of its section: a reply's `data` and a
//! bare data object in an op's section parse as that op's reply data, an object in an
//! object's section (§13) as that object, a REST section's bodies as its request or
//! response types — each **both ways** (parsed, then written back to the same JSON), so a
//! field the document shows and the type lacks, or a field the type writes and the
//! document leaves out, fails. (Frames and envelopes are checked by `golden.rs`.)
//!
//! A section with bare JSON examples must be in [`typed`] or in [`checked_elsewhere`]
//! (with the test that checks it), so a new section cannot be left unchecked.

use std::collections::BTreeMap;

use lineup_protocol::rest::{
    AgentReasonsBody, AgentSkillsBody, AppCreateRequest, AppCreated, AppSettingsBody, ForwardData, ForwardRequest,
    LoginRequest, LoginResponse, QueueFields, QueueQueryData, QueueRecord, SkillCatalogBody, TokenRequest,
    TokenResponse,
};
use lineup_protocol::types::{
    AgentInfo, CallEvent, MeetInfo, QueStatus, QueUser, QueueInfo, QueueStatistics, QueuingInfo, ServedCustomer,
    ServedQueue, SessionInfo, UserStatus,
};
use lineup_protocol::ws::{
    AgentsData, CallData, InitQueueData, LoginData, MediaJoinData, PongData, QueueUsersData, ServingQueuesData,
    StatusesData, UserStatusData,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

const PROTOCOL_MD: &str = include_str!("../../../PROTOCOL.md");

type Check = fn(&Value) -> Result<(), String>;

/// Parses `v` as `T` and writes it back: the same JSON, or why not.
fn both_ways<T: DeserializeOwned + Serialize>(v: &Value) -> Result<(), String> {
    let t: T = serde_json::from_value(v.clone()).map_err(|e| format!("{}: {e}", std::any::type_name::<T>()))?;
    let back = serde_json::to_value(&t).map_err(|e| e.to_string())?;
    if &back == v {
        Ok(())
    } else {
        Err(format!("{} writes it back as {back}", std::any::type_name::<T>()))
    }
}

/// A list of `T` (the REST answers that are arrays).
fn list_of<T: DeserializeOwned + Serialize>(v: &Value) -> Result<(), String> {
    both_ways::<Vec<T>>(v)
}

/// A request body: it must parse (the server refuses unknown fields); what it leaves out
/// has defaults, so it is not written back.
fn request<T: DeserializeOwned>(v: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(v.clone())
        .map(|_| ())
        .map_err(|e| format!("{} (request): {e}", std::any::type_name::<T>()))
}

/// The types the examples of a section may have, by its heading.
fn typed(heading: &str) -> Option<Vec<Check>> {
    let op = heading.strip_prefix("### `").and_then(|h| h.strip_suffix('`'));
    let checks: Vec<Check> = match (op, heading) {
        (Some("Ping"), _) | (_, "### 4.2 Replies") => vec![both_ways::<PongData>],
        (Some("InitQueueDat"), _) => vec![both_ways::<InitQueueData>],
        (Some("RefreshAllQueueStatus"), _) => vec![both_ways::<StatusesData>],
        (Some("GetQueueStatus"), _) => vec![both_ways::<QueStatus>],
        (Some("GetQueueStatistics"), _) => vec![both_ways::<QueueStatistics>],
        (Some("GetQueuingInfo"), _) => vec![both_ways::<QueuingInfo>],
        (Some("GetServingQueues"), _) => vec![both_ways::<ServingQueuesData>],
        (Some("GetQueueUsers"), _) => vec![both_ways::<QueueUsersData>],
        (Some("GetAgents"), _) => vec![both_ways::<AgentsData>],
        (Some("ReqAssignUser"), _) => vec![both_ways::<QueUser>],
        (Some("CreateMeeting" | "EnterMeeting"), _) => vec![both_ways::<MeetInfo>],
        (_, "### 10.2 A call, step by step") => vec![both_ways::<MeetInfo>, both_ways::<CallData>],
        (Some("Call"), _) => vec![both_ways::<CallData>],
        (Some("GetSessionInfo"), _) | (_, "### 10.5 Page reloads: GetSessionInfo and rejoining a call") => {
            vec![both_ways::<SessionInfo>]
        }
        (Some("MediaJoin" | "MediaMonitor" | "StartScreenShare"), _) => vec![both_ways::<MediaJoinData>],
        (Some("GetUserStatus"), _) => vec![both_ways::<UserStatusData>, both_ways::<UserStatus>],
        (Some("GetAgentReasons"), _) => vec![both_ways::<AgentReasonsBody>],
        (_, "### 3.1 Logging in, step by step") => {
            vec![request::<LoginRequest>, both_ways::<LoginResponse>, both_ways::<LoginData>]
        }
        (_, "### 3.2 Tokens for business backends") | (_, "### 15.3 `POST /api/v1/apps/{app}/tokens`") => {
            vec![
                request::<TokenRequest>,
                both_ways::<TokenResponse>,
                request::<LoginRequest>,
                both_ways::<LoginResponse>,
            ]
        }
        (_, "### 3.3 Dropped connections, hold time and `Resume`") => vec![both_ways::<LoginData>],
        (_, "### 11.2 Which events, in which order" | "### 11.4 The `message` string" | "### CallEvent") => {
            vec![both_ways::<CallEvent>]
        }
        (_, "### QueueInfo") => vec![both_ways::<QueueInfo>],
        (_, "### QueStatus") => vec![both_ways::<QueStatus>],
        (_, "### QueuingInfo") => vec![both_ways::<QueuingInfo>],
        (_, "### QueUser") => vec![both_ways::<QueUser>],
        (_, "### LoginData") => vec![both_ways::<LoginData>],
        (_, "### QueueStatistics") => vec![both_ways::<QueueStatistics>, list_of::<QueueStatistics>],
        (_, "### AgentInfo") => vec![both_ways::<AgentInfo>, both_ways::<ServedQueue>, both_ways::<ServedCustomer>],
        (_, "### MeetInfo") => vec![both_ways::<MeetInfo>],
        (_, "### SessionInfo") => vec![both_ways::<SessionInfo>],
        (_, "### 15.2 `POST /api/v1/login`") => vec![request::<LoginRequest>, both_ways::<LoginResponse>],
        (_, "### 15.4 `POST /api/v1/apps`") => vec![request::<AppCreateRequest>, both_ways::<AppCreated>],
        (_, "### 15.5 `GET` / `PUT /api/v1/apps/{app}/settings`") => {
            vec![request::<AppSettingsBody>, both_ways::<AppSettingsBody>]
        }
        (
            _,
            "### 15.6 `POST /api/v1/apps/{app}/queues` (queue/add)"
            | "### 15.7 `PUT /api/v1/apps/{app}/queues/{id}` (queue/modify)",
        ) => {
            vec![request::<QueueFields>, both_ways::<QueueRecord>]
        }
        (_, "### 15.10 `GET /api/v1/apps/{app}/queues` (queue/query)") => vec![both_ways::<QueueQueryData>],
        (_, "### 15.14 `POST /api/v1/apps/{app}/queues/{id}/forward`") => {
            vec![request::<ForwardRequest>, both_ways::<ForwardData>]
        }
        (_, "### 15.17 Agent reasons") => vec![request::<AgentReasonsBody>, both_ways::<AgentReasonsBody>],
        (_, "### 15.19 Skills") => vec![
            request::<SkillCatalogBody>,
            both_ways::<SkillCatalogBody>,
            request::<AgentSkillsBody>,
            both_ways::<AgentSkillsBody>,
        ],
        _ => return None,
    };
    Some(checks)
}

/// Sections whose examples are types of the server crate, checked by its tests.
fn checked_elsewhere(heading: &str) -> bool {
    [
        // The server's own bodies (webhook subscriptions and payloads, the delivery log,
        // recordings, reports): crates/server/tests/webhooks.rs, recordings in media.rs,
        // reports.rs (against the OpenAPI document).
        "### 15.8 ",
        "### 15.16 ",
        "### 15.18 ",
        "### 16.",
        // Envelopes and errors only (golden.rs checks them).
        "### 15.1 ",
        "### 15.11 ",
        "### 15.12 ",
        "### 15.13 ",
    ]
    .iter()
    .any(|p| heading.starts_with(p))
}

/// The JSON values of the ```json blocks, by the `##`/`###` heading they are under.
fn values_by_section() -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let (mut heading, mut block): (String, Option<String>) = (String::new(), None);
    for line in PROTOCOL_MD.lines() {
        let t = line.trim();
        match &mut block {
            None if line.starts_with("## ") || line.starts_with("### ") => heading = line.trim_end().to_string(),
            None if t == "```json" => block = Some(String::new()),
            None => {}
            Some(b) if t == "```" => {
                for v in serde_json::Deserializer::from_str(b).into_iter::<Value>() {
                    out.entry(heading.clone()).or_default().push(v.expect("golden.rs checks the JSON is valid"));
                }
                block = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
        }
    }
    out
}

/// The data objects of an example: a reply's `data`, a REST envelope's `Data`, or the
/// value itself when it is no frame or envelope; ops and notices are golden.rs's.
fn data_of(v: &Value) -> Option<&Value> {
    let obj = v.as_object()?;
    if obj.get("type").and_then(Value::as_str) == Some("reply") {
        return obj.get("data");
    }
    if obj.contains_key("op") || obj.contains_key("type") {
        return None;
    }
    if obj.contains_key("RspCode") {
        return obj.get("Data");
    }
    Some(v)
}

#[test]
fn every_example_is_the_type_of_its_section() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (heading, values) in values_by_section() {
        let data: Vec<&Value> = values.iter().filter_map(data_of).collect();
        if data.is_empty() || checked_elsewhere(&heading) {
            continue;
        }
        let Some(checks) = typed(&heading) else {
            failures
                .push(format!("{heading}: {} example(s) of no known type (add the section to `typed`)", data.len()));
            continue;
        };
        for d in data {
            let errors: Vec<String> = checks.iter().filter_map(|c| c(d).err()).collect();
            if errors.len() == checks.len() {
                failures.push(format!("{heading}: {d}\n    {}", errors.join("\n    ")));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "PROTOCOL.md examples that are not their section's type:\n{}", failures.join("\n"));
    assert!(checked > 60, "only {checked} examples checked");
}
