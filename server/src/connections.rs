//! The accept loop: HTTP/1.1 connections served by hyper with the bounds that keep the server
//! standing when clients misbehave. A request's headers must arrive within
//! `header_read_timeout_secs` (slow or half-sent requests are cut off), which also closes a
//! kept-alive connection left idle that long; at most `max_connections` are open at once, and
//! a connection past that is answered 503 with `Retry-After` and closed at once rather than
//! left waiting. Body read time is bounded in the router (see [`crate::api::router`]).

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Bounds on the connections one listener holds.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
}

/// How long in-flight requests may take to finish once shutdown begins.
const DRAIN: Duration = Duration::from_secs(30);

/// Most shed clients answered at once.
const SHED_AT_ONCE: usize = 64;

/// Seconds a shed client is told to wait.
pub const RETRY_AFTER_S: u32 = 5;

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and lets the
/// requests in flight finish (for at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shed_counter: prometheus_client::metrics::counter::Counter,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Answering a shed client holds its socket for a moment: at most this many at once, so that
    // a flood past the limit cannot pile up sockets; beyond it a newcomer is closed unanswered.
    let shedding = Arc::new(Semaphore::new(SHED_AT_ONCE));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was accepted: wait
                    // a moment rather than spin, and go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            shed_counter.inc();
            if let Ok(answering) = shedding.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    shed(stream).await;
                    drop(answering);
                });
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app
            .clone()
            .map_request(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {DRAIN:?}: closing them");
    }
    Ok(())
}

/// Answers a connection the server has no room for: 503 with `Retry-After`, then closes it.
async fn shed(mut stream: TcpStream) {
    let body = format!(
        "{{\"code\":\"overloaded\",\"message\":\"服务器繁忙，请 {RETRY_AFTER_S} 秒后重试\",\"field\":null}}"
    );
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: {RETRY_AFTER_S}\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    // Let the client finish sending its request head first (a second at most): an answer
    // that arrives before the request is one that HTTP clients refuse to read.
    let mut head = [0u8; 4096];
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while let Ok(n @ 1..) = stream.read(&mut head).await {
            seen.extend_from_slice(&head[..n]);
            if seen.windows(4).any(|w| w == b"\r\n\r\n") || seen.len() > 16 * 1024 {
                break;
            }
        }
    })
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}
