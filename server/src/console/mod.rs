//! The review console: the pages team leaders, liaison leaders, supervisors and the township
//! office work in, served by the server itself in Chinese and usable on a township LAN with no
//! internet. The same accounts, sessions and jurisdiction as the API (the shared jurisdiction
//! model); a cookie session instead of a bearer token, with a CSRF token on every form.

mod assets;
pub mod map;
mod overview;
pub mod page;
mod person;
pub mod session;

use crate::app::AppState;
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/") }))
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(overview::page))
        .route(
            "/console/login",
            get(session::sign_in_page).post(session::sign_in_submit),
        )
        .route("/console/logout", post(session::sign_out_submit))
        .route("/console/people/{id}", get(person::page))
        .route("/console/people/{id}/map", get(person::map_data))
        .route("/console/photos/{sha256}", get(person::photo))
        .route("/console/assets/{*file}", get(assets::serve))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            page::guard,
        ))
        .with_state(state)
}
