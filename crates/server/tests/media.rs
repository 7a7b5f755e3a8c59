//! The calls' audio and video through lineup-server's media socket: str0m peers stand
//! in for browsers (real UDP on loopback, signalling on the WebSocket as PROTOCOL.md
//! §10.8 describes). Every loop is bounded in time.

mod common;
#[path = "common/media_peer.rs"]
mod media_peer;

use std::time::{Duration, Instant};

use common::{Client, Server};
use media_peer::{exchange, Peer};
use serde_json::{json, Value};
use str0m::change::SdpAnswer;
use str0m::media::{Direction, MediaKind};

/// An agent's room with the customer in it.
async fn room(server: &Server) -> (Client, Client, u64) {
    let mut agent = server.client("media-agent").await;
    let mut cust = server.client("media-cust").await;
    let room = agent.request(json!({"op": "CreateMeeting", "subject": "media", "pswd": "9"})).await;
    let meet_id = room["data"]["ID"].as_u64().unwrap();
    assert_eq!(agent.request(json!({"op": "EnterMeeting", "meetID": meet_id, "pswd": "9"})).await["err"], 0);
    assert_eq!(cust.request(json!({"op": "EnterMeeting", "meetID": meet_id, "pswd": "9"})).await["err"], 0);
    (agent, cust, meet_id)
}

