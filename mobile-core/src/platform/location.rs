//! Location: a source of fixes behind a trait, started by 开始值守 and stopped by 结束值守, so
//! that off duty no location is taken. A source delivers fixes with what the platform says of
//! them (provider, mock flag, elapsed realtime) and the gaps it knows of, each with its cause.
//! The Android foreground service (`zhucun-mobile`'s `platform::android_location`), the
//! webview's geolocation (`platform::webview`), a replayed route ([`SimulatedLocation`]: tests,
//! desktop demo, screenshots) and a scripted platform ([`ScriptedLocation`]: tests) implement it.

use super::clock::Clock;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use zhucun_shared::geometry::{between, distance_m};
use zhucun_shared::ids::RecordId;
use zhucun_shared::org::LatLon;
use zhucun_shared::record::{Fix, FixProvider, GapCause};

/// What a location source reports.
#[derive(Clone, Debug, PartialEq)]
pub enum LocationEvent {
    Fix(Fix),
    /// The source stopped delivering at `since`, for `cause`; the next fix ends the gap.
    Gap {
        cause: GapCause,
        since: DateTime<Utc>,
    },
}

pub type LocationFuture<'a> = Pin<Box<dyn Future<Output = Option<LocationEvent>> + 'a>>;

/// A source of location events that runs only while on duty.
pub trait LocationSource {
    /// 开始值守: starts taking location for the duty session (on Android, the foreground
    /// service with its notification).
    fn start(&mut self, duty: RecordId);
    /// 结束值守: stops taking location.
    fn stop(&mut self);
    /// The duty session the source runs for; `None` while stopped.
    fn running(&self) -> Option<RecordId>;
    /// The next event; `None` when the source has ended for good. While stopped it delivers
    /// nothing (the future stays pending).
    fn next_event(&mut self) -> LocationFuture<'_>;
    /// Shown next to the accuracy, so nobody mistakes a demo for a real fix.
    fn is_simulated(&self) -> bool;

    /// Starts, stops or restarts the source so that it runs exactly while `duty` is open.
    fn follow(&mut self, duty: Option<RecordId>) {
        match (self.running(), duty) {
            (None, Some(d)) => self.start(d),
            (Some(_), None) => self.stop(),
            (Some(r), Some(d)) if r != d => {
                self.stop();
                self.start(d);
            }
            _ => {}
        }
    }
}

/// A platform as a script: what it would deliver, given in order. Whatever is delivered while
/// the source is stopped is not taken (as a platform whose location service is not running
/// gives nothing); tests drive the capture flows through [`LocationSource`] with it.
#[derive(Debug, Default)]
pub struct ScriptedLocation {
    running: Option<RecordId>,
    queue: VecDeque<LocationEvent>,
    /// Events offered while stopped, and dropped.
    pub dropped: usize,
    /// How many times the source was started.
    pub starts: usize,
}

impl ScriptedLocation {
    pub fn new() -> Self {
        Self::default()
    }

    /// The platform reports `event`: queued while running, dropped while stopped.
    pub fn deliver(&mut self, event: LocationEvent) {
        if self.running.is_some() {
            self.queue.push_back(event);
        } else {
            self.dropped += 1;
        }
    }

    /// The next event without waiting.
    pub fn step(&mut self) -> Option<LocationEvent> {
        self.running?;
        self.queue.pop_front()
    }
}

impl LocationSource for ScriptedLocation {
    fn start(&mut self, duty: RecordId) {
        self.running = Some(duty);
        self.starts += 1;
    }
    fn stop(&mut self) {
        self.running = None;
        self.queue.clear();
    }
    fn running(&self) -> Option<RecordId> {
        self.running
    }
    fn next_event(&mut self) -> LocationFuture<'_> {
        Box::pin(async move {
            match self.step() {
                Some(e) => Some(e),
                None => std::future::pending().await,
            }
        })
    }
    fn is_simulated(&self) -> bool {
        true
    }
}

