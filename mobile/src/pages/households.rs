//! 农户: the village's households, searched and grouped (see
//! [`crate::components::HouseholdBrowser`]).

use crate::components::HouseholdBrowser;
use dioxus::prelude::*;

#[component]
pub fn Households() -> Element {
    rsx! { HouseholdBrowser {} }
}
