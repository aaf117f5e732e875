//! Location through the webview: `navigator.geolocation.watchPosition`, run with
//! `document::eval` from 开始值守 to 结束值守. On Android, dioxus serves the page from a secure
//! origin, so the API is there, and wry asks for the runtime permission when the page first
//! uses it. A hidden page (screen off, another app in front) gets no positions: the script
//! says so (`visibilitychange`), and the gap is written with that cause. The web API says
//! neither the provider nor whether the position is mocked; the Android foreground service
//! (`android_location`) does.

use super::clock::Clock;
use super::location::{LocationEvent, LocationFuture, LocationSource};
use dioxus::document::{self, Eval};
use serde::Deserialize;
use std::sync::Arc;
use zhucun_shared::ids::RecordId;
use zhucun_shared::record::{Fix, FixProvider, GapCause};

const WATCH_SCRIPT: &str = r#"
const stop = new AbortController();
document.addEventListener("visibilitychange", () => {
  if (document.hidden) dioxus.send({ hidden: true, timestamp: Date.now() });
}, { signal: stop.signal });
let watch = null;
if (!("geolocation" in navigator)) {
  dioxus.send({ error: "unsupported" });
} else {
  watch = navigator.geolocation.watchPosition(
    (p) => dioxus.send({
      lat: p.coords.latitude,
      lon: p.coords.longitude,
      accuracy: p.coords.accuracy,
      timestamp: p.timestamp,
    }),
    (e) => dioxus.send({ error: e.message, code: e.code, timestamp: Date.now() }),
    { enableHighAccuracy: true, maximumAge: 10000, timeout: 60000 },
  );
}
await dioxus.recv();
if (watch !== null) navigator.geolocation.clearWatch(watch);
stop.abort();
"#;

/// What the script sends: a position, an error, or the page hidden.
#[derive(Debug, Deserialize)]
struct JsPosition {
    lat: Option<f64>,
    lon: Option<f64>,
    accuracy: Option<f64>,
    /// Milliseconds since the epoch, by the phone's wall clock.
    timestamp: Option<f64>,
    /// The browser's own words (English, for developers); the cause comes from `code`.
    error: Option<String>,
    /// `GeolocationPositionError.code`: 1 permission denied, 2 unavailable, 3 timeout.
    code: Option<u16>,
    /// The page was hidden: the screen went off or another app came in front.
    #[serde(default)]
    hidden: bool,
}

impl JsPosition {
    /// Why the source stopped delivering; `None` for a position.
    fn gap(&self) -> Option<GapCause> {
        if self.hidden {
            return Some(GapCause::ScreenOff);
        }
        match (self.code, &self.error) {
            (Some(1), _) => Some(GapCause::PermissionWithdrawn),
            (Some(_), _) => Some(GapCause::NoSignal),
            // No code: the webview has no geolocation at all.
            (None, Some(_)) => Some(GapCause::LocationOff),
            (None, None) if self.lat.is_some() && self.lon.is_some() => None,
            (None, None) => Some(GapCause::NoSignal),
        }
    }
}

/// Positions from the webview. Start it inside a component (it needs the document).
pub struct WebviewLocation {
    eval: Option<Eval>,
    running: Option<RecordId>,
    clock: Arc<dyn Clock>,
}

impl WebviewLocation {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        WebviewLocation {
            eval: None,
            running: None,
            clock,
        }
    }
}

impl LocationSource for WebviewLocation {
    fn start(&mut self, duty: RecordId) {
        self.eval = Some(document::eval(WATCH_SCRIPT));
        self.running = Some(duty);
    }

    fn stop(&mut self) {
        if let Some(eval) = self.eval.take() {
            // Ends the watch and the visibility listener.
            let _ = eval.send(true);
        }
        self.running = None;
    }

    fn running(&self) -> Option<RecordId> {
        self.running
    }

    fn next_event(&mut self) -> LocationFuture<'_> {
        Box::pin(async move {
            let Some(eval) = self.eval.as_mut() else {
                return std::future::pending().await;
            };
            let msg: JsPosition = match eval.recv().await {
                Ok(m) => m,
                Err(_) => return None,
            };
            let time = msg
                .timestamp
                .and_then(|ms| chrono::DateTime::from_timestamp_millis(ms as i64))
                .unwrap_or_else(|| self.clock.now());
            if let Some(cause) = msg.gap() {
                return Some(LocationEvent::Gap { cause, since: time });
            }
            let (Some(lat), Some(lon)) = (msg.lat, msg.lon) else {
                return Some(LocationEvent::Gap {
                    cause: GapCause::NoSignal,
                    since: time,
                });
            };
            Some(LocationEvent::Fix(Fix {
                lat,
                lon,
                accuracy_m: msg.accuracy.unwrap_or(9_999.0),
                time,
                monotonic_ms: self.clock.monotonic_ms(),
                // The web API says neither which provider answered nor whether it was mocked.
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
    use crate::strings;

    fn from_js(json: &str) -> Option<GapCause> {
        serde_json::from_str::<JsPosition>(json).unwrap().gap()
    }

    #[test]
    fn what_the_page_reports_becomes_a_gaps_cause_said_in_chinese_with_what_to_do() {
        assert_eq!(
            from_js(r#"{"error": "User denied Geolocation", "code": 1}"#),
            Some(GapCause::PermissionWithdrawn)
        );
        assert_eq!(
            from_js(r#"{"hidden": true, "timestamp": 1764470000000}"#),
            Some(GapCause::ScreenOff)
        );
        for json in [
            r#"{"error": "User denied Geolocation", "code": 1}"#,
            r#"{"error": "Position unavailable", "code": 2}"#,
            r#"{"error": "Timeout expired", "code": 3}"#,
            r#"{"error": "unsupported"}"#,
            r#"{"lat": 32.1}"#,
            r#"{"hidden": true}"#,
        ] {
            let said = strings::gap_advice(from_js(json).unwrap());
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