/// A point of a simulated route, where the walker waits for some fixes (a household visit).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RoutePoint {
    pub position: LatLon,
    pub dwell_fixes: u32,
}

/// A walk through a village as a sequence of positions, one per fix, with stretches where the
/// signal is lost.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulatedRoute {
    pub points: Vec<RoutePoint>,
    /// Distance walked between two fixes.
    pub step_m: f64,
    pub accuracy_m: f64,
    /// Fix indexes during which there is no signal.
    pub lost: Vec<Range<usize>>,
}

impl SimulatedRoute {
    /// One position per fix (`None` while the signal is lost).
    pub fn positions(&self) -> Vec<Option<LatLon>> {
        let mut out = Vec::new();
        for (i, p) in self.points.iter().enumerate() {
            out.push(p.position);
            for _ in 0..p.dwell_fixes {
                out.push(p.position);
            }
            if let Some(next) = self.points.get(i + 1) {
                let d = distance_m(p.position, next.position);
                let steps = (d / self.step_m.max(1.0)).ceil() as usize;
                for s in 1..steps {
                    let t = s as f64 / steps as f64;
                    out.push(between(p.position, next.position, t));
                }
            }
        }
        out.into_iter()
            .enumerate()
            .map(|(i, p)| (!self.lost.iter().any(|r| r.contains(&i))).then_some(p))
            .collect()
    }
}

/// Replays a route: one event per `pace` of real time, stamped with the clock.
pub struct SimulatedLocation {
    positions: Vec<Option<LatLon>>,
    next: usize,
    pace: Duration,
    accuracy_m: f64,
    clock: Arc<dyn Clock>,
    /// Loop back to the start at the end (the desktop demo runs until closed).
    repeat: bool,
    running: Option<RecordId>,
}

impl SimulatedLocation {
    pub fn new(route: &SimulatedRoute, clock: Arc<dyn Clock>, pace: Duration) -> Self {
        SimulatedLocation {
            positions: route.positions(),
            next: 0,
            pace,
            accuracy_m: route.accuracy_m,
            clock,
            repeat: false,
            running: None,
        }
    }

    pub fn repeating(mut self) -> Self {
        self.repeat = true;
        self
    }

    /// The next event without waiting (tests step through a route with a manual clock);
    /// nothing while stopped.
    pub fn step(&mut self) -> Option<LocationEvent> {
        self.running?;
        if self.next >= self.positions.len() {
            if !self.repeat || self.positions.is_empty() {
                return None;
            }
            self.next = 0;
        }
        let i = self.next;
        self.next += 1;
        Some(match self.positions[i] {
            Some(p) => {
                // A little deterministic wobble in the reported accuracy.
                let wobble = ((i * 7919) % 11) as f64 - 5.0;
                LocationEvent::Fix(Fix {
                    lat: p.lat,
                    lon: p.lon,
                    accuracy_m: (self.accuracy_m + wobble).max(3.0),
                    time: self.clock.now(),
                    monotonic_ms: self.clock.monotonic_ms(),
                    provider: FixProvider::Simulated,
                    mock: true,
                })
            }
            None => LocationEvent::Gap {
                cause: GapCause::NoSignal,
                since: self.clock.now(),
            },
        })
    }
}

impl LocationSource for SimulatedLocation {
    fn start(&mut self, duty: RecordId) {
        self.running = Some(duty);
    }
    fn stop(&mut self) {
        self.running = None;
    }
    fn running(&self) -> Option<RecordId> {
        self.running
    }
    fn next_event(&mut self) -> LocationFuture<'_> {
        Box::pin(async move {
            if self.running.is_none() {
                return std::future::pending().await;
            }
            if !self.pace.is_zero() {
                tokio::time::sleep(self.pace).await;
            }
            self.step()
        })
    }
    fn is_simulated(&self) -> bool {
        true
    }
}
