//! Location through the webview: `navigator.geolocation.watchPosition`, run with
//! `document::eval`. On Android, dioxus serves the page from a secure origin, so the API is
//! there, and wry asks for the runtime permission when the page first uses it.

use super::clock::Clock;
use super::location::{LocationEvent, LocationFuture, LocationSource};
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
    (e) => dioxus.send({ error: String(e.code) + " " + e.message }),
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
    error: Option<String>,
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
            if let Some(e) = msg.error {
                return Some(LocationEvent::Lost(e));
            }
            let (Some(lat), Some(lon)) = (msg.lat, msg.lon) else {
                return Some(LocationEvent::Lost("empty position".into()));
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
