//! Skills-based routing through the server, as an app's backend and pages use it: the
//! app's skills and an agent's levels over REST, a queue's requirement, a customer's
//! attributes on `StartQueuing` shown to agents, the requirement relaxed over time
//! (`RequirementRelaxed`, the webhook's `requirement_step`), each bad input refused
//! naming its field, and everything kept across a restart.

mod common;

use common::*;
use serde_json::{json, Value};

async fn put(server: &Server, path: &str, body: Value) -> Value {
    let (status, v) = server.put(path, Some(DEMO_KEY), body).await;
    assert_eq!(status, 200, "{path}: {v}");
    v["Data"].clone()
}

async fn refused(server: &Server, path: &str, body: Value) -> String {
    let (status, v) = server.call(reqwest::Method::PUT, path, Some(DEMO_KEY), Some(body)).await;
    assert_eq!((status, v["RspCode"].as_u64()), (400, Some(4)), "{path}: {v}");
    v["RspDesc"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn skills_route_customers_to_matching_agents_relax_and_survive_a_restart() {
    let server = Server::start().await;
    let key = Some(DEMO_KEY);
    let skills = json!({"Skills": ["language.cantonese", "language.mandarin", "product.mortgage", "vip"]});
    assert_eq!(put(&server, "/api/v1/apps/demo/skills", skills.clone()).await, skills);
    let (_, v) = server.get("/api/v1/apps/demo/skills", key).await;
    assert_eq!(v["Data"], skills);
    let kit = put(
        &server,
        "/api/v1/apps/demo/agents/kit/skills",
        json!({"Skills": {"language.cantonese": 8, "product.mortgage": 5}}),
    )
    .await;
    assert_eq!(kit, json!({"Skills": {"language.cantonese": 8, "product.mortgage": 5}}));
    let (status, q) = server
        .post("/api/v1/apps/demo/queues", key, json!({"QueueName": "Mortgages", "Requirement": "language[customer.language] >= 5 && product.mortgage >= 3", "RelaxSeconds": 2}))
        .await;
    assert_eq!(status, 200, "{q}");
    let queue = q["Data"]["QueueID"].as_u64().unwrap();
    assert_eq!(q["Data"]["RelaxSeconds"], 2);

    // Mandy (Mandarin, no skills set) serves the queue; a Cantonese customer queues with
    // its attributes: not offered to her.
    let mut mandy = server.client("mandy").await;
    assert_eq!(
        mandy.request(json!({"op": "StartService", "queID": queue, "skills": {"language.mandarin": 9}})).await["err"],
        0
    );
    let (_, v) = server.get("/api/v1/apps/demo/agents/mandy/skills", key).await;
    assert_eq!(v["Data"], json!({"Skills": {"language.mandarin": 9}}), "set by StartService");
    let mut carl = server.client("carl").await;
    let r = carl
        .request(json!({"op": "StartQueuing", "queID": queue, "usrExtDat": "loan", "attributes": {"language": "cantonese", "age": 41, "vip": false}}))
        .await;
    assert_eq!(r["err"], 0, "{r}");
    let entered = mandy.notice("UserEnter").await;
    assert_eq!(entered["user"]["attributes"], json!({"age": 41, "language": "cantonese", "vip": false}), "{entered}");
    mandy.no_notice("AutoAssignUser", 700).await;
    // Kit (Cantonese 8, mortgage 5) comes: offered Carl at once, with the attributes.
    let mut kit = server.client("kit").await;
    assert_eq!(kit.request(json!({"op": "StartService", "queID": queue})).await["err"], 0);
    let offer = kit.notice("AutoAssignUser").await;
    assert_eq!(
        (offer["usrID"].as_str(), &offer["attributes"]["language"]),
        (Some("carl"), &json!("cantonese")),
        "{offer}"
    );
    assert_eq!(kit.request(json!({"op": "RejectAssignUser", "queID": queue, "usrID": "carl"})).await["err"], 0);
    assert_eq!(kit.request(json!({"op": "SetDNDStatus", "DNDStatus": 2})).await["err"], 0);

    // Relaxed after 2 s (step 1: Mandy has no Cantonese at all), then 4 s (anyone).
    assert_eq!(carl.notice("RequirementRelaxed").await, json!({"queID": queue, "step": 1}));
    assert_eq!(carl.notice("RequirementRelaxed").await, json!({"queID": queue, "step": 2}));
    let offer = mandy.notice("AutoAssignUser").await;
    assert_eq!(offer["usrID"], "carl");

    // Bad input, each naming its field; nothing changes.
    let path = format!("/api/v1/apps/demo/queues/{queue}");
    assert_eq!(
        refused(&server, &path, json!({"Requirement": "language.klingon >= 1"})).await,
        "invalid Requirement: at column 1: 'language.klingon' is not a skill of the app"
    );
    assert_eq!(
        refused(&server, &path, json!({"Requirement": "vip && <img src=x onerror=alert(1)>"})).await,
        "invalid Requirement: at column 8: markup is not allowed in a requirement"
    );
    let deep = format!("{}vip{}", "(".repeat(12), ")".repeat(12));
    assert!(refused(&server, &path, json!({"Requirement": deep})).await.contains("nested deeper than 8 levels"));
    let long = vec!["vip"; 200].join(" || ");
    assert!(refused(&server, &path, json!({"Requirement": long})).await.contains("at most 512"));
    assert!(refused(&server, "/api/v1/apps/demo/agents/kit/skills", json!({"Skills": {"vip": 11}}))
        .await
        .starts_with("invalid skills: vip: level 11"));
    assert!(refused(&server, "/api/v1/apps/demo/agents/kit/skills", json!({"Skills": {"vip": "high"}}))
        .await
        .contains("Skills"));
    assert!(refused(&server, "/api/v1/apps/demo/skills", json!({"Skills": ["vip"]}))
        .await
        .contains("requirement needs it"));
    let (_, v) = server.get(&path, key).await;
    assert_eq!(v["Data"]["Requirement"], "language[customer.language] >= 5 && product.mortgage >= 3");
    for (attrs, want) in [
        (json!({"age": 1.5}), (6, "attributes: must be text, an integer or true/false")),
        (json!({"a": {"b": 1}}), (6, "attributes: must be text, an integer or true/false")),
        (json!({"bad name": 1}), (5, "invalid attributes: 'bad name' is not a name")),
    ] {
        let mut dora = server.client("dora").await;
        let r = dora.request(json!({"op": "StartQueuing", "queID": queue, "attributes": attrs})).await;
        assert_eq!(r["err"], want.0, "{r}");
        assert!(r["msg"].as_str().unwrap().contains(want.1), "{r}");
    }

    // Kept across a restart: the skills, the levels, the requirement.
    let dir = server.stop().await;
    let server = Server::start_in(dir, |_| {}).await;
    let (_, v) = server.get("/api/v1/apps/demo/skills", key).await;
    assert_eq!(v["Data"], skills);
    let (_, v) = server.get("/api/v1/apps/demo/agents/kit/skills", key).await;
    assert_eq!(v["Data"]["Skills"]["language.cantonese"], 8);
    let (_, v) = server.get(&path, key).await;
    assert_eq!(v["Data"]["RelaxSeconds"], 2);
    server.stop().await;
}
