//! Location: a source of fixes behind a trait. The webview source watches
//! `navigator.geolocation`; the simulated one replays a route (tests, desktop demo, screenshots).

use super::clock::Clock;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use zhucun_shared::geometry::{between, distance_m};
use zhucun_shared::org::LatLon;
use zhucun_shared::record::{Fix, FixProvider};

/// What a location source reports.
#[derive(Clone, Debug, PartialEq)]
pub enum LocationEvent {
    Fix(Fix),
    /// The source stopped delivering (permission refused, no signal), with the reason.
    Lost(String),
}

pub type LocationFuture<'a> = Pin<Box<dyn Future<Output = Option<LocationEvent>> + 'a>>;

/// A stream of location events; `None` when the source has ended for good.
pub trait LocationSource {
    fn next_event(&mut self) -> LocationFuture<'_>;
    /// Shown next to the accuracy, so nobody mistakes a demo for a real fix.
    fn is_simulated(&self) -> bool;
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
        }
    }

    pub fn repeating(mut self) -> Self {
        self.repeat = true;
        self
    }

    /// The next event without waiting (tests step through a route with a manual clock).
    pub fn step(&mut self) -> Option<LocationEvent> {
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
            None => LocationEvent::Lost("无卫星信号".into()),
        })
    }
}

impl LocationSource for SimulatedLocation {
    fn next_event(&mut self) -> LocationFuture<'_> {
        Box::pin(async move {
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
