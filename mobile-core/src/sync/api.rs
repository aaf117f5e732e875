//! The HTTP client of the sync protocol (`zhucun_shared::sync`, paths from `sync::paths`).

use crate::store::FileKind;
use crate::strings;
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use std::time::Duration;
use zhucun_shared::sync::paths::{self, LOGIN, PULL, PUSH, SPOT_CHECKS, TEAM};
use zhucun_shared::sync::{
    ChunkQuery, EnrollRequest, EnrollResponse, ErrorBody, LoginRequest, LoginResponse, PhotoStatus,
    PullQuery, PullResponse, PushRequest, PushResponse, TeamQuery,
};
pub use zhucun_shared::sync::{PersonSummary, TeamDay, Trajectory};

/// A file's path and its status's: photos go where only pictures are taken, a report's files
/// where documents are too.
fn file_paths(kind: FileKind) -> (&'static str, &'static str) {
    match kind {
        FileKind::Photo => (paths::PHOTO, paths::PHOTO_STATUS),
        FileKind::Attachment => (paths::FILE, paths::FILE_STATUS),
    }
}

/// A failure talking to the server. Its text is what the cadre reads (in Chinese, saying what
/// to do); the details are in `Debug`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{}", network_message(.0))]
    Network(#[from] reqwest::Error),
    #[error("{}", strings::server_answered(*status, .body.as_ref().map(|b| b.message.as_str())))]
    Status {
        status: u16,
        body: Option<ErrorBody>,
    },
}

/// No answer, or one the phone cannot read.
fn network_message(e: &reqwest::Error) -> &'static str {
    if e.is_builder() {
        strings::ERR_SERVER_URL
    } else if e.is_timeout() {
        strings::ERR_TIMEOUT
    } else if e.is_decode() {
        strings::ERR_SERVER_ANSWER
    } else {
        strings::ERR_NETWORK
    }
}

impl ApiError {
    /// The network, a timeout, a busy or failing server: try again later. A refusal (4xx)
    /// would only be refused again.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network(e) => !e.is_decode() && !e.is_builder(),
            ApiError::Status { status, .. } => {
                *status == 408 || *status == 429 || (500..600).contains(status)
            }
        }
    }

    /// The server's message (it words its refusals in Chinese), or the error itself.
    pub fn message(&self) -> String {
        match self {
            ApiError::Status {
                body: Some(body), ..
            } if !body.message.trim().is_empty() => body.message.clone(),
            e => e.to_string(),
        }
    }

    /// The token is no longer accepted: sign in again.
    pub fn is_unauthorised(&self) -> bool {
        self.status() == Some(401)
    }

    /// The server refused this particular thing for good (a 4xx other than an expired session,
    /// a timeout, a throttle or a lost-offset conflict): sending it again would be refused again.
    pub fn is_refusal(&self) -> bool {
        matches!(self.status(), Some(s) if (400..500).contains(&s) && ![401, 408, 409, 429].contains(&s))
    }

    /// A push refused because of one record: its index in the batch (from the field the 422
    /// names, `records[3].body.fix.lat`) and the server's message.
    pub fn refused_record(&self) -> Option<(usize, String)> {
        let ApiError::Status {
            status: 422,
            body: Some(body),
        } = self
        else {
            return None;
        };
        let index = zhucun_shared::sync::pushed_index(body.field.as_deref()?)?;
        Some((
            index,
            format!("{}（{}）", body.message, body.field.as_deref()?),
        ))
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            ApiError::Network(e) => e.status().map(|s| s.as_u16()),
        }
    }
}

/// The server, as the phone sees it.
#[derive(Clone, Debug)]
pub struct Api {
    http: Client,
    base: String,
    token: Option<String>,
}

impl Api {
    pub fn new(base_url: &str) -> Result<Api, ApiError> {
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Api {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            token: None,
        })
    }

    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token;
        self
    }

    pub fn set_token(&mut self, token: Option<String>) {
        self.token = token;
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn authed(&self, rb: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    async fn check(resp: Response) -> Result<Response, ApiError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.json::<ErrorBody>().await.ok();
        Err(ApiError::Status {
            status: status.as_u16(),
            body,
        })
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<LoginResponse, ApiError> {
        let req = LoginRequest {
            username: username.to_string(),
            password: password.to_string(),
        };
        let resp = self.http.post(self.url(LOGIN)).json(&req).send().await?;
        Ok(Self::check(resp).await?.json().await?)
    }

    /// Sends with the session's token and reads the answer as JSON.
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        rb: RequestBuilder,
    ) -> Result<T, ApiError> {
        let resp = self.authed(rb).send().await?;
        Ok(Self::check(resp).await?.json().await?)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn enroll(&self, label: &str) -> Result<EnrollResponse, ApiError> {
        let req = EnrollRequest {
            label: label.to_string(),
        };
        self.send(self.http.post(self.url(paths::DEVICES)).json(&req))
            .await
    }

    pub async fn push(&self, req: &PushRequest) -> Result<PushResponse, ApiError> {
        self.send(self.http.post(self.url(PUSH)).json(req)).await
    }

    pub async fn pull(&self, cursor: Option<&str>) -> Result<PullResponse, ApiError> {
        let mut rb = self.http.get(self.url(PULL));
        if let Some(c) = cursor {
            rb = rb.query(&PullQuery {
                cursor: Some(c.to_string()),
            });
        }
        self.send(rb).await
    }

    /// How much of a file the server holds; `None` when it has none of it.
    pub async fn file_status(
        &self,
        kind: FileKind,
        sha256: &str,
    ) -> Result<Option<PhotoStatus>, ApiError> {
        let path = paths::with(file_paths(kind).1, sha256);
        let resp = self.authed(self.http.get(self.url(&path))).send().await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(Self::check(resp).await?.json().await?))
    }

    /// Sends `chunk`, which starts at byte `offset` of a file of `total` bytes.
    pub async fn upload_chunk(
        &self,
        kind: FileKind,
        sha256: &str,
        offset: u64,
        total: u64,
        chunk: &[u8],
    ) -> Result<PhotoStatus, ApiError> {
        let path = paths::with(file_paths(kind).0, sha256);
        let rb = self
            .http
            .put(self.url(&path))
            .query(&ChunkQuery { offset, total })
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(chunk.to_vec());
        self.send(rb).await
    }

    /// This month's spot-check queue over the caller's jurisdiction.
    pub async fn spot_checks(&self) -> Result<zhucun_shared::spot_check::SpotCheckQueue, ApiError> {
        self.send(self.http.get(self.url(SPOT_CHECKS))).await
    }

    /// The leave and official-absence requests the caller may decide (请假审批), pending first.
    pub async fn leave_requests(&self) -> Result<Vec<zhucun_shared::leave::LeaveItem>, ApiError> {
        self.send(self.http.get(self.url(paths::LEAVE))).await
    }

    /// Everyone the caller may look at (a team leader: the team, themselves included), each
    /// with this month's report and the fixes of `date`, in one request.
    pub async fn team(&self, date: chrono::NaiveDate) -> Result<TeamDay, ApiError> {
        let rb = self.http.get(self.url(TEAM)).query(&TeamQuery { date });
        self.send(rb).await
    }
}
