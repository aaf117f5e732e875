//! The console's static files, built into the server so that it needs nothing beside its
//! binary: its own stylesheet and script, and Leaflet (from the npm registry, pinned in
//! `server/console/package.json`; CI checks the copies under `server/console/vendor/` against
//! the package).

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// (name, content type, bytes)
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("../../console/assets/console.css"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../console/assets/console.js"),
    ),
    (
        "leaflet/leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../console/vendor/leaflet/leaflet.js"),
    ),
    (
        "leaflet/leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("../../console/vendor/leaflet/leaflet.css"),
    ),
    (
        "leaflet/images/layers.png",
        "image/png",
        include_bytes!("../../console/vendor/leaflet/images/layers.png"),
    ),
    (
        "leaflet/images/layers-2x.png",
        "image/png",
        include_bytes!("../../console/vendor/leaflet/images/layers-2x.png"),
    ),
    (
        "leaflet/images/marker-icon.png",
        "image/png",
        include_bytes!("../../console/vendor/leaflet/images/marker-icon.png"),
    ),
    (
        "leaflet/images/marker-icon-2x.png",
        "image/png",
        include_bytes!("../../console/vendor/leaflet/images/marker-icon-2x.png"),
    ),
    (
        "leaflet/images/marker-shadow.png",
        "image/png",
        include_bytes!("../../console/vendor/leaflet/images/marker-shadow.png"),
    ),
];

/// One of the console's files; 404 for any other name.
pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                // A new server may bring new files under the same names: revalidate hourly.
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => super::page::refusal(axum::http::StatusCode::NOT_FOUND, "没有这个文件。"),
    }
}
