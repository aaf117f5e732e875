//! Location through the webview: `navigator.geolocation.watchPosition`, run with
//! `document::eval`. On Android, dioxus serves the page from a secure origin, so the API is
//! there, and wry asks for the runtime permission when the page first uses it.

use super::clock::Clock;
use super::location::{LocationEvent, LocationFuture, LocationSource};
use crate::strings;
use dioxus::document::{self, Eval};
use serde::Deserialize;
use std::sync::Arc;
use zhucun_shared::record::{Fix, FixProvider};

const WATCH_SCRIPT: &str = r#"
if (!("geolocation" in navigator)) {
  dioxus.send({ error: "unsupported" });
} else {
  navigator.geolocation.watchPosition(
    (p) => dioxus.send({
      lat: p.coords.latitude,
      lon: p.coords.longitude,
      accuracy: p.coords.accuracy,
      timestamp: p.timestamp,
    }),
    (e) => dioxus.send({ error: e.message, code: e.code }),
    { enableHighAccuracy: true, maximumAge: 10000, timeout: 60000 },
  );
}
await new Promise(() => {});
"#;

/// What the script sends: a position or an error.
#[derive(Debug, Deserialize)]
struct JsPosition {
    lat: Option<f64>,
    lon: Option<f64>,
    accuracy: Option<f64>,
    /// Milliseconds since the epoch, by the phone's wall clock.
    timestamp: Option<f64>,
    /// The browser's own words (English, for developers); the cadre is told by `code`.
    error: Option<String>,
    /// `GeolocationPositionError.code`: 1 permission denied, 2 unavailable, 3 timeout.
    code: Option<u16>,
}

impl JsPosition {
    /// Why the source stopped, in words for the cadre; `None` for a position.
    fn loss(&self) -> Option<String> {
        if self.error.is_none() && self.code.is_none() {
            if self.lat.is_some() && self.lon.is_some() {
                return None;
            }
            return Some(strings::ERR_LOCATION_UNAVAILABLE.to_string());
        }
        // No code: the webview has no geolocation at all.
        Some(strings::location_error(self.code).to_string())
    }
}

/// Positions from the webview. Create it inside a component (it needs the document).
pub struct WebviewLocation {
    eval: Eval,
    clock: Arc<dyn Clock>,
}

impl WebviewLocation {
    pub fn start(clock: Arc<dyn Clock>) -> Self {
        WebviewLocation {
            eval: document::eval(WATCH_SCRIPT),
            clock,
        }
    }
}

impl LocationSource for WebviewLocation {
    fn next_event(&mut self) -> LocationFuture<'_> {
        Box::pin(async move {
            let msg: JsPosition = match self.eval.recv().await {
                Ok(m) => m,
                Err(_) => return None,
            };
            if let Some(reason) = msg.loss() {
                return Some(LocationEvent::Lost(reason));
            }
            let (Some(lat), Some(lon)) = (msg.lat, msg.lon) else {
                return Some(LocationEvent::Lost(
                    strings::ERR_LOCATION_UNAVAILABLE.into(),
                ));
            };
            let time = msg
                .timestamp
                .and_then(|ms| chrono::DateTime::from_timestamp_millis(ms as i64))
                .unwrap_or_else(|| self.clock.now());
            Some(LocationEvent::Fix(Fix {
                lat,
                lon,
                accuracy_m: msg.accuracy.unwrap_or(9_999.0),
                time,
                monotonic_ms: self.clock.monotonic_ms(),
                // The web API does not say which provider answered.
                provider: FixProvider::Unknown,
                mock: false,
            }))
        })
    }
    fn is_simulated(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_js(json: &str) -> Option<String> {
        serde_json::from_str::<JsPosition>(json).unwrap().loss()
    }

    #[test]
    fn a_geolocation_error_is_said_in_chinese_with_what_to_do() {
        let denied = from_js(r#"{"error": "User denied Geolocation", "code": 1}"#).unwrap();
        assert!(denied.contains("请在手机设置中允许"), "{denied}");
        for json in [
            r#"{"error": "Position unavailable", "code": 2}"#,
            r#"{"error": "Timeout expired", "code": 3}"#,
            r#"{"error": "unsupported"}"#,
            r#"{"lat": 32.1}"#,
        ] {
            let said = from_js(json).unwrap();
            let words = said.replace("GPS", "");
            assert!(!words.chars().any(|c| c.is_ascii_alphabetic()), "{said}");
            assert!(said.contains('请'), "{said}");
        }
        assert_eq!(
            from_js(r#"{"lat": 32.1, "lon": 107.2, "accuracy": 8}"#),
            None
        );
    }
}
