//! The server under misbehaving clients, over real sockets: half-sent requests are cut off,
//! a full server answers 503 with Retry-After at once instead of stalling, and a body that
//! stops arriving is abandoned.

use crate::common::*;
use reqwest::StatusCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn tight(c: &mut zhucun_server::Config) {
    c.max_connections = 20;
    c.header_read_timeout_secs = 1;
    c.body_read_timeout_secs = 1;
}

/// Everything the server sends until it closes, waiting at most `limit`; None if still open.
async fn read_to_close(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut out)).await;
    match read {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

async fn half_sent(app: &TestApp) -> TcpStream {
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(addr).await.unwrap();
    // The request line and one header, never the blank line that ends the headers.
    s.write_all(b"GET /health HTTP/1.1\r\nHost: zhucun\r\n")
        .await
        .unwrap();
    s
}

#[tokio::test]
async fn half_sent_requests_are_cut_off_and_a_full_server_sheds_at_once() {
    let app = TestApp::start_with(&Backend::Sqlite, |c| {
        tight(c);
        c.header_read_timeout_secs = 3;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(half_sent(&app).await);
    }
    // Let the server accept them all before knocking again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Full: a newcomer is told to come back, not left waiting.
    let mut extra = half_sent(&app).await;
    extra.write_all(b"\r\n").await.unwrap();
    let answer = read_to_close(&mut extra, Duration::from_secs(5))
        .await
        .expect("a shed connection is answered and closed at once");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After: 5"), "{answer}");
    assert!(answer.contains("服务器繁忙"), "{answer}");
    let r = app
        .http
        .get(app.url("/health"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "5");

    // Within the header timeout, the half-sent requests are dropped...
    for s in &mut held {
        assert!(
            read_to_close(s, Duration::from_secs(8)).await.is_some(),
            "a half-sent request outlived the header timeout"
        );
    }
    // ... and the server serves again.
    let r = app
        .http
        .get(app.url("/health"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let app = TestApp::start_with(&Backend::Sqlite, tight).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: zhucun\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut s, Duration::from_secs(5))
        .await
        .expect("closed after the idle time");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_abandoned() {
    let app = TestApp::start_with(&Backend::Sqlite, tight).await;
    let token = app.login(app.fx.cadre1).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/sync/push HTTP/1.1\r\nHost: zhucun\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"protocol\":1,"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let answer = read_to_close(&mut s, Duration::from_secs(10))
        .await
        .expect("a stalled body is not waited for forever");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    // The server is still there for everyone else.
    let (status, _) = app.get(&token, "/api/v1/people").await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}
