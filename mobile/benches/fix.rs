//! What one GPS fix costs the screens' state, on the demo at village scale (the demo cadre's
//! history and 300 more households, as `ZHUCUN_DEMO=village`), in one run
//! (`cargo bench -p zhucun-mobile --bench fix`):
//!
//! - `location`: taking the fix in (the capture flows and the store's write), the baseline;
//! - `after_fix`: rebuilding what a fix changes ([`Services::after_fix`]: where the cadre is,
//!   the queue, progress at most every 30 s), as the location loop does;
//! - `parts`: rebuilding every part ([`Services::parts`]), as after an action — what each
//!   fix cost when the screens were one snapshot.
//!
//! Each fix comes 5 s after the last, along the demo's simulated walk.

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use std::time::Instant;
use zhucun_mobile::capture::Command;
use zhucun_mobile::platform::clock::{Clock, ManualClock};
use zhucun_mobile::platform::location::LocationEvent;
use zhucun_mobile::state::Services;
use zhucun_mobile::{demo, Store};
use zhucun_shared::record::{Fix, FixProvider};

const FIXES: usize = 240;

fn summary(name: &str, mut us: Vec<f64>) -> f64 {
    us.sort_by(f64::total_cmp);
    let at = |p: f64| us[((us.len() as f64 - 1.0) * p).round() as usize];
    let mean = us.iter().sum::<f64>() / us.len() as f64;
    println!(
        "{name:>10}: n={} mean={mean:.0} µs p50={:.0} µs p99={:.0} µs",
        us.len(),
        at(0.5),
        at(0.99)
    );
    mean
}

fn main() {
    let now: DateTime<Utc> = "2026-11-16T01:30:00Z".parse().unwrap();
    let db = std::env::temp_dir().join(format!("zhucun-fix-bench-{}.sqlite", std::process::id()));
    let mut store = Store::open(&db).expect("store");
    demo::seed(&mut store, now).expect("demo");
    let mut pull = demo::pull(now);
    pull.org.households = demo::village_households(300);
    store.save_pull(&pull).expect("village");
    let route = demo::route_for(&store.reference().expect("reference"), now);
    let clock = Arc::new(ManualClock::new(now));
    let services = Services::new(store, clock.clone(), None, false).expect("services");
    services.set_team(demo::team(now));
    // On duty, so that every fix is a point of the track (the demo may have left one open).
    let _ = services.command(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    });
    let positions: Vec<_> = route.positions().into_iter().flatten().collect();
    let mut step = 0;
    let mut next_fix = || {
        clock.advance(Duration::seconds(5));
        let p = positions[step % positions.len()];
        step += 1;
        LocationEvent::Fix(Fix {
            lat: p.lat,
            lon: p.lon,
            accuracy_m: 9.0,
            time: clock.now(),
            monotonic_ms: None,
            provider: FixProvider::Gps,
            mock: false,
        })
    };
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64() * 1e6
    };

    let households = services.parts().expect("parts").households.households.len();
    println!("demo village: {households} households; {FIXES} fixes per path, 5 s apart");
    let (mut location, mut after_fix, mut parts) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..FIXES {
        let event = next_fix();
        location.push(time(&mut || services.location(event.clone()).expect("fix")));
        after_fix.push(time(&mut || {
            services.after_fix().expect("after fix");
        }));
    }
    for _ in 0..FIXES {
        let event = next_fix();
        location.push(time(&mut || services.location(event.clone()).expect("fix")));
        parts.push(time(&mut || {
            services.parts().expect("parts");
        }));
    }
    let base = summary("location", location);
    let new = summary("after_fix", after_fix);
    let all = summary("parts", parts);
    println!(
        "per fix, state rebuilt: after_fix/location = {:.2}, parts/location = {:.2}, parts/after_fix = {:.1}",
        new / base,
        all / base,
        all / new
    );
    println!(
        "track points: {}",
        services.parts().expect("parts").here.track.len()
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