/// The agent's and the customer's media in the agent's room.
async fn joined(server: &Server) -> (Peer, Peer, u64) {
    let (agent, cust, meet_id) = room(server).await;
    let a = Peer::join(agent, meet_id).await;
    let c = Peer::join(cust, meet_id).await;
    (a, c, meet_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_of_a_room_hear_and_see_each_other_through_the_server() {
    let server = Server::start().await;
    let (mut a, mut c, meet_id) = joined(&server).await;
    exchange(&mut [&mut a, &mut c], 4, 5).await;
    for (who, p) in [("agent", &a), ("customer", &c)] {
        assert!(p.got_audio > 50, "the {who} received {} audio frames", p.got_audio);
        assert!(p.got_video > 50, "the {who} received {} video frames", p.got_video);
        let open = |uid: &str, kind: &str| {
            p.tracks.iter().any(|t| t["UID"] == uid && t["kind"] == kind && t["state"] == "open")
        };
        for (uid, kind) in
            [("media-agent", "audio"), ("media-agent", "video"), ("media-cust", "audio"), ("media-cust", "video")]
        {
            assert!(open(uid, kind), "the {who} was told {uid}'s {kind} is open: {:?}", p.tracks);
        }
    }
    // The customer mutes its microphone: the room is told, then unmutes.
    assert_eq!(c.ws.request(json!({"op": "MediaMute", "kind": "audio", "muted": true})).await["err"], 0);
    a.ws.notice_where("MediaTrack", |t| t["UID"] == "media-cust" && t["kind"] == "audio" && t["state"] == "closed")
        .await;
    assert_eq!(c.ws.request(json!({"op": "MediaMute", "kind": "audio", "muted": false})).await["err"], 0);
    a.ws.notice_where("MediaTrack", |t| t["UID"] == "media-cust" && t["kind"] == "audio" && t["state"] == "open").await;
    let r = c.ws.request(json!({"op": "MediaMute", "kind": "screen", "muted": true})).await;
    assert_eq!(r["err"], 5, "{r}");
    // The customer leaves the room: its media ends, the agent sees its tracks close.
    assert_eq!(c.ws.request(json!({"op": "ExitMeeting", "meetID": meet_id})).await["err"], 0);
    let closed = a.ws.notice_where("MediaTrack", |t| t["UID"] == "media-cust" && t["state"] == "closed").await;
    assert_eq!(closed["meetID"], meet_id);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_monitors_hearing_both_parties_and_whispers_to_the_agent_only() {
    let server = Server::start().await;
    let (mut a, mut c, meet_id) = joined(&server).await;
    let sup = server.client("media-sup").await;
    let mut s = Peer::enter(sup, json!({"op": "MediaMonitor", "meetID": meet_id, "mode": "monitor"}), 99).await;
    exchange(&mut [&mut a, &mut c, &mut s], 4, 4).await;
    assert!(
        s.got_audio > 50 && s.got_video > 50,
        "the monitor hears and sees the call ({} audio, {} video)",
        s.got_audio,
        s.got_video
    );
    assert_eq!((a.got_supervisor, c.got_supervisor), (0, 0), "a monitor sends nothing to the parties");
    assert!(!c.tracks.iter().any(|t| t["UID"] == "media-sup"), "the parties are not told of a monitor: {:?}", c.tracks);
    // Whisper: the same supervisor again, heard by the agent only.
    let r = s.ws.request(json!({"op": "MediaLeave"})).await;
    assert_eq!(r["err"], 0);
    let mut w = Peer::enter(
        s.ws,
        json!({"op": "MediaMonitor", "meetID": meet_id, "mode": "whisper", "UID": "media-agent"}),
        99,
    )
    .await;
    exchange(&mut [&mut a, &mut c, &mut w], 4, 4).await;
    assert!(a.got_supervisor > 50, "the agent hears the whisper ({})", a.got_supervisor);
    assert_eq!(c.got_supervisor, 0, "the customer does not");
    assert!(!c.tracks.iter().any(|t| t["UID"] == "media-sup"), "nor is it told of it");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_unanswered_when_the_socket_dropped_comes_again_on_the_resumed_one() {
    let server = Server::start().await;
    let (agent, cust, meet_id) = room(&server).await;
    let mut a = Peer::join(agent, meet_id).await;
    a.signalling = false; // the agent does not read its socket: the offer waits there
    let mut c = Peer::join(cust, meet_id).await;
    exchange(&mut [&mut a, &mut c], 2, 5).await;
    assert_eq!(a.got_audio, 0, "the agent has not answered: it receives nothing yet");
    // The agent's socket drops with the offer unread; the page resumes its session.
    let token = a.ws.session.clone();
    let old = std::mem::replace(&mut a.ws, Client::connect(&server.ws_url).await);
    old.drop_connection();
    let r = a.ws.request(json!({"op": "Resume", "session": token})).await;
    assert_eq!(r["err"], 0, "{r}");
    a.signalling = true;
    exchange(&mut [&mut a, &mut c], 4, 5).await;
    assert!(a.got_audio >= 50, "after the resume the offer came again and media flows ({} frames)", a.got_audio);
    server.stop().await;
}

#[tokio::test]
async fn monitoring_is_for_supervisors_of_the_app() {
    let server = Server::start().await;
    let (mut agent, _cust, meet_id) = room(&server).await;
    // An agent-only session may not monitor.
    let (_, v) = server
        .post("/api/v1/apps/demo/tokens", Some(common::DEMO_KEY), json!({"UID": "only-agent", "roles": ["agent"]}))
        .await;
    let (_, v) = server.post("/api/v1/login", None, json!({"token": v["token"]})).await;
    let mut only_agent = Client::connect(&server.ws_url).await;
    assert_eq!(only_agent.request(json!({"op": "Login", "ticket": v["ticket"]})).await["err"], 0);
    let r = only_agent.request(json!({"op": "MediaMonitor", "meetID": meet_id, "mode": "monitor", "sdp": "v=0"})).await;
    assert_eq!(
        (r["err"].as_u64(), r["msg"].as_str()),
        (Some(30), Some("not permitted: monitoring needs the supervisor role")),
        "{r}"
    );
    let r = agent.request(json!({"op": "MediaMonitor", "meetID": meet_id, "mode": "listen", "sdp": "v=0"})).await;
    assert_eq!(r["err"], 5, "{r}");
    let r = agent.request(json!({"op": "MediaMonitor", "meetID": meet_id, "mode": "whisper", "sdp": "v=0"})).await;
    assert_eq!((r["err"].as_u64(), r["msg"].as_str()), (Some(5), Some("a whisper needs the agent's UID")), "{r}");
    let r = agent.request(json!({"op": "MediaMonitor", "meetID": 999_999, "mode": "monitor", "sdp": "v=0"})).await;
    assert_eq!(r["err"], 800, "{r}");
    let r = agent
        .request(json!({"op": "MediaMonitor", "meetID": meet_id, "mode": "whisper", "UID": "nobody", "sdp": "v=0"}))
        .await;
    assert_eq!(r["err"], 605, "{r}");
    server.stop().await;
}

/// A malformed SDP is answered with one line naming what is wrong, never the parser's
/// insides (multi-line traces, positions in memory).
#[tokio::test]
async fn a_malformed_offer_gets_one_line_naming_what_is_wrong() {
    let server = Server::start().await;
    let (mut agent, _cust, meet_id) = room(&server).await;
    let garbled = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio nine UDP/TLS/RTP/SAVPF 111\r\n";
    for (sdp, says) in [
        ("v=0\r\nhello <b>world</b>\r\n", "bad SDP: line 2: expected <type>=<value>, got 'hello <b>world</b>'"),
        ("", "bad SDP: it is empty"),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "bad SDP: remote sdp: No m-lines in offer"),
        (garbled, "bad SDP: a line's value could not be read"),
    ] {
        let r = agent.request(json!({"op": "MediaJoin", "meetID": meet_id, "sdp": sdp})).await;
        let msg = r["msg"].as_str().unwrap();
        assert_eq!(r["err"], 6, "{r}");
        assert!(msg.starts_with(says), "{sdp:?}: {msg}");
        assert!(!msg.contains('\n') && !msg.contains("0x") && !msg.contains("Pointer") && msg.len() < 160, "{msg}");
    }
    server.stop().await;
}

#[tokio::test]
async fn media_ops_are_refused_clearly() {
    let server = Server::start().await;
    let (mut agent, mut outsider, meet_id) = {
        let (agent, _cust, meet_id) = room(&server).await;
        (agent, server.client("outsider").await, meet_id)
    };
    let r = outsider.request(json!({"op": "MediaJoin", "meetID": meet_id, "sdp": "v=0"})).await;
    assert_eq!(
        (r["err"].as_u64(), r["msg"].as_str()),
        (Some(800), Some(format!("room {meet_id} does not exist").as_str())),
        "{r}"
    );
    let r = agent.request(json!({"op": "MediaJoin", "meetID": meet_id, "sdp": "not an sdp"})).await;
    assert_eq!(r["err"], 6, "{r}");
    assert!(r["msg"].as_str().unwrap().starts_with("bad SDP"), "{r}");
    let r = agent.request(json!({"op": "MediaAnswer", "sdp": "v=0"})).await;
    assert_eq!(r["err"], 800, "no media joined yet: {r}");
    let r = agent.request(json!({"op": "MediaJoin", "meetID": meet_id})).await;
    assert_eq!(r["err"], 6, "the sdp is required: {r}");
    // A kind or mode the wire does not know: named, with the ones it does.
    let r = agent.request(json!({"op": "MediaMute", "kind": "smell", "muted": true})).await;
    assert_eq!(r["err"], 6, "{r}");
    assert!(
        r["msg"].as_str().unwrap().contains("unknown variant `smell`, expected one of `audio`, `video`, `screen`"),
        "{r}"
    );
    assert_eq!(agent.request(json!({"op": "MediaLeave"})).await["err"], 0, "leaving without media is fine");
    server.stop().await;
}

#[tokio::test]
async fn without_the_media_server_media_ops_say_so() {
    let server = Server::start_with(|c| c.media = false).await;
    let (mut agent, _cust, meet_id) = room(&server).await;
    let r = agent.request(json!({"op": "MediaJoin", "meetID": meet_id, "sdp": "v=0"})).await;
    assert_eq!((r["err"].as_u64(), r["msg"].as_str()), (Some(3), Some("media is not available on this server")), "{r}");
    server.stop().await;
}

/// A call: the agent calls the customer into its room, the customer accepts, both
/// join its media. The parties, the room and the call id.
async fn call_with_media(server: &Server) -> (Peer, Peer, u64, String) {
    let (mut agent, mut cust, meet_id) = room(server).await;
    let call = agent.request(json!({"op": "Call", "UID": "media-cust", "meetID": meet_id})).await;
    let call_id = call["data"]["callID"].as_str().expect("a call id").to_string();
    assert_eq!(cust.request(json!({"op": "AcceptCall", "callID": call_id})).await["err"], 0);
    let a = Peer::join(agent, meet_id).await;
    let c = Peer::join(cust, meet_id).await;
    (a, c, meet_id, call_id)
}

/// What ffprobe (Debian's ffmpeg; `cargo xtask test` installs it) reads in a file.
fn ffprobe(path: &std::path::Path) -> Value {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_streams", "-show_format", "-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs (apt-get install ffmpeg; `cargo xtask test` installs it)");
    assert!(out.status.success(), "ffprobe failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_call_is_a_webm_with_opus_and_vp8_listed_downloaded_told_and_deleted() {
    let rx = common::receiver::Receiver::start(common::receiver::Behaviour::default()).await;
    let server = Server::start_with(|c| c.webhook_backoff_ms = 50).await;
    let key = Some(common::DEMO_KEY);
    let (status, v) = server.put("/api/v1/apps/demo/settings", key, json!({"recordCalls": true})).await;
    assert_eq!((status, &v["Data"]["recordCalls"]), (200, &json!(true)), "{v}");
    let (status, v) =
        server.put("/api/v1/apps/demo/webhook", key, json!({"url": rx.url("/rec"), "events": ["recording"]})).await;
    assert_eq!(status, 200, "{v}");
    let (mut a, mut c, meet_id, call_id) = call_with_media(&server).await;
    exchange(&mut [&mut a, &mut c], 4, 5).await;
    assert_eq!(c.ws.request(json!({"op": "HungupCall", "callID": call_id})).await["err"], 0);
    // The call ended: within the 500 ms check the file is finished and told.
    let told = rx.wait_accepted(1).await;
    assert_eq!(told[0].headers["x-lineup-event"], "recording");
    let event: Value = serde_json::from_str(&told[0].body).unwrap();
    assert_eq!(
        (event["event"].as_str(), event["sessionid"].as_str()),
        (Some("recording.finished"), Some(call_id.as_str())),
        "{event}"
    );
    let id = event["recordingid"].as_str().unwrap().to_string();
    // Listed, by call too.
    let (_, list) = server.get(&format!("/api/v1/apps/demo/recordings?sessionid={call_id}"), key).await;
    let recs = list["Data"]["recordings"].as_array().unwrap();
    assert_eq!(recs.len(), 1, "{list}");
    let rec = &recs[0];
    assert_eq!(
        (rec["id"].as_str(), rec["meetID"].as_u64(), rec["format"].as_str()),
        (Some(id.as_str()), Some(meet_id), Some("webm"))
    );
    let mut parties: Vec<(String, String)> = rec["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["usrID"].as_str().unwrap().into(), t["kind"].as_str().unwrap().into()))
        .collect();
    parties.sort();
    let want = [("media-agent", "audio"), ("media-agent", "video"), ("media-cust", "audio"), ("media-cust", "video")];
    assert_eq!(parties, want.map(|(u, k)| (u.to_string(), k.to_string())), "a track per party's microphone and camera");
    let duration_ms = rec["durationMs"].as_u64().unwrap();
    assert!((3_000..=5_000).contains(&duration_ms), "about the 4 s of media: {duration_ms} ms");
    // Downloaded: a WebM that ffprobe reads as Opus and VP8 of that duration.
    let http = reqwest::Client::new();
    let url = format!("{}{}", server.base, rec["url"].as_str().unwrap());
    let resp = http.get(&url).bearer_auth(common::DEMO_KEY).send().await.unwrap();
    assert_eq!((resp.status().as_u16(), resp.headers()["content-type"].to_str().unwrap()), (200, "video/webm"));
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, rec["bytes"].as_u64().unwrap());
    let dir = common::temp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("call.webm");
    std::fs::write(&path, &bytes).unwrap();
    let probe = ffprobe(&path);
    let codecs: Vec<&str> =
        probe["streams"].as_array().unwrap().iter().map(|s| s["codec_name"].as_str().unwrap()).collect();
    assert_eq!(codecs.iter().filter(|c| **c == "opus").count(), 2, "{probe}");
    assert_eq!(codecs.iter().filter(|c| **c == "vp8").count(), 2, "{probe}");
    let probed: f64 = probe["format"]["duration"].as_str().unwrap().parse().unwrap();
    assert!(
        (probed * 1000.0 - duration_ms as f64).abs() < 300.0,
        "ffprobe's duration {probed} s, the server's {duration_ms} ms"
    );
    // A byte range (players seek).
    let part = http.get(&url).bearer_auth(common::DEMO_KEY).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!((part.status().as_u16(), part.bytes().await.unwrap().len()), (206, 100));
    // Only with the app's credential, only existing ids.
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    let (status, v) = server.get("/api/v1/apps/demo/recordings/0123456789abcdef0123456789abcdef", key).await;
    assert_eq!((status, v["RspCode"].as_u64()), (404, Some(6)), "{v}");
    let (status, v) = server.get("/api/v1/apps/demo/recordings/..%2F..%2Flineup.sqlite3/file", key).await;
    assert_eq!(status, 404, "not a recording id: {v}");
    let (status, _) = server.get("/api/v1/apps/demo/recordings?limit=0", key).await;
    assert_eq!(status, 400);
    // Deleted: the row and the file.
    let (status, v) = server.delete(&format!("/api/v1/apps/demo/recordings/{id}"), key).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(http.get(&url).bearer_auth(common::DEMO_KEY).send().await.unwrap().status(), 404);
    let data_dir = server.stop().await;
    assert_eq!(std::fs::read_dir(data_dir.join("recordings/demo")).unwrap().count(), 0, "the file is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_not_recorded_unless_the_app_says_so() {
    let server = Server::start().await;
    let key = Some(common::DEMO_KEY);
    let (_, v) = server.get("/api/v1/apps/demo/settings", key).await;
    assert_eq!(v["Data"]["recordCalls"], false);
    let (mut a, mut c, _, call_id) = call_with_media(&server).await;
    exchange(&mut [&mut a, &mut c], 2, 5).await;
    assert!(c.got_audio > 20, "media flows");
    assert_eq!(c.ws.request(json!({"op": "HungupCall", "callID": call_id})).await["err"], 0);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (_, list) = server.get("/api/v1/apps/demo/recordings", key).await;
    assert_eq!(list["Data"]["recordings"], json!([]), "{list}");
    let data_dir = server.stop().await;
    assert!(!data_dir.join("recordings").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_recorded_when_the_server_stops_is_kept_and_told_after_the_restart() {
    let rx = common::receiver::Receiver::start(common::receiver::Behaviour::default()).await;
    let server = Server::start_with(|c| c.webhook_backoff_ms = 50).await;
    let key = Some(common::DEMO_KEY);
    server.put("/api/v1/apps/demo/settings", key, json!({"recordCalls": true})).await;
    server.put("/api/v1/apps/demo/webhook", key, json!({"url": rx.url("/rec"), "events": ["recording"]})).await;
    let (mut a, mut c, _, call_id) = call_with_media(&server).await;
    exchange(&mut [&mut a, &mut c], 3, 5).await;
    // The server stops with the call going on: the file is finished on the way out.
    let data_dir = server.stop().await;
    let server = Server::start_in(data_dir, |c| c.webhook_backoff_ms = 50).await;
    let (_, list) = server.get("/api/v1/apps/demo/recordings", key).await;
    let recs = list["Data"]["recordings"].as_array().unwrap();
    assert_eq!(recs.len(), 1, "{list}");
    assert_eq!(recs[0]["sessionId"], call_id.as_str());
    assert!(recs[0]["durationMs"].as_u64().unwrap() >= 2_000, "{list}");
    let told = rx.wait_accepted(1).await;
    let event: Value = serde_json::from_str(&told[0].body).unwrap();
    assert_eq!(event["sessionid"], call_id.as_str(), "the webhook goes after the restart: {event}");
    server.stop().await;
}

/// The next notice `name` (skipping the media signalling the peer handles itself).
async fn mixer_notice(p: &mut Peer, name: &str) -> Value {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if let Some(i) = p.ws.notices.iter().position(|n| n["name"] == name) {
            return p.ws.notices.remove(i).unwrap()["data"].clone();
        }
        p.send_media();
        p.step(5).await;
    }
    panic!("no {name} within 10 s; notices: {:?}", p.ws.notices);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_records_its_call_on_demand_and_the_room_is_told_each_step() {
    let server = Server::start().await;
    let key = Some(common::DEMO_KEY);
    let (_, v) = server.get("/api/v1/apps/demo/settings", key).await;
    assert_eq!(
        (&v["Data"]["recordCalls"], &v["Data"]["recordOnDemand"]),
        (&json!(false), &json!(true)),
        "the demo app records on demand: {v}"
    );
    let (mut a, mut c, meet_id, call_id) = call_with_media(&server).await;
    exchange(&mut [&mut a, &mut c], 1, 5).await;

    // Refused clearly.
    let r = a.ws.request(json!({"op": "CreateCloudMixer", "meetID": meet_id, "mixerID": "no spaces"})).await;
    assert_eq!(
        (r["err"].as_u64(), r["msg"].as_str()),
        (Some(5), Some("invalid mixerID: \"no spaces\" must be 1 to 64 characters of A-Z a-z 0-9 - _")),
        "{r}"
    );
    let r = a.ws.request(json!({"op": "CreateCloudMixer", "meetID": 999, "mixerID": "mix-1"})).await;
    assert_eq!((r["err"].as_u64(), r["msg"].as_str()), (Some(800), Some("room 999 does not exist")), "{r}");
    let r = a.ws.request(json!({"op": "DestroyCloudMixer", "mixerID": "mix-1"})).await;
    assert_eq!(
        (r["err"].as_u64(), r["msg"].as_str()),
        (Some(5), Some("invalid mixerID: no recording 'mix-1' is running")),
        "{r}"
    );
    // An agent that is not in the call's room (a supervisor of the app could record it).
    let (_, t) = server.post("/api/v1/apps/demo/tokens", key, json!({"UID": "rec-other", "roles": ["agent"]})).await;
    let (_, t) = server.post("/api/v1/login", None, json!({"token": t["token"]})).await;
    let mut other = Client::connect(&server.ws_url).await;
    assert_eq!(other.request(json!({"op": "Login", "ticket": t["ticket"]})).await["err"], 0);
    let room = other.request(json!({"op": "CreateMeeting", "subject": "no call", "pswd": ""})).await;
    let empty_room = room["data"]["ID"].as_u64().unwrap();
    assert_eq!(other.request(json!({"op": "EnterMeeting", "meetID": empty_room, "pswd": ""})).await["err"], 0);
    let r = other.request(json!({"op": "CreateCloudMixer", "meetID": empty_room, "mixerID": "mix-0"})).await;
    assert_eq!(
        (r["err"].as_u64(), r["msg"].as_str()),
        (Some(600), Some(&*format!("room {empty_room} has no answered call to record"))),
        "{r}"
    );
    let r = other.request(json!({"op": "CreateCloudMixer", "meetID": meet_id, "mixerID": "mix-0"})).await;
    assert_eq!(
        (r["err"].as_u64(), r["msg"].as_str()),
        (Some(800), Some(&*format!("this session is not in room {meet_id}"))),
        "{r}"
    );

    // The agent starts it: both parties are told it runs.
    assert_eq!(a.ws.request(json!({"op": "CreateCloudMixer", "meetID": meet_id, "mixerID": "mix-1"})).await["err"], 0);
    let mut recording = String::new();
    for p in [&mut a, &mut c] {
        let s = mixer_notice(p, "CloudMixerStateChanged").await;
        assert_eq!(
            (s["meetID"].as_u64(), s["mixerID"].as_str(), s["state"].as_u64(), s["operUserID"].as_str()),
            (Some(meet_id), Some("mix-1"), Some(2), Some("media-agent")),
            "{s}"
        );
        recording = s["recordingID"].as_str().unwrap().to_string();
    }
    // The same request again is fine; another recording of the room is not.
    assert_eq!(a.ws.request(json!({"op": "CreateCloudMixer", "meetID": meet_id, "mixerID": "mix-1"})).await["err"], 0);
    let r = c.ws.request(json!({"op": "CreateCloudMixer", "meetID": meet_id, "mixerID": "mix-2"})).await;
    assert_eq!(
        (r["err"].as_u64(), r["msg"].as_str()),
        (Some(906), Some(&*format!("room {meet_id} is already being recorded"))),
        "{r}"
    );
    exchange(&mut [&mut a, &mut c], 3, 5).await;

    // The customer stops it: stopping, the file, then the end, to both.
    assert_eq!(c.ws.request(json!({"op": "DestroyCloudMixer", "mixerID": "mix-1"})).await["err"], 0);
    for p in [&mut a, &mut c] {
        let s = mixer_notice(p, "CloudMixerStateChanged").await;
        assert_eq!(
            (s["state"].as_u64(), s["operUserID"].as_str(), s["recordingID"].as_str()),
            (Some(4), Some("media-cust"), Some(recording.as_str())),
            "{s}"
        );
        let out = mixer_notice(p, "CloudMixerOutputInfoChanged").await;
        assert_eq!((out["state"].as_u64(), out["mixerID"].as_str()), (Some(2), Some("mix-1")), "{out}");
        assert_eq!(out["svrFilePathName"].as_str(), Some(&*format!("/api/v1/apps/demo/recordings/{recording}/file")));
        let duration = out["duration"].as_u64().unwrap();
        assert!((2_000..=4_500).contains(&duration), "about the 3 s recorded: {out}");
        let s = mixer_notice(p, "CloudMixerStateChanged").await;
        assert_eq!((s["state"].as_u64(), s["operUserID"].as_str()), (Some(0), Some("")), "{s}");
    }
    let (_, list) = server.get(&format!("/api/v1/apps/demo/recordings?sessionid={call_id}"), key).await;
    let recs = list["Data"]["recordings"].as_array().unwrap();
    assert_eq!(recs.len(), 1, "{list}");
    assert_eq!(recs[0]["id"].as_str(), Some(recording.as_str()));
    assert_eq!(recs[0]["tracks"].as_array().unwrap().len(), 4, "both parties' microphones and cameras: {list}");

    // Started again, it ends with the call: a second file of the same call.
    assert_eq!(a.ws.request(json!({"op": "CreateCloudMixer", "meetID": meet_id, "mixerID": "mix-2"})).await["err"], 0);
    let s = mixer_notice(&mut a, "CloudMixerStateChanged").await;
    assert_eq!((s["state"].as_u64(), s["mixerID"].as_str()), (Some(2), Some("mix-2")), "{s}");
    assert_ne!(s["recordingID"].as_str(), Some(recording.as_str()), "a new recording");
    exchange(&mut [&mut a, &mut c], 2, 5).await;
    assert_eq!(c.ws.request(json!({"op": "HungupCall", "callID": call_id})).await["err"], 0);
    let s = mixer_notice(&mut a, "CloudMixerStateChanged").await;
    assert_eq!((s["state"].as_u64(), s["operUserID"].as_str()), (Some(4), Some("")), "the call ended: {s}");
    assert_eq!(mixer_notice(&mut a, "CloudMixerOutputInfoChanged").await["state"], 2);
    assert_eq!(mixer_notice(&mut a, "CloudMixerStateChanged").await["state"], 0);
    let (_, list) = server.get(&format!("/api/v1/apps/demo/recordings?sessionid={call_id}"), key).await;
    assert_eq!(list["Data"]["recordings"].as_array().unwrap().len(), 2, "{list}");

    // An app that does not record on demand says so.
    let (_, v) = server.put("/api/v1/apps/demo/settings", key, json!({"recordOnDemand": false})).await;
    assert_eq!(v["Data"]["recordOnDemand"], false, "{v}");
    let r = a.ws.request(json!({"op": "CreateCloudMixer", "meetID": meet_id, "mixerID": "mix-3"})).await;
    assert_eq!(
        (r["err"].as_u64(), r["msg"].as_str()),
        (Some(806), Some("this app does not record calls on demand (its recordOnDemand setting)")),
        "{r}"
    );
    server.stop().await;
}

/// A new send-only video line for the peer's screen: the StartScreenShare op with its
/// offer, and the pending offer to take the answer.
fn screen_offer(p: &mut Peer, meet_id: u64) -> (Value, str0m::change::SdpPendingOffer) {
    let mut api = p.rtc.sdp_api();
    let mid = api.add_media(MediaKind::Video, Direction::SendOnly, Some("screen".into()), None, None);
    let (offer, pending) = api.apply().unwrap();
    (
        json!({"op": "StartScreenShare", "meetID": meet_id, "mid": mid.to_string(), "sdp": offer.to_sdp_string()}),
        pending,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_member_shares_its_screen_at_a_time_and_the_room_is_told() {
    let server = Server::start().await;
    let (mut agent, cust, meet_id) = room(&server).await;
    // Before its media joined the room: said so.
    let r = agent.request(json!({"op": "StartScreenShare", "meetID": meet_id, "mid": "2", "sdp": "v=0"})).await;
    assert_eq!(r["err"], 35, "{r}");
    assert!(r["msg"].as_str().unwrap().contains("join it first"), "{r}");
    let r = agent.request(json!({"op": "StartScreenShare", "meetID": meet_id, "mid": "", "sdp": "v=0"})).await;
    assert_eq!(
        (r["err"].as_u64(), r["msg"].as_str().map(|m| m.starts_with("invalid mid"))),
        (Some(5), Some(true)),
        "{r}"
    );
    let r = agent
        .request(json!({"op": "StartScreenShare", "meetID": meet_id, "mid": "<b>".repeat(5000), "sdp": "v=0"}))
        .await;
    assert_eq!(r["err"], 5, "a huge mid with markup: {r}");
    assert!(r["msg"].as_str().unwrap().len() < 120, "the message does not echo it: {r}");
    let r = agent.request(json!({"op": "StartScreenShare", "meetID": meet_id, "mid": 2, "sdp": "v=0"})).await;
    assert_eq!(r["err"], 6, "a mid that is not a string: {r}");
    let mut agent = Peer::join(agent, meet_id).await;
    let mut cust = Peer::join(cust, meet_id).await;
    exchange(&mut [&mut agent, &mut cust], 1, 20).await;
    // The agent shares: both are told, the customer's track list gets a screen.
    let (op, pending) = screen_offer(&mut agent, meet_id);
    let r = agent.ws.request(op).await;
    assert_eq!(r["err"], 0, "{r}");
    let answer = SdpAnswer::from_sdp_string(r["data"]["sdp"].as_str().unwrap()).unwrap();
    agent.rtc.sdp_api().accept_answer(pending, answer).unwrap();
    for p in [&mut agent, &mut cust] {
        let n = p.ws.notice("NotifyScreenShareStarted").await;
        assert_eq!(n, json!({"meetID": meet_id, "UID": "media-agent"}));
    }
    // The screen is a track of its own for the others, with its own stream id.
    for _ in 0..50 {
        if cust.tracks.iter().any(|t| t["kind"] == "screen") {
            break;
        }
        cust.step(20).await;
    }
    let screen = cust.tracks.iter().find(|t| t["kind"] == "screen").cloned().expect("a screen track told");
    assert_eq!((screen["UID"].as_str(), screen["state"].as_str()), (Some("media-agent"), Some("open")), "{screen}");
    assert!(screen["stream"].as_str().unwrap().ends_with("-screen"), "{screen}");
    // A second sharer: 700, naming who shares.
    let (op, _) = screen_offer(&mut cust, meet_id);
    let r = cust.ws.request(op).await;
    assert_eq!(
        (r["err"].as_u64(), r["msg"].as_str()),
        (Some(700), Some(format!("media-agent is sharing its screen in room {meet_id}").as_str())),
        "{r}"
    );
    // A stop of nothing is fine; the sharer's stop is told to both.
    assert_eq!(cust.ws.request(json!({"op": "StopScreenShare", "meetID": meet_id})).await["err"], 0);
    assert_eq!(agent.ws.request(json!({"op": "StopScreenShare", "meetID": meet_id})).await["err"], 0);
    for p in [&mut agent, &mut cust] {
        let n = p.ws.notice("NotifyScreenShareStopped").await;
        assert_eq!(n, json!({"meetID": meet_id, "UID": "media-agent"}));
    }
    server.stop().await;
}

/// Resumes `c`'s session on a new socket to `url`.
async fn resume_at(c: &mut Client, url: &str) {
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    c.replace_socket(ws);
    let session = c.session.clone();
    let r = c.request(json!({"op": "Resume", "session": session})).await;
    assert_eq!(r["err"], 0, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_resuming_after_a_restart_are_told_their_media_is_lost_and_join_again() {
    let server = Server::start().await;
    let (mut a, mut c, meet_id) = joined(&server).await;
    exchange(&mut [&mut a, &mut c], 1, 5).await;
    // A socket that dropped and resumed on the same server: its media goes on.
    resume_at(&mut c.ws, &server.ws_url).await;
    let before = (a.got_audio, c.got_audio);
    exchange(&mut [&mut a, &mut c], 1, 5).await;
    assert!(
        a.got_audio > before.0 + 20 && c.got_audio > before.1 + 20,
        "media went on: {before:?} → {} / {}",
        a.got_audio,
        c.got_audio
    );
    c.ws.no_notice("MediaLost", 300).await;
    // A restart: the media the members had was on the server that stopped.
    let (mut agent, mut cust) = (a.ws, c.ws);
    let server = Server::start_in(server.stop().await, |_| {}).await;
    for client in [&mut agent, &mut cust] {
        resume_at(client, &server.ws_url).await;
        assert_eq!(client.notice("MediaLost").await["meetID"], meet_id);
    }
    let mut a = Peer::join(agent, meet_id).await;
    let mut c = Peer::join(cust, meet_id).await;
    exchange(&mut [&mut a, &mut c], 2, 5).await;
    assert!(a.got_audio > 20 && c.got_audio > 20, "audio after the restart: {} / {}", a.got_audio, c.got_audio);
    // Told once: a later resume is not.
    resume_at(&mut a.ws, &server.ws_url).await;
    a.ws.no_notice("MediaLost", 700).await;
    server.stop().await;
}
