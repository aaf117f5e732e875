//! Android: the duty's trajectory from a foreground service of type location
//! (`mobile/android`: `LocationService` and `LocationBridge`, Kotlin), which goes on taking
//! fixes with the screen off and shows its notification while on duty. Dioxus 0.7's
//! `#[manganis::ffi]` names the Gradle library folder (the CLI builds it into the app and merges
//! its manifest: permissions and the service) and generates the JNI calls below; the polling,
//! the events' JSON and what a failed start means are `zhucun-mobile-core`'s
//! `platform::native_location`, tested without a phone.

use super::clock::SystemClock;
use super::native_location::{NativeBridge, NativeLocation, ServiceNotification};
use crate::strings;
use std::sync::Arc;
use std::time::Duration;

#[manganis::ffi("android")]
extern "Kotlin" {
    pub type LocationBridge;
    /// 1 when started, 0 without location permission (manganis 0.7.10 cannot return a bool).
    pub fn start(this: &LocationBridge, duty: String, title: String, text: String) -> i32;
    pub fn stop(this: &LocationBridge);
    pub fn poll(this: &LocationBridge) -> Option<String>;
    pub fn manufacturer(this: &LocationBridge) -> String;
}

/// How often the service's queue is read while on duty (it takes a fix every 10 s).
const POLL_EVERY: Duration = Duration::from_secs(2);

impl NativeBridge for LocationBridge {
    fn start(&self, duty: &str, title: &str, text: &str) -> Result<bool, String> {
        start(self, duty.to_string(), title.to_string(), text.to_string())
            .map(|started| started == 1)
    }
    fn stop(&self) -> Result<(), String> {
        stop(self)
    }
    fn poll(&self) -> Result<Option<String>, String> {
        poll(self)
    }
}

/// The foreground service as a location source.
pub type AndroidLocation = NativeLocation<LocationBridge>;

/// The bridge, its class loaded through the activity's class loader: the generated
/// `LocationBridge::new` uses JNI `FindClass`, which on a thread attached from native code
/// sees only the system's classes, not the app's. That is tried second.
fn bridge() -> Option<LocationBridge> {
    use manganis::jni::objects::{JClass, JValue};
    let global = manganis::android::with_activity(|env, activity| {
        let loader = env
            .call_method(activity, "getClassLoader", "()Ljava/lang/ClassLoader;", &[])
            .ok()?
            .l()
            .ok()?;
        let name = env.new_string("cn.zhucun.location.LocationBridge").ok()?;
        let class: JClass = env
            .call_method(
                &loader,
                "loadClass",
                "(Ljava/lang/String;)Ljava/lang/Class;",
                &[JValue::Object(&name)],
            )
            .ok()?
            .l()
            .ok()?
            .into();
        let bridge = env
            .new_object(
                &class,
                "(Landroid/app/Activity;)V",
                &[JValue::Object(activity)],
            )
            .ok()?;
        env.new_global_ref(bridge).ok()
    });
    match global {
        Some(g) => Some(LocationBridge::from_global_ref(g)),
        None => LocationBridge::new().ok(),
    }
}

/// The source over the service, with the duty notification's words.
pub fn android_location() -> AndroidLocation {
    NativeLocation::new(
        bridge(),
        ServiceNotification {
            title: strings::DUTY_NOTIFICATION_TITLE.to_string(),
            text: strings::DUTY_NOTIFICATION_TEXT.to_string(),
        },
        Arc::new(SystemClock::default()),
        POLL_EVERY,
    )
}

/// This phone's maker, for the battery-settings guide (`Build.MANUFACTURER`).
pub fn phone_maker() -> Option<String> {
    let bridge = bridge()?;
    manufacturer(&bridge).ok().filter(|m| !m.is_empty())
}
