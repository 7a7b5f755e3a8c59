//! What an operator relies on: `/metrics` after a scripted scenario (the counters match
//! what happened), its bearer token, JSON log lines, `--version`, and the binary serving
//! the demo apps and the SDK built into it from an empty working directory.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{temp_dir, Client, Server, DEMO_KEY};
use serde_json::{json, Value};

const TECH: u32 = 2;

/// Samples of an OpenMetrics text: `name{labels}` → value.
fn samples(text: &str) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (key, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("a sample line: {line}"));
        out.insert(key.to_string(), value.parse::<f64>().unwrap_or_else(|_| panic!("a number: {line}")));
    }
    out
}

fn sample(s: &HashMap<String, f64>, key: &str) -> f64 {
    *s.get(key).unwrap_or_else(|| panic!("no sample {key}"))
}

#[tokio::test]
async fn metrics_count_what_happened() {
    let server = Server::start_with(|c| c.metrics_token = Some("scrape-secret".into())).await;
    server.demo_settings(json!({"offerTimeoutSeconds": 1, "reofferDelaySeconds": 600})).await;
    let mut agent = server.client("agent1").await;
    assert_eq!(agent.request(json!({"op": "StartService", "queID": TECH})).await["err"], 0);
    let mut customers: Vec<Client> = Vec::new();
    for uid in ["a", "b", "c"] {
        let mut c = server.client(uid).await;
        assert_eq!(c.request(json!({"op": "StartQueuing", "queID": TECH})).await["err"], 0);
        customers.push(c);
    }
    // a: offered, accepted, served, finished.
    assert_eq!(agent.notice("AutoAssignUser").await["usrID"], "a");
    assert_eq!(agent.request(json!({"op": "AcceptAssignUser", "queID": TECH, "usrID": "a"})).await["err"], 0);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(agent.request(json!({"op": "FinishService", "queID": TECH, "usrID": "a"})).await["err"], 0);
    // b: offered, rejected. c: offered, not answered (1 s).
    assert_eq!(agent.notice("AutoAssignUser").await["usrID"], "b");
    assert_eq!(agent.request(json!({"op": "RejectAssignUser", "queID": TECH, "usrID": "b"})).await["err"], 0);
    assert_eq!(agent.notice("AutoAssignUser").await["usrID"], "c");
    let cancel = agent.notice("CancelAssignUser").await;
    assert_eq!(cancel["usrID"], "c", "{cancel}");
    // b and c give up (the agent declined both for the re-offer delay).
    for c in &mut customers[1..] {
        assert_eq!(c.request(json!({"op": "StopQueuing"})).await["err"], 0);
    }

    let url = format!("{}/metrics", server.base);
    let open = server.http.get(&url).send().await.unwrap();
    assert_eq!(open.status(), 401, "the metrics token is required");
    let wrong = server.http.get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let resp = server.http.get(&url).bearer_auth("scrape-secret").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = resp.text().await.unwrap();
    assert!(text.trim_end().ends_with("# EOF"), "OpenMetrics ends with # EOF");
    let s = samples(&text);
    let q = |name: &str| sample(&s, &format!("{name}{{app=\"demo\",queue=\"{TECH}\"}}"));
    let offers = |outcome: &str| sample(&s, &format!("lineup_queue_offers_ended_total{{app=\"demo\",queue=\"{TECH}\",outcome=\"{outcome}\"}}"));
    assert_eq!(q("lineup_queue_customers_entered_total"), 3.0);
    assert_eq!(q("lineup_queue_customers_served_total"), 1.0);
    assert_eq!(q("lineup_queue_customers_abandoned_total"), 2.0);
    assert_eq!(q("lineup_queue_customers_timed_out_total"), 0.0);
    assert_eq!(q("lineup_queue_waiting_customers"), 0.0);
    assert_eq!(q("lineup_queue_offers_made_total"), 3.0);
    assert_eq!(offers("accepted"), 1.0);
    assert_eq!(offers("rejected"), 1.0);
    assert_eq!(offers("timed_out"), 1.0);
    assert_eq!(offers("withdrawn"), 0.0);
    assert_eq!(q("lineup_queue_wait_seconds_count"), 1.0, "one served customer's wait");
    assert_eq!(q("lineup_queue_talk_seconds_count"), 1.0, "one finished service");
    assert!(q("lineup_queue_talk_seconds_sum") >= 0.05);
    assert_eq!(sample(&s, &format!("lineup_queue_wait_seconds_bucket{{le=\"+Inf\",app=\"demo\",queue=\"{TECH}\"}}")), 1.0);
    assert_eq!(sample(&s, &format!("lineup_queue_agents{{app=\"demo\",queue=\"{TECH}\",state=\"available\"}}")), 1.0);
    // Other queues are there, untouched.
    assert_eq!(sample(&s, "lineup_queue_customers_entered_total{app=\"demo\",queue=\"1\"}"), 0.0);
    assert_eq!(sample(&s, "lineup_sessions{activity=\"agent\",state=\"online\"}"), 1.0);
    assert_eq!(sample(&s, "lineup_sessions{activity=\"other\",state=\"online\"}"), 3.0, "a, b and c no longer queue");
    assert!(sample(&s, "lineup_ws_frames_total{direction=\"in\"}") >= 12.0);
    assert!(sample(&s, "lineup_ws_bytes_total{direction=\"out\"}") > 0.0);
    assert!(sample(&s, "lineup_hub_turn_seconds_count") > 0.0);
    assert!(sample(&s, "lineup_journal_commit_seconds_count") > 0.0);
    assert_eq!(sample(&s, "lineup_webhook_deliveries_pending"), 0.0);
    assert_eq!(sample(&s, "lineup_apps"), 1.0);
    assert!(sample(&s, "process_resident_memory_bytes") > 1e6);
    // The Grafana dashboard in the repository asks only for metrics the server exposes.
    let dashboard = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/grafana/lineup.json")).unwrap();
    let mut asked = 0;
    for word in dashboard.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("lineup_") || word.starts_with("process_") {
            asked += 1;
            let family = word.trim_end_matches("_bucket").trim_end_matches("_total");
            assert!(text.lines().any(|l| l.starts_with(word) || l.starts_with(&format!("# TYPE {family} "))), "the dashboard uses {word}, which /metrics lacks");
        }
    }
    assert!(asked > 20, "the dashboard names the metrics");
    // No per-user label anywhere.
    for uid in ["agent1", "\"a\"", "\"b\"", "\"c\""] {
        assert!(!text.lines().any(|l| !l.starts_with('#') && l.contains(uid)), "{uid} in a label");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_api_describes_itself_and_answers_in_its_envelope() {
    let server = Server::start().await;
    let (status, doc) = server.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for p in ["/login", "/apps/{app}/queues", "/apps/{app}/queues/{id}/forward", "/apps/{app}/deliveries/{id}/resend", "/demo/token"] {
        assert!(paths.contains_key(p), "{p} documented");
    }
    assert!(doc["components"]["schemas"]["QueueRecord"].is_object());
    assert!(doc["info"]["description"].as_str().unwrap().contains("| 33 | TOO_MANY_REQUESTS |"), "every error code listed");
    // What the framework answers itself is in the envelope too.
    let r = server.http.patch(format!("{}/api/v1/apps/demo/queues", server.base)).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["RspCode"], 4, "{v}");
    let r = server.http.get(format!("{}/api/v1/apps/demo/queues?PageNumber=x", server.base)).bearer_auth(DEMO_KEY).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().contains_key("x-request-id"));
    // A caller's request id is echoed only when it is plain; markup is replaced.
    let r = server.http.get(format!("{}/api/v1/apps/demo/queues", server.base)).header("x-request-id", "ops-7.a:b").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "ops-7.a:b");
    let r = server.http.get(format!("{}/api/v1/apps/demo/queues", server.base)).header("x-request-id", "<b>\"x\"</b>").send().await.unwrap();
    assert!(!r.headers()["x-request-id"].to_str().unwrap().contains('<'));
    // A huge app id is not echoed whole.
    let long = "b".repeat(3000);
    let (status, v) = server.get(&format!("/api/v1/apps/{long}/queues"), Some(DEMO_KEY)).await;
    assert_eq!(status, 404);
    assert!(v["RspDesc"].as_str().unwrap().len() < 200, "{v}");
    server.stop().await;
}

