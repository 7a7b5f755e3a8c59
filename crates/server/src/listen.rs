//! Accepting HTTP connections: per-address connection limits, a deadline for the
//! request head (slow or half-sent requests are dropped), upgrades to WebSocket, and a
//! graceful stop. Each request carries its peer address (`ConnectInfo`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::limits::Limits;

/// Serves `router` on `listener` until `shutdown`, then lets open requests finish and
/// WebSockets close (at most 5 s).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Arc<Limits>,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
    builder.http2().timer(TokioTimer::new());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = limits.connection(peer.ip()) else {
            tracing::debug!(%peer, "too many connections from this address");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            req
        });
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    // Open requests finish, and every WebSocket gets its close frame out (they were
    // told to close when `shutdown` completed), within 5 s together.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        tokio::join!(graceful.shutdown(), limits.sockets_closed());
    })
    .await;
}
