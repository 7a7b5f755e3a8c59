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
use lineup_protocol::types::MonitorMode;
use lineup_protocol::{Op, Reply, ServerFrame};

use crate::clock::now;
use crate::conn::{
    next_conn_id, read_until_close, Conn, ConnRx, ConnTx, Outgoing, CLOSE_LOGIN_TIMEOUT, CLOSE_TOO_SLOW,
};
use crate::limits::{OpenSocket, Peer, Slot};
use crate::media::Seat;
use crate::session_ops;
use crate::ws_error::WsError;
use crate::ws_error::SESSION_ENDED;
use crate::AppState;

/// `GET /ws`. At most `max_pre_login_per_ip` sockets of one address may be waiting to
/// log in; more are refused with 429.
pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: axum::http::HeaderMap,
) -> Response {
    let max = state.config.max_frame_bytes;
    // A node carrying its client's socket here applied the limits to that client.
    let from_node = state.placement.from_node(&headers);
    let slot = match peer.filter(|_| !from_node) {
        Some(addr) => match state.limits.pre_login(addr.ip()) {
            Some(slot) => Some(slot),
            None => {
                return crate::http_replies::too_many(
                    10,
                    "too many connections from this address are waiting to log in",
                )
            }
        },
        None => None,
    };
    let ws = ws.max_message_size(max).max_frame_size(max).read_buffer_size(READ_BUFFER).write_buffer_size(16 * 1024);
    // Counted until its close frame is out: a stop waits for that.
    let open = state.limits.open_socket();
    // Where one hub serves every app, the connection goes to it at once: waiting for
    // the first frame to learn the app here cost every connection about 5 KB more
    // (measured with 19,000 idle sessions: 361 MB against 266 MB).
    if let Some(hub) = state.placement.only_hub() {
        return ws.on_upgrade(move |socket| connection(socket, state, slot, hub, None, open));
    }
    let client = peer.map(|p| p.ip());
    ws.on_upgrade(move |socket| placed_connection(socket, state, slot, from_node, client, open))
}

