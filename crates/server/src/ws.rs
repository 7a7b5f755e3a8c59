//! The WebSocket endpoint: one session per connection, JSON requests and replies,
//! pushed notices, server heartbeat, and clear answers to malformed input.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use lineup_engine::SessionId;
use lineup_protocol::{codes, Op, Reply, ServerFrame};
use tokio::sync::mpsc;

use crate::hub::{next_conn_id, now, Conn, Outgoing};
use crate::session_ops;
use crate::AppState;

/// `GET /ws`.
pub async fn upgrade(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    let max = state.config.max_frame_bytes;
    ws.max_message_size(max).max_frame_size(max).on_upgrade(move |socket| connection(socket, state))
}

fn text(frame: &ServerFrame) -> Outgoing {
    Outgoing::Text(serde_json::to_string(frame).expect("frames serialize").into())
}

async fn connection(socket: WebSocket, state: AppState) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
    let last_seen = Arc::new(AtomicU64::new(now().as_millis()));
    let heartbeat = Duration::from_secs(state.config.heartbeat_s.into());
    let mut shutdown = state.shutdown.clone();

    // Writer: replies and notices, pings, closing.
    let seen = last_seen.clone();
    let writer = tokio::spawn(async move {
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
        loop {
            tokio::select! {
                out = rx.recv() => match out {
                    Some(Outgoing::Text(t)) => {
                        if sink.send(Message::Text(t.as_ref().into())).await.is_err() { break; }
                    }
                    Some(Outgoing::Close { code, reason }) => {
                        let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                        break;
                    }
                    None => break,
                },
                _ = ping.tick() => {
                    let silent = now().as_millis().saturating_sub(seen.load(Ordering::Relaxed));
                    if silent > 2 * heartbeat.as_millis() as u64 {
                        let reason = "heartbeat timeout".into();
                        let _ = sink.send(Message::Close(Some(CloseFrame { code: 4000, reason }))).await;
                        break;
                    }
                    if sink.send(Message::Ping(Default::default())).await.is_err() { break; }
                }
                _ = shutdown.changed() => {
                    let reason = "server restarting".into();
                    let _ = sink.send(Message::Close(Some(CloseFrame { code: 1001, reason }))).await;
                    break;
                }
            }
        }
        let _ = sink.close().await;
    });

    // Reader: requests, in order.
    let conn_id = next_conn_id();
    let mut session: Option<SessionId> = None;
    let mut stopping = state.shutdown.clone();
    loop {
        let message = tokio::select! {
            m = stream.next() => m,
            _ = stopping.changed() => None,
        };
        let Some(message) = message else { break };
        last_seen.store(now().as_millis(), Ordering::Relaxed);
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                let e = e.to_string();
                if e.contains("too long") || e.contains("Space limit") {
                    let max = state.config.max_frame_bytes;
                    push_reply(&tx, Reply::error(0, codes::FRAME_TOO_LARGE, format!("message larger than {max} bytes")));
                    let _ = tx.send(Outgoing::Close { code: 1009, reason: format!("message larger than {max} bytes") });
                } else {
                    tracing::debug!(conn = conn_id, error = %e, "websocket read error");
                }
                break;
            }
        };
        let frame = match message {
            Message::Text(t) => t,
            Message::Binary(_) => {
                push_reply(&tx, Reply::error(0, codes::ERR_DATA, "binary frames are not supported: send JSON text"));
                continue;
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        if on_text(&state, frame.as_str(), &mut session, conn_id, &tx).await {
            let _ = tx.send(Outgoing::Close { code: 1000, reason: "logged out".into() });
            break;
        }
    }
    if let Some(sid) = session {
        let _ = state.hub.call(move |hub| hub.detach(sid, conn_id)).await;
    }
    drop(tx);
    let _ = writer.await;
}

/// Queues a reply on the connection.
fn push_reply(tx: &mpsc::UnboundedSender<Outgoing>, reply: Reply) {
    let _ = tx.send(text(&ServerFrame::Reply(reply)));
}

/// Answers one text frame; returns true when the connection should close (logout).
///
/// Requests that touch the hub queue their reply from inside the hub job, before the
/// notices they cause: a client always sees a request's reply first, and only once
/// the turn is journaled.
async fn on_text(
    state: &AppState,
    frame: &str,
    session: &mut Option<SessionId>,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<Outgoing>,
) -> bool {
    let (seq, op) = match lineup_protocol::ws::parse_client_frame(frame) {
        Ok(f) => (f.seq, f.op),
        Err(reply) => {
            push_reply(tx, reply);
            return false;
        }
    };
    let gone = || Reply::error(seq, codes::INNER_ERR, "server is shutting down");
    let conn = Conn { id: conn_id, tx: tx.clone() };
    let out = tx.clone();
    match (*session, op) {
        (None, op @ (Op::Login { .. } | Op::Resume { .. })) => {
            let result = state
                .hub
                .call(move |hub| {
                    let result = match op {
                        Op::Login { ticket } => session_ops::login(hub, &ticket, conn),
                        Op::Resume { session } => session_ops::resume(hub, &session, conn),
                        _ => unreachable!("matched above"),
                    };
                    match result {
                        Ok((sid, data)) => {
                            hub.push(&out, text(&ServerFrame::Reply(lineup_protocol::ws::reply_ok(seq, &data))));
                            Some(sid)
                        }
                        Err((err, msg)) => {
                            hub.push(&out, text(&ServerFrame::Reply(Reply::error(seq, err, msg))));
                            None
                        }
                    }
                })
                .await;
            match result {
                Ok(sid) => *session = sid.or(*session),
                Err(_) => push_reply(tx, gone()),
            }
            false
        }
        (None, Op::Ping) => {
            push_reply(tx, lineup_protocol::ws::reply_ok(seq, &lineup_protocol::ws::PongData { time: now().as_millis() }));
            false
        }
        (None, op) => {
            let msg = format!("{} needs a session: send Login or Resume first", op.name());
            push_reply(tx, Reply::error(seq, codes::NOT_LOGIN, msg));
            false
        }
        (Some(sid), op) => {
            let logout = matches!(op, Op::Logout);
            let ok = state
                .hub
                .call(move |hub| {
                    let reply = if hub.is_current(sid, conn_id) {
                        session_ops::handle(hub, sid, seq, op)
                    } else {
                        Reply::error(seq, codes::NOT_LOGIN, "this connection was replaced by a newer login")
                    };
                    let ok = reply.err == 0;
                    hub.push(&out, text(&ServerFrame::Reply(reply)));
                    ok
                })
                .await;
            match ok {
                Ok(ok) => {
                    if logout && ok {
                        *session = None;
                        return true;
                    }
                    false
                }
                Err(_) => {
                    push_reply(tx, gone());
                    false
                }
            }
        }
    }
}
