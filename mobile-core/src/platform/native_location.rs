//! A location source over the platform's own location service (Android's foreground service),
//! reached through a small bridge: start, stop, and poll for the events the service queued.
//! The bridge is a trait so that everything but the JNI calls — the polling, the events'
//! JSON, what a failed start means — runs in tests here; the Android bridge is in
//! `zhucun-mobile`'s `platform::android_location`.

use super::clock::Clock;
use super::location::{LocationEvent, LocationFuture, LocationSource};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use zhucun_shared::ids::RecordId;
use zhucun_shared::record::{Fix, FixProvider, GapCause};

/// The platform side: the calls the app makes into the native location service.
pub trait NativeBridge {
    /// Starts the foreground service with its notification; `Ok(false)` when it could not
    /// (no location permission: the service queues the gap).
    fn start(&self, duty: &str, title: &str, text: &str) -> Result<bool, String>;
    fn stop(&self) -> Result<(), String>;
    /// The events queued since the last poll, as a JSON array; `None` when there are none.
    fn poll(&self) -> Result<Option<String>, String>;
}

/// One event as the native service queues it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum NativeEvent {
    Fix {
        lat: f64,
        lon: f64,
        accuracy: f64,
        /// The fix's time by the wall clock, ms since the epoch (`Location.getTime`).
        time_ms: i64,
        /// `Location.getElapsedRealtimeNanos` in ms: time since boot, which the user cannot set.
        elapsed_ms: Option<u64>,
        provider: String,
        /// `Location.isMock` (`isFromMockProvider` before Android 12).
        mock: bool,
    },
    Gap {
        cause: GapCause,
        since_ms: i64,
    },
}

/// The events in a poll's JSON; an event that cannot be read is left out (it is the
/// service's bug, not the cadre's, and the rest still count).
pub fn parse_events(json: &str, now: DateTime<Utc>) -> Vec<LocationEvent> {
    let Ok(raw) = serde_json::from_str::<Vec<serde_json::Value>>(json) else {
        return Vec::new();
    };
    let time = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or(now);
    raw.into_iter()
        .filter_map(|v| serde_json::from_value::<NativeEvent>(v).ok())
        .map(|e| match e {
            NativeEvent::Fix {
                lat,
                lon,
                accuracy,
                time_ms,
                elapsed_ms,
                provider,
                mock,
            } => LocationEvent::Fix(Fix {
                lat,
                lon,
                accuracy_m: accuracy,
                time: time(time_ms),
                monotonic_ms: elapsed_ms,
                provider: match provider.as_str() {
                    "gps" => FixProvider::Gps,
                    "network" => FixProvider::Network,
                    "fused" => FixProvider::Fused,
                    _ => FixProvider::Unknown,
                },
                mock,
            }),
            NativeEvent::Gap { cause, since_ms } => LocationEvent::Gap {
                cause,
                since: time(since_ms),
            },
        })
        .collect()
}

/// The notification's words while the service runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceNotification {
    pub title: String,
    pub text: String,
}

/// Fixes from the platform's location service, polled through `B`.
pub struct NativeLocation<B: NativeBridge> {
    /// `None` when the bridge could not be reached (then every start is a gap).
    bridge: Option<B>,
    notification: ServiceNotification,
    running: Option<RecordId>,
    queue: VecDeque<LocationEvent>,
    clock: Arc<dyn Clock>,
    poll_every: Duration,
}

impl<B: NativeBridge> NativeLocation<B> {
    pub fn new(
        bridge: Option<B>,
        notification: ServiceNotification,
        clock: Arc<dyn Clock>,
        poll_every: Duration,
    ) -> Self {
        NativeLocation {
            bridge,
            notification,
            running: None,
            queue: VecDeque::new(),
            clock,
            poll_every,
        }
    }

    /// Takes what the service queued; whether there was anything.
    pub fn poll_once(&mut self) -> bool {
        let Some(bridge) = &self.bridge else {
            return false;
        };
        match bridge.poll() {
            Ok(Some(json)) => {
                let events = parse_events(&json, self.clock.now());
                let any = !events.is_empty();
                self.queue.extend(events);
                any
            }
            Ok(None) | Err(_) => false,
        }
    }

    /// The next event already taken, without waiting.
    pub fn take(&mut self) -> Option<LocationEvent> {
        self.running?;
        self.queue.pop_front()
    }
}

impl<B: NativeBridge> LocationSource for NativeLocation<B> {
    fn start(&mut self, duty: RecordId) {
        self.running = Some(duty);
        let started = self.bridge.as_ref().map(|b| {
            b.start(
                &duty.to_string(),
                &self.notification.title,
                &self.notification.text,
            )
        });
        match started {
            Some(Ok(_)) => {}
            // No bridge, or the call failed: the service is not running.
            None | Some(Err(_)) => self.queue.push_back(LocationEvent::Gap {
                cause: GapCause::ServiceKilled,
                since: self.clock.now(),
            }),
        }
    }