/// A new connection to a node of a cluster: its first `Login` or `Resume` names the
/// app; the connection is served here when the app is served here, else carried to the
/// owner.
async fn placed_connection(
    mut socket: WebSocket,
    state: AppState,
    slot: Option<Slot>,
    from_node: bool,
    client: Option<std::net::IpAddr>,
    open: OpenSocket,
) {
    use crate::placement::Owner;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(state.config.login_timeout_s.into());
    let mut shutdown = state.shutdown.clone();
    let text =
        |reply: Reply| Message::Text(serde_json::to_string(&ServerFrame::Reply(reply)).unwrap_or_default().into());
    let close = |code: u16, reason: &str| Message::Close(Some(CloseFrame { code, reason: reason.into() }));
    loop {
        let message = tokio::select! {
            m = socket.recv() => m,
            _ = tokio::time::sleep_until(deadline) => {
                let reason = format!("log in or resume within {} s", state.config.login_timeout_s);
                close_socket(socket, close(CLOSE_LOGIN_TIMEOUT, &reason), open).await;
                return;
            }
            _ = shutdown.changed() => {
                close_socket(socket, close(1001, "server restarting"), open).await;
                return;
            }
        };
        // Copied out of the socket's read buffer: the connection that follows keeps it,
        // and a slice would keep the whole buffer alive for the connection's life.
        let frame: String = match message {
            Some(Ok(Message::Text(t))) => {
                state.metrics.frames_in.inc();
                state.metrics.bytes_in.inc_by(t.len() as u64);
                t.as_str().to_owned()
            }
            Some(Err(e)) if too_large(&e) => {
                let max = state.config.max_frame_bytes;
                let why = format!("message larger than {max} bytes");
                let _ = socket.send(text(WsError::FrameTooLarge(why.clone()).reply(0))).await;
                close_socket(socket, close(1009, &why), open).await;
                return;
            }
            Some(Ok(Message::Binary(_))) => {
                let _ = socket
                    .send(text(WsError::BadData("binary frames are not supported: send JSON text".into()).reply(0)))
                    .await;
                continue;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return,
        };
        let (seq, app) = match lineup_protocol::ws::parse_client_frame(&frame) {
            Err(reply) => (0, Err(reply)),
            Ok(f) => match f.op {
                Op::Login { ticket } => match crate::auth::peek(&ticket) {
                    Ok(claims) => (f.seq, Ok(claims.app)),
                    Err(e) => (f.seq, Err(e.reply(f.seq))),
                },
                Op::Resume { session } => match crate::tokens::token_app(&session) {
                    Some(app) => (f.seq, Ok(app.to_string())),
                    None => (f.seq, Err(WsError::NotLoggedIn(SESSION_ENDED.into()).reply(f.seq))),
                },
                op => (f.seq, Err(before_login(f.seq, &op))),
            },
        };
        let app = match app {
            Ok(app) => app,
            Err(reply) => {
                let _ = socket.send(text(reply)).await;
                continue;
            }
        };
        // A node carrying a client waits for the app's owner itself: a leaving node
        // answers it at once (1001, nothing applied) instead of holding it while the
        // process ends. A stop ends the wait too.
        let owner = tokio::select! {
            biased;
            _ = shutdown.changed() => None,
            _ = state.placement.until_leaving(), if from_node => state.placement.node().map(|n| n.owner(&app)),
            owner = state.placement.owner_within(&app, Duration::from_secs(3)) => Some(owner),
        };
        let Some(owner) = owner else {
            close_socket(socket, close(1001, "server restarting"), open).await;
            return;
        };
        let carrier = state.placement.node().cloned().filter(|_| !from_node);
        match (owner, carrier) {
            (Owner::Here(hub), _) => return connection(socket, state, slot, hub, Some(frame), open).await,
            (Owner::There(_), Some(node)) => {
                drop(slot);
                let settings = crate::cluster::ws_link::LinkSettings {
                    heartbeat: Duration::from_secs(state.config.heartbeat_s.into()),
                    client,
                };
                return crate::cluster::ws_link::carry(socket, node, settings, shutdown, frame, app, open).await;
            }
            (Owner::Unknown, _) => {
                let msg = format!("app '{}' does not exist", lineup_protocol::fields::clip(&app));
                let _ = socket.send(text(WsError::NoApp(msg.into()).reply(seq))).await;
            }
            // Between owners (or a node that thinks otherwise carried it here): the
            // client, or the node carrying it, tries again.
            (Owner::Nowhere | Owner::There(_), _) => {
                close_socket(socket, close(1001, "server restarting"), open).await;
                return;
            }
        }
    }
}

/// Closes a socket the server is done with: the close frame, then what the peer still
/// sends is read (and dropped) until its close reply, [`CLOSE_DEADLINE`] at most. A
/// socket dropped with the peer's frames unread is reset, and the reset can reach the
/// peer before the close frame does (a node carrying a client then cannot tell a
/// hand-over's 1001 from a node that died).
async fn close_socket(mut socket: WebSocket, frame: Message, open: OpenSocket) {
    let sent = tokio::time::timeout(CLOSE_DEADLINE, socket.send(frame)).await;
    // The close frame is out (or cannot go): a stop need not wait for the peer's reply.
    drop(open);
    if matches!(sent, Ok(Ok(()))) {
        read_until_close(&mut socket, CLOSE_DEADLINE).await;
    }
}

/// The answer to an op other than `Login` or `Resume` before either: a pong to `Ping`,
/// else error 12.
fn before_login(seq: u64, op: &Op) -> Reply {
    match op {
        Op::Ping => lineup_protocol::ws::reply_ok(seq, &lineup_protocol::ws::PongData { time: now().as_millis() }),
        op => WsError::NotLoggedIn(format!("{} needs a session: send Login or Resume first", op.name())).reply(seq),
    }
}

/// How long closing may take once the server decided to close (the client's close
/// reply is not waited for beyond this).
const CLOSE_DEADLINE: Duration = Duration::from_secs(5);

/// Most frames one write takes from the queue (then it flushes).
const BATCH_FRAMES: usize = 512;

/// The WebSocket read buffer of a connection (the library's default is 128 KiB,
/// allocated for every connection; client frames are small).
const READ_BUFFER: usize = 4 * 1024;

async fn connection(
    socket: WebSocket,
    state: AppState,
    pre_login: Option<Slot>,
    hub: crate::hub::HubHandle,
    first: Option<String>,
    open: OpenSocket,
) {
    let (mut sink, mut stream) = socket.split();
    let (tx, queue) = ConnTx::new(state.config.send_queue_frames, state.config.send_queue_bytes);
    let conn_id = next_conn_id();
    // Every line about this connection carries its app, UID and session once known.
    let span = tracing::debug_span!(
        "ws",
        conn = conn_id,
        app = tracing::field::Empty,
        uid = tracing::field::Empty,
        session = tracing::field::Empty
    );
    let last_seen = Arc::new(AtomicU64::new(now().as_millis()));
    let heartbeat = Duration::from_secs(state.config.heartbeat_s.into());
    // A single frame may take this long to go out; longer, the client is not reading.
    let send_timeout = 2 * heartbeat;
    let mut shutdown = state.shutdown.clone();
    let writer_done = Arc::new(tokio::sync::Notify::new());
    // Whether the writer got its close frame out (then the peer is read until it
    // answers); a peer that does not even take the close frame is dropped at once.
    let close_sent = Arc::new(std::sync::atomic::AtomicBool::new(false));

    // Writer: replies and notices, pings, closing. It never waits on the socket for
    // longer than `send_timeout`, and closing never takes longer than CLOSE_DEADLINE.
    let seen = last_seen.clone();
    let done = writer_done.clone();
    let metrics = state.metrics.clone();
    let sent_close = close_sent.clone();
    let writer = tokio::spawn(async move {
        let ConnRx { mut rx, cut, taken } = queue;
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
        let close = |code: u16, reason: &str| Message::Close(Some(CloseFrame { code, reason: reason.into() }));
        let closing = loop {
            tokio::select! {
                out = rx.recv() => match out {
                    Some(Outgoing::Text(first)) => {
                        // Everything queued goes out in one write: feed each frame, flush once.
                        let mut then_close = None;
                        // Counted once per write, not per frame (the fan-out is hot).
                        let (mut frames, mut bytes) = (1u64, first.len() as u64);
                        let batch = async {
                            taken.frame(first.len());
                            sink.feed(Message::Text(first.as_ref().into())).await?;
                            for _ in 0..BATCH_FRAMES {
                                match rx.try_recv() {
                                    Ok(Outgoing::Text(t)) => {
                                        taken.frame(t.len());
                                        frames += 1;
                                        bytes += t.len() as u64;
                                        sink.feed(Message::Text(t.as_ref().into())).await?;
                                    }
                                    Ok(Outgoing::Close { code, reason }) => {
                                        then_close = Some(close(code, &reason));
                                        break;
                                    }
                                    Err(_) => break,
                                }
                            }
                            sink.flush().await
                        };
                        let sent = tokio::select! {
                            sent = tokio::time::timeout(send_timeout, batch) => sent,
                            _ = cut.notified() => break Some(close(CLOSE_TOO_SLOW, "too slow: send queue full")),
                        };
                        metrics.frames_out.inc_by(frames);
                        metrics.bytes_out.inc_by(bytes);
                        match sent {
                            Ok(Ok(())) => {}
                            Ok(Err(_)) => break None,
                            Err(_) => break Some(close(CLOSE_TOO_SLOW, "too slow: a frame could not be sent")),
                        }
                        if then_close.is_some() {
                            break then_close;
                        }
                    }
                    Some(Outgoing::Close { code, reason }) => break Some(close(code, &reason)),
                    None => break None,
                },
                _ = cut.notified() => break Some(close(CLOSE_TOO_SLOW, "too slow: send queue full")),
                _ = ping.tick() => {
                    let silent = now().as_millis().saturating_sub(seen.load(Ordering::Relaxed));
                    if silent > 2 * heartbeat.as_millis() as u64 {
                        break Some(close(4000, "heartbeat timeout"));
                    }
                    match tokio::time::timeout(send_timeout, sink.send(Message::Ping(Default::default()))).await {
                        Ok(Ok(())) => {}
                        _ => break None,
                    }
                }
                _ = shutdown.changed() => break Some(close(1001, "server restarting")),
            }
        };
        let _ = tokio::time::timeout(CLOSE_DEADLINE, async {
            if let Some(frame) = closing {
                if sink.send(frame).await.is_ok() {
                    sent_close.store(true, Ordering::Relaxed);
                }
            }
            // The close frame is out (or cannot go): a stop need not wait for more.
            drop(open);
            let _ = sink.close().await;
        })
        .await;
        // The reader stops too: the session is held now, whatever the peer does.
        done.notify_one();
    });

    // Reader: requests, in order. A connection must log in (or resume) in time.
    let mut session: Option<SessionId> = None;
    let mut stopping = state.shutdown.clone();
    let login_deadline = tokio::time::Instant::now() + Duration::from_secs(state.config.login_timeout_s.into());
    let mut unauthenticated = pre_login;
    // An app hub of a cluster node ends when its app moves: the client then resumes on
    // the app's next owner (through any node).
    let app_hub = state.placement.apps_move();
    // The frame a cluster node read to learn the app (its Login or Resume).
    if let Some(frame) = first {
        on_text(&state, &hub, &frame, &mut session, &mut unauthenticated, conn_id, &tx, &span).await;
    }
    // Set once the server decided to close (it stops, or the app's hub ended): the
    // writer sends the close frame (1001: nothing unanswered was applied), and what the
    // peer sends meanwhile is read and dropped, not applied, until the writer is done
    // and the peer's close reply comes. A socket dropped with frames unread is reset,
    // and the reset can reach the peer before the close frame does.
    let mut closing = false;
    loop {
        let message = tokio::select! {
            m = stream.next() => m,
            _ = stopping.changed(), if !closing => {
                closing = true;
                continue;
            }
            _ = writer_done.notified() => {
                // The server closed: the peer's close reply is waited for.
                let deadline = if close_sent.load(Ordering::Relaxed) { CLOSE_DEADLINE } else { Duration::ZERO };
                read_until_close(&mut stream, deadline).await;
                None
            }
            _ = hub.stopped(), if app_hub && !closing => {
                closing = true;
                tx.send(Outgoing::Close { code: 1001, reason: "server restarting".into() });
                continue;
            }
            _ = tokio::time::sleep_until(login_deadline), if session.is_none() && !closing => {
                let reason = format!("log in or resume within {} s", state.config.login_timeout_s);
                tx.send(Outgoing::Close { code: CLOSE_LOGIN_TIMEOUT, reason });
                None
            }
        };
        let Some(message) = message else { break };
        if closing {
            if matches!(message, Ok(Message::Close(_)) | Err(_)) {
                break;
            }
            continue;
        }
        last_seen.store(now().as_millis(), Ordering::Relaxed);
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                if too_large(&e) {
                    let max = state.config.max_frame_bytes;
                    push_reply(&tx, WsError::FrameTooLarge(format!("message larger than {max} bytes")).reply(0));
                    tx.send(Outgoing::Close { code: 1009, reason: format!("message larger than {max} bytes") });
                } else {
                    tracing::debug!(conn = conn_id, error = %e, "websocket read error");
                }
                break;
            }
        };
        let frame = match message {
            Message::Text(t) => {
                state.metrics.frames_in.inc();
                state.metrics.bytes_in.inc_by(t.len() as u64);
                t
            }
            Message::Binary(_) => {
                push_reply(&tx, WsError::BadData("binary frames are not supported: send JSON text".into()).reply(0));
                continue;
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        let logout =
            on_text(&state, &hub, frame.as_str(), &mut session, &mut unauthenticated, conn_id, &tx, &span).await;
        if logout {
            tx.send(Outgoing::Close { code: 1000, reason: "logged out".into() });
            break;
        }
    }
    drop(unauthenticated);
    if let Some(sid) = session {
        let _ = hub.call(move |hub| hub.detach(sid, conn_id)).await;
    }
    drop(tx);
    let _ = writer.await;
}

/// Queues a reply on the connection.
fn push_reply(tx: &ConnTx, reply: Reply) {
    tx.send(Outgoing::frame(&ServerFrame::Reply(reply)));
}

/// Answers one text frame; returns true when the connection should close (logout).
///
/// Requests that touch the hub queue their reply from inside the hub job, before the
/// notices they cause: a client always sees a request's reply first, and only once
/// the turn is journaled. `waiting`: the connection's place among its address's sockets
/// waiting to log in, given back when it logs in.
#[allow(clippy::too_many_arguments)]
async fn on_text(
    state: &AppState,
    hub: &crate::hub::HubHandle,
    frame: &str,
    session: &mut Option<SessionId>,
    waiting: &mut Option<Slot>,
    conn_id: u64,
    tx: &ConnTx,
    span: &tracing::Span,
) -> bool {
    let (seq, op) = match lineup_protocol::ws::parse_client_frame(frame) {
        Ok(f) => (f.seq, f.op),
        Err(reply) => {
            tracing::debug!(parent: span, err = reply.err, "malformed frame");
            push_reply(tx, reply);
            return false;
        }
    };
    let name = op.name();
    let started = std::time::Instant::now();
    let ok = on_op(state, hub, seq, op, session, waiting, conn_id, tx, span).await;
    let latency_us = started.elapsed().as_micros() as u64;
    tracing::debug!(parent: span, op = name, seq, ok = ok.1, latency_us, "op");
    ok.0
}

/// Runs one op; returns (close the connection, the op succeeded).
#[allow(clippy::too_many_arguments)]
async fn on_op(
    state: &AppState,
    hub: &crate::hub::HubHandle,
    seq: u64,
    op: Op,
    session: &mut Option<SessionId>,
    waiting: &mut Option<Slot>,
    conn_id: u64,
    tx: &ConnTx,
    span: &tracing::Span,
) -> (bool, bool) {
    // An app hub that stopped because its app moved did not apply the request: the
    // socket closes with 1001 (no reply), and the client, or the node carrying it,
    // resumes at the next owner and sends it again there.
    let moved = state.placement.apps_move();
    let gone = |e: crate::hub::HubError| match e {
        crate::hub::HubError::Stopped if moved => {
            tx.send(Outgoing::Close { code: 1001, reason: "server restarting".into() });
            None
        }
        e => Some(WsError::Internal(e.to_string()).reply(seq)),
    };
    let conn = Conn { id: conn_id, tx: tx.clone() };
    let out = tx.clone();
    match (*session, op) {
        (None, op @ (Op::Login { .. } | Op::Resume { .. })) => {
            // The address's place for a socket waiting to log in is given back before the
            // reply goes out: a client that read it may open another socket at once.
            let place = waiting.take();
            let result = hub
                .call(move |hub| {
                    let result = match op {
                        Op::Login { ticket } => session_ops::login(hub, &ticket, conn),
                        Op::Resume { session } => session_ops::resume(hub, &session, conn),
                        _ => unreachable!("matched above"),
                    };
                    match result {
                        Ok((sid, data)) => {
                            drop(place);
                            hub.push(
                                &out,
                                Outgoing::frame(&ServerFrame::Reply(lineup_protocol::ws::reply_ok(seq, &data))),
                            );
                            Ok((sid, data.app_id, data.uid))
                        }
                        Err(e) => {
                            hub.push(&out, Outgoing::frame(&ServerFrame::Reply(e.reply(seq))));
                            Err(place)
                        }
                    }
                })
                .await;
            match result {
                Ok(Ok((sid, app, uid))) => {
                    span.record("session", sid.0);
                    span.record("app", app.as_str());
                    span.record("uid", uid.as_str());
                    *session = Some(sid);
                    (false, true)
                }
                Ok(Err(place)) => {
                    *waiting = place;
                    (false, false)
                }
                // The hub did not run the job to its end (it stopped: the server or the
                // app's hub is ending, and the socket closes; or the job failed): the
                // place went with the job.
                Err(e) => {
                    if let Some(reply) = gone(e) {
                        push_reply(tx, reply);
                    }
                    (false, false)
                }
            }
        }
        (None, op) => {
            let reply = before_login(seq, &op);
            let ok = reply.err == 0;
            push_reply(tx, reply);
            (false, ok)
        }
        (
            Some(sid),
            op @ (Op::MediaJoin { .. }
            | Op::MediaAnswer { .. }
            | Op::MediaLeave
            | Op::MediaMute { .. }
            | Op::MediaMonitor { .. }
            | Op::StartScreenShare { .. }
            | Op::StopScreenShare { .. }),
        ) => {
            let reply = media_op(state, hub, sid, conn_id, seq, op, tx).await;
            let ok = reply.err == 0;
            push_reply(tx, reply);
            (false, ok)
        }
        (Some(sid), op @ (Op::CreateCloudMixer { .. } | Op::DestroyCloudMixer { .. })) => {
            let reply = recording_op(state, hub, sid, conn_id, seq, op).await;
            let ok = reply.err == 0;
            push_reply(tx, reply);
            (false, ok)
        }
        (Some(sid), op) => {
            let logout = matches!(op, Op::Logout);
            let ok = hub
                .call(move |hub| {
                    let reply = if hub.is_current(sid, conn_id) {
                        session_ops::handle(hub, sid, seq, op)
                    } else {
                        WsError::NotLoggedIn("this connection was replaced by a newer login".into()).reply(seq)
                    };
                    let ok = reply.err == 0;
                    hub.push(&out, Outgoing::frame(&ServerFrame::Reply(reply)));
                    ok
                })
                .await;
            match ok {
                Ok(ok) => {
                    if logout && ok {
                        *session = None;
                        return (true, true);
                    }
                    (false, ok)
                }
                Err(e) => {
                    if let Some(reply) = gone(e) {
                        push_reply(tx, reply);
                    }
                    (false, false)
                }
            }
        }
    }
}

/// A media op: to the media task, once the hub has said the session may (it is the
/// connection's session and, to join, a member of the room).
async fn media_op(
    state: &AppState,
    hub: &crate::hub::HubHandle,
    sid: SessionId,
    conn_id: u64,
    seq: u64,
    op: Op,
    tx: &ConnTx,
) -> Reply {
    let Some(media) = &state.media else {
        return WsError::Internal("media is not available on this server".into()).reply(seq);
    };
    // Which room, and how the session may be in it.
    let seat = match &op {
        Op::MediaJoin { meet_id, .. } | Op::StartScreenShare { meet_id, .. } => Some((*meet_id, Seat::Member)),
        Op::MediaMonitor { meet_id, mode, uid, .. } => match (mode, uid) {
            (MonitorMode::Monitor, _) => Some((*meet_id, Seat::Monitor)),
            (MonitorMode::Barge, _) => Some((*meet_id, Seat::Barge)),
            (MonitorMode::Whisper, Some(agent)) => Some((*meet_id, Seat::Whisper(agent.clone()))),
            (MonitorMode::Whisper, None) => {
                return WsError::BadParam("a whisper needs the agent's UID".into()).reply(seq)
            }
            (MonitorMode::Unknown, _) => {
                return WsError::BadParam("mode must be monitor, whisper or barge".into()).reply(seq)
            }
        },
        _ => None,
    };
    let wanted = seat.clone();
    let check = hub
        .call(move |hub| {
            if !hub.is_current(sid, conn_id) {
                return Err(WsError::NotLoggedIn("this connection was replaced by a newer login".to_string()));
            }
            let view = hub.engine.session_view(sid);
            let uid = view.as_ref().map(|v| v.user_id.to_string()).unwrap_or_default();
            let supervisor = view.as_ref().is_some_and(|v| v.roles.has(lineup_engine::Role::Supervisor));
            match wanted {
                Some((_, Seat::Monitor | Seat::Whisper(_) | Seat::Barge)) if !supervisor => {
                    Err(WsError::NoPermission("not permitted: monitoring needs the supervisor role".to_string()))
                }
                Some((r, seat)) if !crate::media::may_stay(hub, sid, r, seat == Seat::Member) => {
                    Err(WsError::NoRoom(format!("room {r} does not exist")))
                }
                // A party joining a call of an app that records its calls.
                Some((r, Seat::Member)) => {
                    let call =
                        hub.engine.room_call(r).filter(|(app, _)| hub.apps.get(*app).is_some_and(|a| a.record_calls));
                    Ok((
                        uid,
                        call.map(|(app, id)| crate::recorder::CallRecording { app: app.into(), session_id: id.into() }),
                    ))
                }
                _ => Ok((uid, None)),
            }
        })
        .await;
    let (uid, record) = match check {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return e.reply(seq),
        Err(e) => return WsError::Internal(e.to_string()).reply(seq),
    };
    let done = match op {
        Op::MediaJoin { meet_id, sdp } | Op::MediaMonitor { meet_id, sdp, .. } => media
            .join(
                hub,
                crate::media::Joining {
                    member: sid,
                    room: meet_id,
                    uid,
                    seat: seat.map(|(_, s)| s).unwrap_or(Seat::Member),
                    sdp,
                    conn: tx.clone(),
                    record,
                },
            )
            .await
            .map(|sdp| lineup_protocol::ws::reply_ok(seq, &lineup_protocol::ws::MediaJoinData { sdp })),
        Op::StartScreenShare { meet_id, mid, sdp } => {
            if mid.is_empty()
                || mid.len() > 16
                || !mid.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            {
                return WsError::BadParam(
                    "invalid mid: the screen's line, 1 to 16 letters, digits, '-', '_' or '.'".into(),
                )
                .reply(seq);
            }
            media
                .share(
                    hub,
                    crate::media::Sharing { member: sid, room: meet_id, uid, mid, sdp, conn: tx.clone(), record },
                )
                .await
                .map(|sdp| lineup_protocol::ws::reply_ok(seq, &lineup_protocol::ws::MediaJoinData { sdp }))
        }
        Op::StopScreenShare { meet_id } => media.unshare(hub, sid, meet_id).await.map(|_| Reply::ok(seq)),
        Op::MediaAnswer { sdp } => media.answer(hub, sid, sdp, tx.clone()).await.map(|_| Reply::ok(seq)),
        Op::MediaMute { kind, muted } => {
            if kind == lineup_media::Kind::Screen {
                return WsError::BadParam("kind must be audio or video".into()).reply(seq);
            }
            media.mute(hub, sid, kind, muted).await.map(|_| Reply::ok(seq))
        }
        _ => {
            media.leave(hub, sid).await;
            Ok(Reply::ok(seq))
        }
    };
    done.unwrap_or_else(|e| e.reply(seq))
}

/// CreateCloudMixer / DestroyCloudMixer: checked at the hub (the session, its role, the
/// app's recording settings, the room and its call), carried out by the media task.
async fn recording_op(
    state: &AppState,
    hub: &crate::hub::HubHandle,
    sid: SessionId,
    conn_id: u64,
    seq: u64,
    op: Op,
) -> Reply {
    let Some(media) = &state.media else {
        return WsError::NotEnabled("recording needs the media server, which this server does not run".into())
            .reply(seq);
    };
    let asked = op.clone();
    let check = hub
        .call(move |hub| {
            let op = asked;
            if !hub.is_current(sid, conn_id) {
                return Err(WsError::NotLoggedIn("this connection was replaced by a newer login".to_string()));
            }
            let view = hub.engine.session_view(sid).ok_or(WsError::NotLoggedIn(SESSION_ENDED.to_string()))?;
            if !view.roles.has(lineup_engine::Role::Agent) && !view.roles.has(lineup_engine::Role::Supervisor) {
                return Err(WsError::NoPermission(
                    "not permitted: recording needs the agent or supervisor role".to_string(),
                ));
            }
            let (app, uid) = (view.app.to_string(), view.user_id.to_string());
            let Op::CreateCloudMixer { meet_id, mixer_id } = &op else {
                return Ok((None, app, uid));
            };
            check_mixer_id(mixer_id)?;
            let settings = hub.apps.get(&app);
            if settings.is_some_and(|a| a.record_calls) {
                return Err(WsError::RecordingStarted(
                    "this app records every call: the call is recorded already".to_string(),
                ));
            }
            if !settings.is_some_and(|a| a.record_on_demand) {
                return Err(WsError::NotEnabled(
                    "this app does not record calls on demand (its recordOnDemand setting)".to_string(),
                ));
            }
            if hub.engine.room_app(*meet_id) != Some(&*app) {
                return Err(WsError::NoRoom(format!("room {meet_id} does not exist")));
            }
            if !crate::media::may_stay(hub, sid, *meet_id, true) && !crate::media::may_stay(hub, sid, *meet_id, false) {
                return Err(WsError::NoRoom(format!("this session is not in room {meet_id}")));
            }
            let call = hub
                .engine
                .room_call(*meet_id)
                .ok_or_else(|| WsError::NoCall(format!("room {meet_id} has no answered call to record")))?;
            let call = crate::recorder::CallRecording { app: call.0.into(), session_id: call.1.into() };
            Ok((Some(call), app, uid))
        })
        .await;
    let (call, app, uid) = match check {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return e.reply(seq),
        Err(e) => return WsError::Internal(e.to_string()).reply(seq),
    };
    let done = match (op, call) {
        (Op::CreateCloudMixer { meet_id, mixer_id }, Some(call)) => {
            media.start_recording(hub, meet_id, call, mixer_id, (sid, uid)).await
        }
        (Op::DestroyCloudMixer { mixer_id }, _) => match check_mixer_id(&mixer_id) {
            Ok(()) => media.stop_recording(hub, mixer_id, app, uid).await,
            Err(e) => Err(e),
        },
        _ => unreachable!("checked above"),
    };
    match done {
        Ok(()) => Reply::ok(seq),
        Err(e) => e.reply(seq),
    }
}

/// A mixer id as the page makes it: 1 to 64 characters of `A-Z a-z 0-9 - _`.
fn check_mixer_id(id: &str) -> Result<(), WsError> {
    let fine = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fine {
        Ok(())
    } else {
        let id = lineup_protocol::fields::clip(id);
        Err(WsError::BadParam(format!("invalid mixerID: \"{id}\" must be 1 to 64 characters of A-Z a-z 0-9 - _")))
    }
}

/// Whether a read failed because the frame was larger than the socket takes (axum wraps
/// tungstenite's capacity error).
fn too_large(e: &axum::Error) -> bool {
    use tokio_tungstenite::tungstenite::error::{CapacityError, Error};
    let source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    matches!(
        source.and_then(|s| s.downcast_ref::<Error>()),
        Some(Error::Capacity(CapacityError::MessageTooLong { .. }))
    )
}
