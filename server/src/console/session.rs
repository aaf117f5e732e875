//! Signing in to the console: the session token in an HttpOnly, SameSite=Strict cookie (the
//! same sessions, accounts, throttle and audit as the API's login), and a CSRF token on every
//! form. The form token of a signed-in page is derived from the session token, so it needs no
//! storage and dies with the session; the sign-in form, before any session, carries a random
//! token that must match a cookie of its own (double submit).

use crate::api::auth::{sign_in, sign_out};
use crate::app::AppState;
use crate::auth::{Caller, ClientIp};
use crate::error::ApiError;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zhucun_shared::sync::LoginRequest;

/// The cookie that holds a console session's token.
pub const SESSION_COOKIE: &str = "zhucun_console";
/// The sign-in form's own CSRF cookie.
const LOGIN_CSRF_COOKIE: &str = "zhucun_console_login";

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= 256)
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if state.config.console_secure_cookie {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    ))
    .expect("cookie values are hex")
}

/// The form token of the session whose token is `session_token`.
pub fn csrf_of(session_token: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "zhucun console csrf|{session_token}"
    )))
}

/// Equal strings, compared through their digests so that the time taken says nothing.
fn same(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// The signed-in person of a console page, with the form token their forms carry. Without a
/// live session, a page answers with the sign-in form's address (a redirect back afterwards).
#[derive(Clone, Debug)]
pub struct Viewer {
    pub caller: Caller,
    /// The roles they hold today.
    pub roles: Vec<zhucun_shared::role::Role>,
    pub csrf: String,
}

impl Viewer {
    /// Refuses a form whose token is not this session's (403).
    pub fn check_csrf(&self, given: &str) -> Result<(), Response> {
        if same(given, &self.csrf) {
            Ok(())
        } else {
            Err(super::page::refusal(
                StatusCode::FORBIDDEN,
                "表单已过期或来源不明，请返回页面刷新后重试。",
            ))
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_sign_in = || {
            let here = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/console/");
            let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
            Redirect::to(&format!("/console/login?next={next}")).into_response()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_string) else {
            return Err(to_sign_in());
        };
        match Caller::of_token(state, &token).await {
            Ok(caller) => Ok(Viewer {
                roles: caller.roles_on(zhucun_shared::period::local_date(state.clock.now())),
                caller,
                csrf: csrf_of(&token),
            }),
            Err(ApiError::Unauthenticated) => Err(to_sign_in()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Where to go after signing in: a console page, never another site.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with("/console/") && !n.contains("//") && !n.contains('\\') => n,
        _ => "/console/",
    }
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
}

/// The sign-in page.
pub async fn sign_in_page(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<SignInQuery>,
) -> Response {
    sign_in_form(&state, StatusCode::OK, safe_next(q.next.as_deref()), None)
}

fn sign_in_form(state: &AppState, status: StatusCode, next: &str, error: Option<&str>) -> Response {
    let token = crate::auth::new_token().0;
    let body = html! {
        main.sign-in {
            h1 { "驻村工作核验 · 审核台" }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/console/login" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(next);
                label { "用户名" input name="username" autocomplete="username" required maxlength="64"; }
                label { "密码" input name="password" type="password" autocomplete="current-password" required maxlength="256"; }
                button type="submit" { "登录" }
            }
        }
    };
    let mut response = (status, super::page::document("登录", None, body)).into_response();
    response.headers_mut().append(
        SET_COOKIE,
        set_cookie(state, LOGIN_CSRF_COOKIE, &token, 30 * 60),
    );
    response
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

/// Checks the sign-in form: the same login as the API's (throttle, audit, session), and the
/// session's token set as the console's cookie.
pub async fn sign_in_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref()).to_string();
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !same(&form.csrf, expected) {
        return sign_in_form(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            Some("登录表单已过期，请重新输入后登录。"),
        );
    }
    let client = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    let request = LoginRequest {
        username: form.username,
        password: form.password,
    };
    match sign_in(&state, ip, client, request).await {
        Ok((token, caller)) => {
            let max_age = (caller.session.expires_at - state.clock.now()).num_seconds();
            let mut response = Redirect::to(&next).into_response();
            let h = response.headers_mut();
            h.append(
                SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, &token, max_age),
            );
            h.append(SET_COOKIE, set_cookie(&state, LOGIN_CSRF_COOKIE, "-", 0));
            response
        }
        Err(ApiError::BadCredentials) => sign_in_form(
            &state,
            StatusCode::UNAUTHORIZED,
            &next,
            Some("用户名或密码错误。"),
        ),
        Err(ApiError::Throttled { retry_after_s }) => sign_in_form(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            Some(&format!("登录失败次数过多，请 {retry_after_s} 秒后再试。")),
        ),
        Err(ApiError::Invalid { message, .. }) => sign_in_form(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &next,
            Some(&message),
        ),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// Signs out: the session ends on the server (not only in this browser) and the cookie goes.
pub async fn sign_out_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = viewer.check_csrf(&form.csrf) {
        return refused;
    }
    if let Err(e) = sign_out(&state, &viewer.caller).await {
        return e.into_response();
    }
    let mut response = Redirect::to("/console/login").into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "-", 0));
    response
}
