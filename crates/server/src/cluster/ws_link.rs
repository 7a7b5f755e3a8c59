//! A client's WebSocket carried to the node that owns its app.
//!
//! The node the client reached keeps the client's socket and opens one to the owner
//! (`/ws` with the node credential), sends the client's first frame (`Login` or
//! `Resume`) and then passes frames both ways unchanged. It reads two things on the
//! way: the seq of each request (so that requests still unanswered when the owner goes
//! away get an error reply) and the resume token in the reply to the first frame.
//!
//! When the owner goes away (its socket drops, or closes with 1001 because it handed
//! the app over or shut down), the link waits for the app's next owner, opens a socket
//! to it and sends `Resume` with the token on the client's behalf: the client keeps its
//! socket and gets what any resuming session gets (the notices buffered while it was
//! held, then a snapshot of where it stands), without the reply to that `Resume`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use lineup_protocol::{Reply, ServerFrame};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as Up;

use super::link;
use super::node::{ClusterNode, Owner};

type Upstream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The seq of the `Resume` a link sends itself (its reply is not passed on).
const LINK_RESUME_SEQ: u64 = u64::MAX;

/// How long a link waits for the app's next owner before it gives the client up (the
/// client then reconnects and resumes by itself).
const REATTACH_WITHIN: Duration = Duration::from_secs(15);

/// What a link needs from the node's configuration.
pub struct LinkSettings {
    pub heartbeat: Duration,
    pub client: Option<std::net::IpAddr>,
}

/// Why the upstream part of a link ended.
enum UpstreamEnd {
    /// The client is gone, or was closed: the link is over.
    Over,
    /// The owner handed the app over or stopped (1001): what it did not answer it did
    /// not apply; re-attach to the next owner and send it there.
    HandedOver,
    /// The owner went away (dropped, or seen replaced while silent): what it did not
    /// answer may or may not be applied; re-attach to the next owner.
    OwnerGone,
}

/// Requests a link keeps for re-sending (more in flight at once: the link is cut).
const MAX_IN_FLIGHT: usize = 10_000;

/// Opens a socket to the node at `addr`.
async fn connect(node: &ClusterNode, addr: &str, client: Option<std::net::IpAddr>) -> Option<Upstream> {
    let mut req = format!("ws://{addr}/ws").into_client_request().ok()?;
    let credential = link::credential(&node.settings.secret, &node.settings.node_id);
    req.headers_mut().insert(link::NODE_HEADER, credential.parse().ok()?);
    if let Some(ip) = client {
        req.headers_mut().insert("x-forwarded-for", ip.to_string().parse().ok()?);
    }
    let connecting = tokio_tungstenite::connect_async_with_config(req, None, true);
    match tokio::time::timeout(Duration::from_secs(2), connecting).await {
        Ok(Ok((ws, _))) => Some(ws),
        _ => None,
    }
}

/// How long a link does not go back to the node that just handed its app over while
/// this node's placement still names it (it is seen released within a few polls).
const SKIP_HANDED_OVER_FOR: Duration = Duration::from_secs(1);

