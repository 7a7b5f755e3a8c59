//! History reports over REST, as a supervisor's tools fetch them: the open interval at
//! once, an ended interval stored when it ends and still there after a restart, CSV,
//! and clear errors for bad ranges.
//!
//! This binary steps its process's clock forward (to see a 15-minute interval end
//! without waiting for it), so it holds this one test and nothing else.

mod common;

use common::*;
use serde_json::{json, Value};

const INTERVAL_MS: u64 = 15 * 60 * 1000;

async fn report(server: &Server, what: &str, query: &str) -> Vec<Value> {
    let (status, v) = server.get(&format!("/api/v1/apps/demo/reports/{what}{query}"), Some(DEMO_KEY)).await;
    assert_eq!(status, 200, "{v}");
    v["Data"]["rows"].as_array().expect("rows").clone()
}

async fn refused(server: &Server, query: &str) -> String {
    let (status, v) = server.get(&format!("/api/v1/apps/demo/reports/queues{query}"), Some(DEMO_KEY)).await;
    assert_eq!((status, v["RspCode"].as_u64()), (400, Some(4)), "{query}: {v}");
    v["RspDesc"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn reports_show_the_open_interval_keep_ended_ones_across_a_restart_and_refuse_bad_ranges() {
    // Not within seconds of an interval's end (the first checks want one interval).
    let now = lineup_server::clock::now().as_millis();
    let to_end = (now / INTERVAL_MS + 1) * INTERVAL_MS - now;
    if to_end < 30_000 {
        lineup_server::clock::step_clock_forward(to_end + 1000);
    }
    let server = Server::start().await;
    let mut agent = server.client("agent").await;
    agent.request(json!({"op": "StartService", "queID": 2})).await;
    let mut c = server.client("c").await;
    c.request(json!({"op": "StartQueuing", "queID": 2})).await;
    agent.notice("AutoAssignUser").await;
    agent.request(json!({"op": "AcceptAssignUser", "queID": 2, "usrID": "c"})).await;
    assert_eq!(agent.request(json!({"op": "FinishService", "queID": 2, "usrID": "c"})).await["err"], 0);
    agent.request(json!({"op": "SetDNDStatus", "DNDStatus": 2})).await;

    // The open interval, at once.
    let rows = report(&server, "queues", "").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let q = &rows[0];
    assert_eq!((q["queID"].as_u64(), q["complete"].as_bool()), (Some(2), Some(false)), "{q}");
    assert_eq!((q["offered"].as_u64(), q["answered"].as_u64(), q["handled"].as_u64()), (Some(1), Some(1), Some(1)));
    assert_eq!(q["serviceLevel"], 1.0);
    // The rows are what the OpenAPI document says.
    let (_, doc) = server.get("/api/v1/openapi.json", None).await;
    let props = |schema: &str| keys(&doc["components"]["schemas"][schema]["properties"]);
    assert_eq!(keys(q), props("QueueReportRow"));
    let a = report(&server, "agents", "?agent=agent").await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(
        (a[0]["UID"].as_str(), a[0]["answered"].as_u64(), a[0]["offers"].as_u64()),
        (Some("agent"), Some(1), Some(1))
    );
    assert_eq!(keys(&a[0]), props("AgentReportRow"));
    assert_eq!(keys(&a[0]["stateSeconds"]), props("StateSeconds"));
    assert_eq!(a[0]["reasonSeconds"], json!({"2": a[0]["stateSeconds"]["not_ready"]}), "{}", a[0]);
    assert!(report(&server, "agents", "?agent=nobody").await.is_empty());
    assert!(report(&server, "queues", "?queue=3").await.is_empty());

    // CSV: a header line, then a line per row.
    let resp = server
        .http
        .get(format!("{}/api/v1/apps/demo/reports/agents?format=csv", server.base))
        .bearer_auth(DEMO_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let text = resp.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("start,end,complete,UID,offers,answered,missed,handled")
            && lines[0].ends_with("reason2Seconds"),
        "{text}"
    );
    assert!(lines[1].contains(",false,agent,1,1,0,1,"), "{text}");

    // Bad input: named, never a hang or an empty answer.
    assert!(refused(&server, "?from=2026-12-02&to=2026-12-01").await.contains("must be before"));
    assert!(refused(&server, "?from=2025-12-01&to=2026-12-01").await.contains("at most 31"));
    assert!(refused(&server, "?from=yesterday").await.contains("from 'yesterday'"));
    assert!(refused(&server, "?format=xml").await.contains("format"));
    assert!(refused(&server, "?queue=abc").await.contains("queue"));
    assert!(refused(&server, "?interval=-15").await.contains("unknown parameter 'interval'"));
    let (status, _) = server.get("/api/v1/apps/demo/reports/queues", Some("wrong")).await;
    assert!(status == 401 || status == 403, "{status}");

    // The interval ends: its rows are stored, complete; the agent's time goes on in the next.
    let now = lineup_server::clock::now().as_millis();
    lineup_server::clock::step_clock_forward((now / INTERVAL_MS + 1) * INTERVAL_MS + 1000 - now);
    let mut ended = Vec::new();
    for _ in 0..100 {
        ended = report(&server, "queues", "").await.into_iter().filter(|r| r["complete"] == true).collect();
        if !ended.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ended.len(), 1, "the ended interval is stored");
    assert_eq!((ended[0]["offered"].as_u64(), ended[0]["answered"].as_u64()), (Some(1), Some(1)));
    let agents = report(&server, "agents", "").await;
    assert_eq!(
        agents.iter().map(|r| r["complete"].as_bool().unwrap()).collect::<Vec<_>>(),
        [true, false],
        "{agents:?}"
    );
    assert!(agents[1]["stateSeconds"]["not_ready"].as_f64().unwrap() > 0.0, "{}", agents[1]);
    drop(agent);
    drop(c);

    // A restart keeps what ended.
    let dir = server.stop().await;
    let server = Server::start_in(dir, |_| {}).await;
    let after: Vec<Value> = report(&server, "queues", "").await.into_iter().filter(|r| r["complete"] == true).collect();
    assert_eq!(after, ended);
    server.stop().await;
}