    fn stop(&mut self) {
        if let Some(b) = &self.bridge {
            let _ = b.stop();
        }
        self.running = None;
        self.queue.clear();
    }

    fn running(&self) -> Option<RecordId> {
        self.running
    }

    fn next_event(&mut self) -> LocationFuture<'_> {
        Box::pin(async move {
            loop {
                if self.running.is_none() {
                    return std::future::pending().await;
                }
                if let Some(e) = self.queue.pop_front() {
                    return Some(e);
                }
                if !self.poll_once() {
                    tokio::time::sleep(self.poll_every).await;
                }
            }
        })
    }

    fn is_simulated(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::clock::ManualClock;
    use std::cell::RefCell;

    /// A service that answers from a script and remembers what it was asked.
    #[derive(Default)]
    struct FakeService {
        permission: bool,
        polls: RefCell<VecDeque<String>>,
        calls: RefCell<Vec<String>>,
    }

    impl NativeBridge for &FakeService {
        fn start(&self, duty: &str, title: &str, _text: &str) -> Result<bool, String> {
            self.calls
                .borrow_mut()
                .push(format!("start {duty} {title}"));
            if !self.permission {
                self.polls.borrow_mut().push_back(
                    r#"[{"gap":{"cause":"permission_withdrawn","since_ms":1794790800000}}]"#.into(),
                );
            }
            Ok(self.permission)
        }
        fn stop(&self) -> Result<(), String> {
            self.calls.borrow_mut().push("stop".into());
            Ok(())
        }
        fn poll(&self) -> Result<Option<String>, String> {
            Ok(self.polls.borrow_mut().pop_front())
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-16T01:00:00Z".parse().unwrap()
    }

    fn source(service: &FakeService) -> NativeLocation<&FakeService> {
        NativeLocation::new(
            Some(service),
            ServiceNotification {
                title: "值守中".into(),
                text: String::new(),
            },
            Arc::new(ManualClock::new(now())),
            Duration::from_millis(1),
        )
    }

    #[test]
    fn the_services_fixes_keep_provider_mock_flag_and_elapsed_realtime() {
        let service = FakeService {
            permission: true,
            ..Default::default()
        };
        service.polls.borrow_mut().push_back(
            r#"[{"fix":{"lat":32.1,"lon":107.2,"accuracy":6.5,"time_ms":1794790800000,"elapsed_ms":3600000,"provider":"gps","mock":false}},
                {"fix":{"lat":32.1,"lon":107.2,"accuracy":30,"time_ms":1794790810000,"elapsed_ms":3610000,"provider":"network","mock":true}},
                {"something":"else"}]"#
                .into(),
        );
        let mut s = source(&service);
        let duty = RecordId::new();
        s.start(duty);
        assert!(s.poll_once());
        let Some(LocationEvent::Fix(a)) = s.take() else {
            panic!()
        };
        assert_eq!(
            (a.provider, a.mock, a.monotonic_ms, a.time),
            (FixProvider::Gps, false, Some(3_600_000), now())
        );
        let Some(LocationEvent::Fix(b)) = s.take() else {
            panic!()
        };
        assert_eq!((b.provider, b.mock), (FixProvider::Network, true));
        assert_eq!(s.take(), None);
        s.stop();
        assert_eq!(
            *service.calls.borrow(),
            [format!("start {duty} 值守中"), "stop".to_string()]
        );
    }

    #[test]
    fn no_permission_at_start_is_a_permission_gap_and_no_bridge_a_stopped_service() {
        let service = FakeService::default();
        let mut s = source(&service);
        s.start(RecordId::new());
        s.poll_once();
        assert_eq!(
            s.take(),
            Some(LocationEvent::Gap {
                cause: GapCause::PermissionWithdrawn,
                since: now()
            })
        );
        let mut none: NativeLocation<&FakeService> = NativeLocation::new(
            None,
            ServiceNotification {
                title: String::new(),
                text: String::new(),
            },
            Arc::new(ManualClock::new(now())),
            Duration::from_millis(1),
        );
        none.start(RecordId::new());
        assert!(matches!(
            none.take(),
            Some(LocationEvent::Gap {
                cause: GapCause::ServiceKilled,
                ..
            })
        ));
    }

    #[test]
    fn a_gap_from_the_service_carries_its_cause_and_time() {
        let events = parse_events(
            r#"[{"gap":{"cause":"location_off","since_ms":1794790800000}},
                {"gap":{"cause":"service_killed","since_ms":1794790860000}}]"#,
            now(),
        );
        assert_eq!(
            events,
            [
                LocationEvent::Gap {
                    cause: GapCause::LocationOff,
                    since: now()
                },
                LocationEvent::Gap {
                    cause: GapCause::ServiceKilled,
                    since: now() + chrono::Duration::minutes(1)
                },
            ]
        );
        assert!(parse_events("not json", now()).is_empty());
    }
}
