//! Prometheus metrics, served at `/metrics`.

use crate::app::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    pub requests: HistogramFamily,
    /// Records by what a push did with them: stored, duplicate, conflict.
    pub records: Family<OutcomeLabels, Counter>,
    pub photos_stored: Counter,
    pub photo_bytes_received: Counter,
    /// Logins by outcome: ok, failed, throttled.
    pub logins: Family<OutcomeLabels, Counter>,
    /// Verdicts by how they were had: kept, evaluated, refreshed.
    pub verdicts: Family<OutcomeLabels, Counter>,
    /// Connections answered 503 because the server held as many as it may.
    pub connections_shed: Counter,
}

fn request_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("zhucun");
        let requests: HistogramFamily = Family::new_with_constructor(request_histogram);
        let records = Family::<OutcomeLabels, Counter>::default();
        let photos_stored = Counter::default();
        let photo_bytes_received = Counter::default();
        let logins = Family::<OutcomeLabels, Counter>::default();
        let connections_shed = Counter::default();
        let verdicts = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "verdicts",
            "Verdicts by how they were had: kept, evaluated on a read, refreshed by the queue",
            verdicts.clone(),
        );
        registry.register(
            "connections_shed",
            "Connections refused with 503 at the connection limit",
            connections_shed.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register("sync_records", "Pushed records by outcome", records.clone());
        registry.register("photos_stored", "Photos stored", photos_stored.clone());
        registry.register(
            "photo_bytes_received",
            "Photo upload bytes received",
            photo_bytes_received.clone(),
        );
        registry.register("logins", "Login attempts by outcome", logins.clone());
        Self {
            registry,
            requests,
            records,
            photos_stored,
            photo_bytes_received,
            logins,
            connections_shed,
            verdicts,
        }
    }

    pub fn count_records(&self, outcome: &str, n: u64) {
        if n > 0 {
            self.records
                .get_or_create(&OutcomeLabels {
                    outcome: outcome.into(),
                })
                .inc_by(n);
        }
    }

    /// A verdict read: kept (served as kept), evaluated (on a read), refreshed (by the queue's
    /// worker), warmed (brought to a new day or basis by the worker before anyone read it).
    pub fn count_verdict(&self, how: &str) {
        self.verdicts
            .get_or_create(&OutcomeLabels {
                outcome: how.into(),
            })
            .inc();
    }

    pub fn count_login(&self, outcome: &str) {
        self.logins
            .get_or_create(&OutcomeLabels {
                outcome: outcome.into(),
            })
            .inc();
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("encoding into a String does not fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The method as a label: the standard ones by name, anything else as `other`, so that made-up
/// methods cannot grow the label space.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Times every request under its route template (not its raw path, which would explode the
/// label space with ids).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = method_label(req.method()).to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    state
        .metrics
        .requests
        .get_or_create(&RouteLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .observe(start.elapsed().as_secs_f64());
    response
}
