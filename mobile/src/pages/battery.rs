//! 后台运行设置: how to keep the app running with the screen off, per phone maker (the steps
//! are data in `battery_guide`).

use crate::app::Route;
use crate::battery_guide::{guides_for, Vendor};
use crate::strings;
use dioxus::prelude::*;

/// This phone's maker, when the platform says it (given at launch on Android): its steps first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhoneMaker(pub Option<Vendor>);

#[component]
pub fn BatteryGuide() -> Element {
    let maker = use_hook(|| {
        try_consume_context::<PhoneMaker>()
            .and_then(|m| m.0)
            .or_else(this_phones_maker)
    });
    rsx! {
        div { class: "card battery-guide",
            h2 { "{strings::BATTERY_GUIDE}" }
            p { class: "muted", "{strings::BATTERY_GUIDE_INTRO}" }
        }
        for guide in guides_for(maker) {
            div { class: "card vendor",
                h2 { "{guide.title}" }
                ol {
                    for step in guide.steps {
                        li {
                            strong { "{step.kind.label_zh()}：" }
                            "{step.how}"
                        }
                    }
                }
            }
        }
        Link { class: "guide-link", to: Route::Today {}, "{strings::BATTERY_GUIDE_BACK}" }
    }
}

/// The maker the platform reports (Android's `Build.MANUFACTURER`).
fn this_phones_maker() -> Option<Vendor> {
    #[cfg(target_os = "android")]
    return crate::platform::android_location::phone_maker()
        .as_deref()
        .and_then(crate::battery_guide::vendor_of);
    #[cfg(not(target_os = "android"))]
    None
}
