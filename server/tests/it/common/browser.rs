//! A browser of one for the console's tests: no redirects followed, cookies carried by hand
//! as a browser would (`Set-Cookie` kept, `Max-Age=0` forgets), forms sent with this server as
//! their Origin unless told otherwise.

use super::{username, TestApp, PASSWORD};
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::StatusCode;
use zhucun_shared::ids::PersonId;

pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub http: reqwest::Client,
    pub cookies: Vec<(String, String)>,
}

pub type Answer = (StatusCode, String);

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn keep_cookies(&mut self, r: &reqwest::Response) {
        for c in r.headers().get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !c.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
    }

    pub async fn answer(&mut self, r: reqwest::Response) -> Answer {
        self.keep_cookies(&r);
        let s = r.status();
        (s, r.text().await.unwrap())
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let r = self
            .http
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.answer(r).await
    }

    /// GET, with the answer's headers.
    pub async fn get_full(&mut self, path: &str) -> (StatusCode, HeaderMap, String) {
        let r = self
            .http
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&r);
        let (s, h) = (r.status(), r.headers().clone());
        (s, h, r.text().await.unwrap())
    }

    /// A form sent with `origin` as its Origin (none: no Origin header), with the answer's
    /// headers.
    pub async fn post_from(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> (StatusCode, HeaderMap, String) {
        let mut req = self
            .http
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .form(form);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let r = req.send().await.unwrap();
        self.keep_cookies(&r);
        let (s, h) = (r.status(), r.headers().clone());
        (s, h, r.text().await.unwrap())
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let r = self
            .http
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("origin", self.app.base.clone())
            .form(form)
            .send()
            .await
            .unwrap();
        self.answer(r).await
    }

    /// A `multipart/form-data` form: `fields`, then the file.
    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        content: &[u8],
    ) -> Answer {
        let boundary = "----zhucun-test-boundary-7d1f";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
                 filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = self
            .http
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("origin", self.app.base.clone())
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.answer(r).await
    }

    pub async fn sign_in_as(&mut self, username: &str) {
        let (_, page) = self.get("/console/login").await;
        let csrf = field(&page, "csrf");
        let (s, _) = self
            .post(
                "/console/login",
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                    ("next", "/console/"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "sign-in of {username}");
    }

    pub async fn sign_in(&mut self, who: PersonId) {
        self.sign_in_as(username(&self.app.fx, who)).await
    }

    /// The session's form token, from a page every signed-in person may open.
    pub async fn csrf(&mut self) -> String {
        let (s, page) = self.get("/console/").await;
        assert_eq!(s, StatusCode::OK);
        field(&page, "csrf")
    }
}

/// The value of the first form field `name` of a page (maud writes `name` before `value`).
pub fn field(page: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&key)
        .unwrap_or_else(|| panic!("a field {name} in {page}"));
    let rest = &page[at + key.len()..];
    html_unescape(&rest[..rest.find('"').unwrap()])
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