/// The real binary, from an empty directory, logging JSON at debug.
#[tokio::test]
async fn the_binary_serves_its_apps_from_anywhere_and_logs_json() {
    let version = Command::new(env!("CARGO_BIN_EXE_lineup-server")).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("lineup-server {}", env!("CARGO_PKG_VERSION")));

    let bad = Command::new(env!("CARGO_BIN_EXE_lineup-server")).env("LINEUP_LOG_FORMAT", "xml").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("LINEUP_LOG_FORMAT: 'xml' is not a log format"));

    let dir = temp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_lineup-server"))
        .current_dir(&dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("LINEUP_LOG_FORMAT", "json")
        .env("LINEUP_LOG", "debug,hyper=info,h2=info,tower=info")
        .env_remove("LINEUP_WWW")
        .env_remove("LINEUP_SDK")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..400 {
        if http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(up, "the server answers /healthz");
    assert!(dir.join("lineup-data").is_dir(), "data under the working directory");

    for (path, ty) in [("/", "text/html"), ("/customer.html", "text/html"), ("/agent.js", "text/javascript"), ("/ui.js", "text/javascript")] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with(ty), "{path}");
        let etag = r.headers()["etag"].clone();
        let again = http.get(format!("{base}{path}")).header("if-none-match", etag).send().await.unwrap();
        assert_eq!(again.status(), 304, "{path} revalidates");
    }
    let (_, sdk_files) = lineup_server::assets::embedded();
    if sdk_files > 0 || std::env::var("LINEUP_REQUIRE_EMBEDDED_SDK").is_ok() {
        for (path, ty) in [("/sdk/lineup-crvideo.js", "text/javascript"), ("/sdk/index.js", "text/javascript"), ("/sdk/lineup_sdk_bg.wasm", "application/wasm")] {
            let r = http.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path} built in");
            assert_eq!(r.headers()["content-type"].to_str().unwrap().split(';').next().unwrap(), ty, "{path}");
        }
    }
    assert_eq!(http.get(format!("{base}/sdk/nothing.js")).send().await.unwrap().status(), 404);
    assert_eq!(http.get(format!("{base}/../Cargo.toml")).send().await.unwrap().status(), 404);

    // A login over REST and the WebSocket, for the log lines.
    let body = json!({"appID": "demo", "md5_appSecret": DEMO_KEY, "UID": "ops-user", "nickName": "Ops"});
    let v: Value = http.post(format!("{base}/api/v1/login")).header("x-request-id", "req-42").json(&body).send().await.unwrap().json().await.unwrap();
    let mut ws = Client::connect(&format!("ws://127.0.0.1:{port}/ws")).await;
    assert_eq!(ws.request(json!({"op": "Login", "ticket": v["ticket"]})).await["err"], 0);
    assert_eq!(ws.request(json!({"op": "InitQueueDat"})).await["err"], 0);
    drop(ws);
    tokio::time::sleep(Duration::from_millis(200)).await;
    sigterm(child.id());
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful stop: {status}");

    let lines: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| l.unwrap())
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(&l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    assert!(lines.iter().all(|l| l["level"].is_string() && l["timestamp"].is_string() && l["message"].is_string()), "every line has level, timestamp, message");
    let find = |pred: &dyn Fn(&Value) -> bool, what: &str| lines.iter().find(|l| pred(l)).cloned().unwrap_or_else(|| panic!("no {what} line"));
    let listening = find(&|l| l["message"].as_str().unwrap().starts_with("Lineup queue server listening"), "start-up");
    assert_eq!(listening["level"], "INFO");
    let request = find(&|l| l["message"] == "request" && l["request_id"] == "req-42", "REST request");
    assert_eq!(request["level"], "DEBUG");
    assert_eq!(request["path"], "/api/v1/login");
    assert_eq!(request["status"], 200);
    assert!(request["latency_us"].is_u64());
    let login = find(&|l| l["message"] == "login", "login");
    assert_eq!(login["level"], "DEBUG", "logins are per-request lines");
    let op = find(&|l| l["message"] == "op" && l["op"] == "InitQueueDat", "WebSocket op");
    assert_eq!(op["span"]["app"], "demo", "{op}");
    assert_eq!(op["span"]["uid"], "ops-user", "{op}");
    assert!(op["span"]["session"].is_u64(), "{op}");
    assert!(op["latency_us"].is_u64());
    assert!(!lines.iter().any(|l| l["level"] == "INFO" && (l["message"] == "login" || l["message"] == "request")), "nothing per-request at INFO");
}

/// SIGTERM, without a libc dependency.
fn sigterm(pid: u32) {
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
}
