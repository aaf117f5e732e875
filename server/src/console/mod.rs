//! The review console: the pages team leaders, liaison leaders, supervisors and the township
//! office work in, served by the server itself in Chinese and usable on a township LAN with no
//! internet. The same accounts, sessions and jurisdiction as the API (the shared jurisdiction
//! model); a cookie session instead of a bearer token, with a CSRF token on every form.

mod admin;
mod admin_import;
mod assets;
mod leave;
mod ledgers;
pub mod map;
mod overview;
pub mod page;
mod person;
pub mod session;
mod spot_checks;

use crate::app::AppState;
use axum::extract::DefaultBodyLimit;
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
        .route("/console/ledgers", get(ledgers::index))
        .route("/console/ledgers/steps", post(ledgers::take))
        .route("/console/ledgers/{document}", get(ledgers::show))
        .route("/console/spot-checks", get(spot_checks::queue_page))
        .route("/console/spot-checks/item", get(spot_checks::item_page))
        .route("/console/spot-checks/findings", post(spot_checks::record))
        .route("/console/leave", get(leave::page))
        .route("/console/leave/decisions", post(leave::decide))
        .route("/console/assets/{*file}", get(assets::serve))
        .route("/console/admin", get(admin::home))
        .route("/console/admin/rules", get(admin::rules_page))
        .route("/console/admin/townships/{id}", get(admin::township_page))
        .route(
            "/console/admin/townships/{id}/people",
            post(admin::create_person),
        )
        .route("/console/admin/people/{id}", get(admin::person_page))
        .route(
            "/console/admin/people/{id}/postings",
            post(admin::add_posting),
        )
        .route(
            "/console/admin/people/{id}/postings/{posting}/end",
            post(admin::end_posting),
        )
        .route(
            "/console/admin/people/{id}/pairings",
            post(admin::add_pairing),
        )
        .route(
            "/console/admin/people/{id}/pairings/{pairing}/end",
            post(admin::end_pairing),
        )
        .route(
            "/console/admin/people/{id}/password",
            post(admin::reset_password),
        )
        .route(
            "/console/admin/people/{id}/account",
            post(admin::set_account),
        )
        .route(
            "/console/admin/people/{id}/devices/{device}/revoke",
            post(admin::revoke_device),
        )
        .route(
            "/console/admin/villages/{id}/support-units",
            post(admin::set_support_units),
        )
        .route(
            "/console/admin/households/{id}",
            get(admin::household_page).post(admin::edit_household),
        )
        .route(
            "/console/admin/households/{id}/move",
            post(admin::move_household),
        )
        .route(
            "/console/admin/import",
            get(admin_import::import_page)
                .post(admin_import::preview)
                .layer(DefaultBodyLimit::max(admin_import::MAX_BODY_BYTES)),
        )
        .route(
            "/console/admin/import/confirm",
            post(admin_import::confirm).layer(DefaultBodyLimit::max(admin_import::MAX_BODY_BYTES)),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            page::guard,
        ))
        .with_state(state)
}
