//! The console's page shell: the document around every page (navigation by role, the signed-in
//! person, sign-out), refusals as pages, and the headers every console answer carries (a
//! content security policy that allows only the server's own scripts and styles, and the
//! configured map's tiles; no framing; no caching of pages).

use super::session::Viewer;
use crate::app::AppState;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};
use zhucun_shared::org::jurisdiction::CHECKERS;
use zhucun_shared::role::Role;

/// A whole page: `title`, the navigation for `viewer` (none on the sign-in page), `body`.
pub fn document(title: &str, viewer: Option<&Viewer>, body: Markup) -> Html<String> {
    let nav = viewer.map(|v| {
        let roles = &v.roles;
        let checker = roles.iter().any(|r| CHECKERS.contains(r));
        let office = roles.contains(&Role::Admin);
        html! {
            header.top {
                a.brand href="/console/" { "驻村核验" }
                nav {
                    a href="/console/" { "总览" }
                    a href="/console/ledgers" { "台账" }
                    @if checker { a href="/console/spot-checks" { "抽查" } }
                    @if roles.iter().any(|r| zhucun_shared::leave::LEAVE_APPROVERS.contains(r)) { a href="/console/leave" { "请假审批" } }
                    @if office { a href="/console/admin" { "管理" } }
                }
                span.who { (v.caller.person.name) }
                form.sign-out method="post" action="/console/logout" {
                    input type="hidden" name="csrf" value=(v.csrf);
                    button type="submit" { "退出" }
                }
            }
        }
    });
    Html(
        html! {
            (DOCTYPE)
            html lang="zh-CN" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · 驻村核验" }
                    link rel="stylesheet" href="/console/assets/console.css";
                }
                body {
                    @if let Some(nav) = nav { (nav) }
                    (body)
                }
            }
        }
        .into_string(),
    )
}

/// A refusal as a page: `status` with `message` and a way back.
pub fn refusal(status: StatusCode, message: &str) -> Response {
    let body = html! {
        main.refusal {
            h1 { (status.as_u16()) }
            p role="alert" { (message) }
            p { a href="/console/" { "返回总览" } }
        }
    };
    (status, document("无法完成", None, body)).into_response()
}

/// The content security policy: scripts and styles of this server only; pictures from here
/// and from the configured base map's tile servers.
pub fn content_security_policy(state: &AppState) -> String {
    let tiles = super::map::BaseMap::of(&state.config)
        .tile_origins()
        .join(" ");
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: {tiles}; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// Every console answer: the security headers; a form sent from another site is refused
/// before any handler runs (its Origin is not this server's).
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() == Method::POST && !same_origin(&request) {
        return refusal(StatusCode::FORBIDDEN, "请求来源不是本站，已拒绝。");
    }
    let is_asset = request.uri().path().starts_with("/console/assets/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_security_policy(&state)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !is_asset {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, private"),
        );
    }
    response
}

/// Whether a form's `Origin` (or, lacking one, its `Referer`) names this server's host. A
/// browser sends one of them with every form; a request with neither is not from a page of
/// another site, and its CSRF token still has to match.
fn same_origin(request: &Request) -> bool {
    let headers = request.headers();
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match source {
        None => true,
        Some(s) => {
            let rest = s
                .strip_prefix("http://")
                .or_else(|| s.strip_prefix("https://"))
                .unwrap_or("");
            rest.split('/').next() == Some(host)
        }
    }
}