/// Connects to whichever node serves `app` now, waiting (bounded) for one: the socket
/// and the node's address. `handed_over`: the address that just handed the app over
/// (not the next owner: it is skipped for [`SKIP_HANDED_OVER_FOR`]).
async fn connect_owner(
    node: &ClusterNode,
    app: &str,
    client: Option<std::net::IpAddr>,
    within: Duration,
    handed_over: Option<&str>,
) -> Option<(Upstream, String)> {
    let started = Instant::now();
    while started.elapsed() < within {
        let addr = match node.owner(app) {
            Owner::There(addr) => Some(addr),
            // Taken over by this very node: the link goes to its own listener.
            Owner::Here(_) => Some(node.settings.advertise.clone()),
            Owner::Nowhere => None,
            Owner::Unknown => return None,
        };
        let stale = addr.is_some() && addr.as_deref() == handed_over && started.elapsed() < SKIP_HANDED_OVER_FOR;
        if let Some(addr) = addr.filter(|_| !stale) {
            if let Some(ws) = connect(node, &addr, client).await {
                return Some((ws, addr));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// [`connect_owner`] after the owner went away, given up when this node stops (the
/// client then gets 1001 and resumes elsewhere).
async fn reattach(
    node: &ClusterNode,
    app: &str,
    client: Option<std::net::IpAddr>,
    handed_over: Option<&str>,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Option<(Upstream, String)> {
    if *shutdown.borrow() {
        return None;
    }
    tokio::select! {
        up = connect_owner(node, app, client, REATTACH_WITHIN, handed_over) => up,
        _ = shutdown.changed() => None,
    }
}

/// Whether `app` is now served by another node than the one at `addr` (a paused or cut
/// off owner keeps its sockets open: the link sees the takeover in the placement).
fn moved(node: &ClusterNode, app: &str, addr: &str) -> bool {
    match node.owner(app) {
        Owner::There(owner) => owner != addr,
        Owner::Here(_) => addr != node.settings.advertise,
        Owner::Nowhere | Owner::Unknown => false,
    }
}

/// How often a link looks at where its app is.
const PLACEMENT_CHECK: Duration = Duration::from_millis(100);

/// The seq of a client frame (0 when it has none).
fn client_seq(text: &str) -> u64 {
    #[derive(serde::Deserialize)]
    struct Seq {
        #[serde(default)]
        seq: u64,
    }
    serde_json::from_str::<Seq>(text).map_or(0, |s| s.seq)
}

/// A reply from the owner: its seq, error and (for a login) resume token.
fn reply_of(text: &str) -> Option<(u64, u32, Option<String>)> {
    const PREFIX: &str = r#"{"type":"reply","seq":"#;
    if !text.starts_with(PREFIX) {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Data {
        session: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct R {
        seq: u64,
        err: u32,
        data: Option<Data>,
    }
    let r: R = serde_json::from_str(text).ok()?;
    Some((r.seq, r.err, r.data.and_then(|d| d.session)))
}

/// The answer to a request whose outcome is not known (the owner went away without a
/// hand-over while it was in flight).
fn in_flight_error(seq: u64) -> Reply {
    let msg = "the app moved to another node while this request was in flight: it was applied or not; retry if needed";
    crate::ws_error::WsError::Internal(msg.into()).reply(seq)
}

/// Why a link stopped reading its client before its upstream ended.
enum WindDown {
    /// The placement shows another owner: the old one is given a moment to close
    /// with 1001 (a hand-over) before it counts as gone.
    Moved,
    /// This node stops: the requests in flight are answered before the 1001.
    Stopping,
    /// A frame could not be written to the owner (its socket broke): what the owner
    /// sent before is still read, for a close 1001 in it says that nothing unanswered
    /// was applied (a node that stops closes a socket as soon as it is opened).
    Broken,
}

/// How long an owner seen replaced (or a stopping node's owner, or one whose socket
/// broke under a write) is given to answer and close before it counts as gone. A
/// hand-over's 1001 is sent before the lease is released, so it is on its way when the
/// new placement is seen; a paused owner sends nothing and is given up after this.
/// (A broken socket whose owner also pinged cannot be read past the ping: tungstenite
/// flushes the pong first, which fails, so that case counts as gone.)
const HAND_OVER_GRACE: Duration = Duration::from_secs(1);

fn reply_text(reply: Reply) -> String {
    serde_json::to_string(&ServerFrame::Reply(reply)).unwrap_or_default()
}

/// Carries the client's socket to the owner of `app`, `first` being its first frame,
/// until the client leaves (or can no longer be carried).
pub async fn carry(
    client: WebSocket,
    node: Arc<ClusterNode>,
    settings: LinkSettings,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    first: String,
    app: String,
    open: crate::limits::OpenSocket,
) {
    let (mut to_client, mut from_client) = client.split();
    let send_timeout = 2 * settings.heartbeat;
    let first_seq = client_seq(&first);
    let mut token: Option<String> = None;
    // Requests sent to the owner and not answered yet, oldest first.
    let mut waiting: std::collections::VecDeque<(u64, String)> = std::collections::VecDeque::new();
    // Requests to send again at the next owner (the last one handed the app over).
    let mut resend: Vec<String> = Vec::new();
    let mut last_seen = Instant::now();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + settings.heartbeat, settings.heartbeat);
    let mut placement = tokio::time::interval(PLACEMENT_CHECK);
    placement.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let close = |code: u16, reason: &str| Message::Close(Some(CloseFrame { code, reason: reason.into() }));
    let mut opening = Some(first);
    let mut up = connect_owner(&node, &app, settings.client, Duration::from_secs(3), None).await;
    let ending = 'link: loop {
        let Some((mut upstream, upstream_addr)) = up.take() else {
            break Some(close(1001, "server restarting"));
        };
        // The first frame, or the link's own Resume after a failover.
        let hello = match opening.take() {
            Some(first) => first,
            None => serde_json::json!({"seq": LINK_RESUME_SEQ, "op": "Resume", "session": token}).to_string(),
        };
        let mut sent = upstream.feed(Up::Text(hello.as_str().into())).await.is_ok();
        if token.is_none() {
            waiting.push_back((first_seq, hello));
        }
        for text in std::mem::take(&mut resend) {
            sent = sent && upstream.feed(Up::Text(text.as_str().into())).await.is_ok();
            waiting.push_back((client_seq(&text), text));
        }
        let sent = sent && upstream.flush().await.is_ok();
        let broken = || Some((tokio::time::Instant::now() + HAND_OVER_GRACE, WindDown::Broken));
        // Set once the placement shows another owner (or this node stops, or the socket
        // broke): the client is no longer read, and the owner is given a moment to
        // answer what it has and to close (a hand-over closes with 1001: then nothing
        // unanswered was applied).
        let mut winding_down: Option<(tokio::time::Instant, WindDown)> = if sent { None } else { broken() };
        let end = loop {
            let wind_down_until = winding_down.as_ref().map(|(at, _)| *at);
            tokio::select! {
                // In this order: a close the owner sent before the placement changed
                // (a hand-over) is read before the placement check sees the change.
                biased;
                m = from_client.next(), if winding_down.is_none() => {
                    last_seen = Instant::now();
                    match m {
                        Some(Ok(Message::Text(t))) => {
                            if waiting.len() >= MAX_IN_FLIGHT {
                                let _ = upstream.close(None).await;
                                break 'link Some(close(crate::conn::CLOSE_TOO_SLOW, "too many requests in flight"));
                            }
                            waiting.push_back((client_seq(t.as_str()), t.as_str().to_string()));
                            if upstream.send(Up::Text(t.as_str().into())).await.is_err() {
                                winding_down = broken();
                            }
                        }
                        Some(Ok(Message::Binary(b))) => {
                            if upstream.send(Up::Binary(b)).await.is_err() {
                                winding_down = broken();
                            }
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                            let _ = upstream.close(None).await;
                            break UpstreamEnd::Over;
                        }
                    }
                }
                m = upstream.next() => match m {
                    Some(Ok(Up::Text(t))) => {
                        let text = t.as_str();
                        if let Some((seq, err, session)) = reply_of(text) {
                            if let Some(at) = waiting.iter().position(|(s, _)| *s == seq) {
                                waiting.remove(at);
                            }
                            if seq == first_seq && err == 0 && token.is_none() {
                                token = session;
                            }
                            if seq == LINK_RESUME_SEQ {
                                if err != 0 {
                                    // The session ended while the app moved: the client logs in anew.
                                    break 'link Some(close(1001, "server restarting"));
                                }
                                continue;
                            }
                        }
                        let sent = tokio::time::timeout(send_timeout, to_client.send(Message::Text(text.into()))).await;
                        if !matches!(sent, Ok(Ok(()))) {
                            let _ = upstream.close(None).await;
                            break 'link Some(close(crate::conn::CLOSE_TOO_SLOW, "too slow: a frame could not be sent"));
                        }
                    }
                    Some(Ok(Up::Close(frame))) => {
                        let code = frame.as_ref().map_or(1006, |f| u16::from(f.code));
                        if code == u16::from(CloseCode::Away) {
                            break UpstreamEnd::HandedOver;
                        }
                        if code == 1006 {
                            break UpstreamEnd::OwnerGone;
                        }
                        let reason = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                        break 'link Some(close(code, &reason));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break UpstreamEnd::OwnerGone,
                },
                _ = ping.tick() => {
                    if last_seen.elapsed() > 2 * settings.heartbeat {
                        let _ = upstream.close(None).await;
                        break 'link Some(close(4000, "heartbeat timeout"));
                    }
                    let sent = tokio::time::timeout(send_timeout, to_client.send(Message::Ping(Default::default()))).await;
                    if !matches!(sent, Ok(Ok(()))) {
                        let _ = upstream.close(None).await;
                        break 'link None;
                    }
                }
                _ = placement.tick(), if winding_down.is_none() => {
                    if moved(&node, &app, &upstream_addr) {
                        winding_down = Some((tokio::time::Instant::now() + HAND_OVER_GRACE, WindDown::Moved));
                    }
                }
                _ = shutdown.changed(), if winding_down.is_none() => {
                    // This node stops: the requests it carried are answered first (just
                    // below), so that the 1001 the client gets means "not applied".
                    winding_down = Some((tokio::time::Instant::now() + HAND_OVER_GRACE, WindDown::Stopping));
                }
                _ = tokio::time::sleep_until(wind_down_until.unwrap_or_else(tokio::time::Instant::now)), if wind_down_until.is_some() => {
                    break UpstreamEnd::OwnerGone;
                }
            }
            if matches!(winding_down, Some((_, WindDown::Stopping))) && waiting.is_empty() {
                let _ = upstream.close(None).await;
                break 'link Some(close(1001, "server restarting"));
            }
        };
        // The owner's socket closes now (its close reply flushed, if it sent a close),
        // not while the link looks for the next owner: a stopping owner waits for it.
        let _ = tokio::time::timeout(Duration::from_millis(500), upstream.close(None)).await;
        drop(upstream);
        if matches!(winding_down, Some((_, WindDown::Stopping))) {
            // Stopping, and the owner did not answer everything in time, or went away:
            // after a hand-over (1001) nothing unanswered was applied, and the client's
            // 1001 says so; else their outcome is not known.
            let unknown = !matches!(end, UpstreamEnd::HandedOver);
            for seq in waiting.drain(..).map(|(seq, _)| seq).filter(|_| unknown) {
                let _ = to_client.send(Message::Text(reply_text(in_flight_error(seq)).into())).await;
            }
            break Some(close(1001, "server restarting"));
        }
        match end {
            UpstreamEnd::Over => break None,
            UpstreamEnd::OwnerGone | UpstreamEnd::HandedOver if token.is_none() => {
                break Some(close(1001, "server restarting"))
            }
            UpstreamEnd::HandedOver => {
                resend = waiting.drain(..).map(|(_, text)| text).collect();
                tracing::debug!(app = %app, resend = resend.len(), "the app was handed over; re-attaching the session");
                up = reattach(&node, &app, settings.client, Some(&upstream_addr), &mut shutdown).await;
            }
            UpstreamEnd::OwnerGone => {
                // Requests the owner took and did not answer: applied and journaled, or not
                // applied (as after a restart); the client may retry them.
                for seq in waiting.drain(..).map(|(seq, _)| seq) {
                    let text = reply_text(in_flight_error(seq));
                    if to_client.send(Message::Text(text.into())).await.is_err() {
                        break 'link None;
                    }
                }
                tracing::debug!(app = %app, "the app's owner went away; re-attaching the session");
                up = reattach(&node, &app, settings.client, None, &mut shutdown).await;
            }
        }
    };
    if let Some(frame) = ending {
        let _ = tokio::time::timeout(Duration::from_secs(5), to_client.send(frame)).await;
    }
    drop(open); // the close frame is out: a stop need not wait for more
    let _ = tokio::time::timeout(Duration::from_secs(5), to_client.close()).await;
    crate::conn::read_until_close(&mut from_client, Duration::from_secs(5)).await;
}
