//! The app on a desktop window (development, demo, screenshots) or a phone.
//!
//! Environment:
//! - `ZHUCUN_DATA_DIR`: where the database lives (the platform's app directory by default);
//! - `ZHUCUN_SERVER`: the server to sync with, e.g. `http://127.0.0.1:8080`;
//! - `ZHUCUN_DEMO=1`: start with the demo village, a cadre and a captured morning, no server
//!   (`visit`: a visit left open; `supervisor`: the cadre also supervises, with a spot-check
//!   queue);
//! - `ZHUCUN_LOCATION=sim|webview`: simulated route or the webview's geolocation
//!   (default: simulated on desktop; on Android the foreground location service);
//! - `ZHUCUN_START=/progress`: the screen to open first (screenshots).

#[cfg(any(feature = "desktop", feature = "mobile"))]
fn main() -> anyhow::Result<()> {
    use anyhow::Context;
    use std::sync::Arc;
    use std::time::Duration;
    use zhucun_mobile::app::{App, LocationMode, StartPath};
    use zhucun_mobile::platform::clock::{Clock, SystemClock};
    use zhucun_mobile::state::Services;
    use zhucun_mobile::sync::{Api, SyncConfig, SyncEngine};
    use zhucun_mobile::{demo, platform, Store};

    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let demo_mode = var("ZHUCUN_DEMO").is_some_and(|v| v != "0");
    let dir = var("ZHUCUN_DATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(platform::data_dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let db = dir.join(if demo_mode {
        "demo.sqlite"
    } else {
        "zhucun.sqlite"
    });
    if demo_mode {
        // The demo starts from the same morning every time.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
    let mut store = Store::open(&db).with_context(|| format!("opening {}", db.display()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    if demo_mode {
        demo::seed(&mut store, clock.now()).context("loading the demo")?;
    }
    if var("ZHUCUN_DEMO").as_deref() == Some("village") {
        // A village at real scale: the demo's households and 300 more over twelve 村民小组.
        let mut pull = demo::pull(clock.now());
        pull.org.households = demo::village_households(300);
        store.save_pull(&pull).context("loading the demo")?;
    }
    let supervisor_demo = var("ZHUCUN_DEMO").as_deref() == Some("supervisor");
    if supervisor_demo {
        demo::make_supervisor(&mut store, clock.now()).context("loading the demo")?;
    }
    let server = var("ZHUCUN_SERVER").or(store.meta("server_url")?);
    let sync = match server {
        Some(url) => {
            let api = Api::new(&url)?.with_token(store.meta("token")?);
            Some(SyncEngine::new(api, SyncConfig::default()))
        }
        None => None,
    };
    let simulated = match var("ZHUCUN_LOCATION").as_deref() {
        Some("sim") => true,
        Some("webview") => false,
        _ => cfg!(not(any(target_os = "android", target_os = "ios"))),
    };
    let services = Services::new(store, clock.clone(), sync, simulated)?;
    if demo_mode {
        services.set_team(demo::team(clock.now()));
    }
    if supervisor_demo {
        services.set_spot_checks(demo::spot_checks(clock.now()));
    }
    let mode = if simulated {
        LocationMode::Simulated {
            interval: Duration::from_secs(3),
        }
    } else if var("ZHUCUN_LOCATION").as_deref() == Some("webview")
        || cfg!(not(target_os = "android"))
    {
        LocationMode::Webview
    } else {
        // Android: the foreground location service, which goes on with the screen off.
        LocationMode::Native
    };
    let start = StartPath(var("ZHUCUN_START").unwrap_or_else(|| "/".into()));

    let builder = dioxus::LaunchBuilder::new()
        .with_context(services)
        .with_context(mode)
        .with_context(start);
    #[cfg(all(
        feature = "desktop",
        not(any(target_os = "android", target_os = "ios"))
    ))]
    let builder = {
        use dioxus::desktop::{Config, LogicalSize, WindowBuilder};
        let size = var("ZHUCUN_WINDOW")
            .and_then(|s| {
                let (w, h) = s.split_once('x')?;
                Some((w.parse::<f64>().ok()?, h.parse::<f64>().ok()?))
            })
            .unwrap_or((400.0, 820.0));
        builder.with_cfg(
            Config::new().with_menu(None).with_window(
                WindowBuilder::new()
                    .with_title(zhucun_mobile::strings::APP_TITLE)
                    .with_inner_size(LogicalSize::new(size.0, size.1))
                    .with_position(dioxus::desktop::LogicalPosition::new(0.0, 0.0)),
            ),
        )
    };
    builder.launch(App);
    Ok(())
}

#[cfg(not(any(feature = "desktop", feature = "mobile")))]
fn main() {
    eprintln!("zhucun-mobile: build with `--features desktop` (or `mobile` for a phone)");
    std::process::exit(2);
}
