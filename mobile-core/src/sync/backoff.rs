//! Exponential backoff with jitter, so that a township's phones coming back into coverage at
//! the same moment do not all retry in step.

use rand::Rng;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_secs(2), Duration::from_secs(15 * 60))
    }
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max,
            attempt: 0,
        }
    }

    /// Failures since the last success.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The ceiling of the next wait: base × 2^attempt, capped.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(30)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The wait before the next try: uniformly between half the ceiling and the ceiling
    /// ("equal jitter": spread out, yet never a near-zero hammering retry).
    pub fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let half = ceiling / 2;
        let spread = (ceiling - half).as_millis() as u64;
        half + Duration::from_millis(rng.gen_range(0..=spread))
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn waits_grow_exponentially_with_jitter_up_to_the_cap() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let mut seen = Vec::new();
        for n in 0..10 {
            let ceiling = Duration::from_secs(1 << n).min(Duration::from_secs(60));
            let d = b.next_delay(&mut rng);
            assert!(d >= ceiling / 2 && d <= ceiling, "attempt {n}: {d:?}");
            seen.push(d);
        }
        assert!(seen.windows(2).any(|w| w[0] != w[1]));
        b.reset();
        assert!(b.next_delay(&mut rng) <= Duration::from_secs(1));
    }

    #[test]
    fn two_phones_do_not_retry_in_step() {
        let mut a = Backoff::default();
        let mut b = Backoff::default();
        let mut ra = rand::rngs::StdRng::seed_from_u64(1);
        let mut rb = rand::rngs::StdRng::seed_from_u64(2);
        let same = (0..6)
            .filter(|_| a.next_delay(&mut ra) == b.next_delay(&mut rb))
            .count();
        assert!(same < 6);
    }
}
