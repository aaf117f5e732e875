//! What evaluations keep in memory between requests, each piece exact by construction:
//! - [`RecordHistory`]: each person's records other than fixes from an evaluation's window
//!   start to its raw days (the part day facts do not stand for), parsed. Such records are old
//!   by then and rarely added to; a push that brings one (a record captured before the month it
//!   arrives in) renews the person's mark in the database within the push's transaction
//!   (`history_marks`), and a kept entry is used only while the mark it was read under holds,
//!   so a late sync, on this server or another sharing the database, is always read.
//! - [`FactsHistory`]: each person's day facts before an evaluation's raw days, under the same
//!   mark: writing the facts of a day before the month they are written in renews it, in the
//!   same transaction.
//! - [`FileFacts`]: what the server read from each picture, by SHA-256: a file's facts are
//!   derived from its content and stored once, never changed.
//!
//! All are bounded (least recently used out first), so that no reader can grow them without
//! limit; a push's re-evaluation then reads a month's records, not a year's.

use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use zhucun_shared::day_facts::DayFacts;
use zhucun_shared::ids::PersonId;
use zhucun_shared::plausibility::PhotoFacts;
use zhucun_shared::record::DeviceRecord;

/// A person's records over [window start, raw start).
pub type HistoryKey = (PersonId, DateTime<Utc>, DateTime<Utc>);

/// Each person's parsed records before an evaluation's raw days, while their mark holds.
pub type RecordHistory = MarkedMemory<HistoryKey, DeviceRecord>;

/// Each person's kept day facts before a day (with the basis each was folded on), while their
/// mark holds: the facts of a day before the month they are written in renew it
/// ([`crate::store::renews_history_day`]).
pub type FactsHistory = MarkedMemory<(PersonId, NaiveDate), (DayFacts, String)>;

struct Entry<T> {
    mark: Option<String>,
    items: Arc<Vec<T>>,
    used: u64,
}

impl<T> Entry<T> {
    /// What an entry weighs against the budget: its items, and itself.
    fn weight(&self) -> usize {
        self.items.len() + 1
    }
}

struct Held<K, T> {
    entries: HashMap<K, Entry<T>>,
    /// The entries by last use, oldest first.
    by_use: BTreeMap<u64, K>,
    weight: usize,
}

impl<K: Copy + Eq + Hash, T> Held<K, T> {
    fn remove(&mut self, key: &K) {
        if let Some(e) = self.entries.remove(key) {
            self.by_use.remove(&e.used);
            self.weight -= e.weight();
        }
    }
}

/// What was read of a person's past, kept while the person's history mark holds.
pub struct MarkedMemory<K, T> {
    held: Mutex<Held<K, T>>,
    /// At most this many items (and entries) held, all entries together.
    budget: usize,
    tick: AtomicU64,
}

impl<K: Copy + Eq + Hash, T> MarkedMemory<K, T> {
    pub fn new(budget: usize) -> Self {
        Self {
            held: Mutex::new(Held {
                entries: HashMap::new(),
                by_use: BTreeMap::new(),
                weight: 0,
            }),
            budget,
            tick: AtomicU64::new(0),
        }
    }

    /// The items kept for `key` when they were read under `mark` (the person's mark now).
    pub fn get(&self, key: &K, mark: Option<&str>) -> Option<Arc<Vec<T>>> {
        let mut held = self.held.lock().expect("not poisoned");
        let e = held.entries.get(key)?;
        if e.mark.as_deref() != mark {
            held.remove(key);
            return None;
        }
        let (old, items) = (e.used, e.items.clone());
        let used = self.tick.fetch_add(1, Ordering::Relaxed);
        held.by_use.remove(&old);
        held.by_use.insert(used, *key);
        if let Some(e) = held.entries.get_mut(key) {
            e.used = used;
        }
        Some(items)
    }

    /// Keeps `items`, read after the person's mark was read as `mark`; the least recently
    /// used entries go first when over budget (an entry larger than the budget is not kept).
    pub fn put(&self, key: K, mark: Option<String>, items: Arc<Vec<T>>) {
        if items.len() >= self.budget {
            return;
        }
        let mut held = self.held.lock().expect("not poisoned");
        held.remove(&key);
        let used = self.tick.fetch_add(1, Ordering::Relaxed);
        let e = Entry { mark, items, used };
        held.weight += e.weight();
        held.by_use.insert(used, key);
        held.entries.insert(key, e);
        while held.weight > self.budget {
            let Some((_, oldest)) = held.by_use.pop_first() else {
                break;
            };
            if let Some(e) = held.entries.remove(&oldest) {
                held.weight -= e.weight();
            }
        }
    }

    /// How many items are held.
    pub fn held(&self) -> usize {
        let held = self.held.lock().expect("not poisoned");
        held.entries.values().map(|e| e.items.len()).sum()
    }
}

/// Each picture's facts, by SHA-256, for the files the server holds.
pub struct FileFacts {
    facts: Mutex<HashMap<String, (PhotoFacts, u64)>>,
    budget: usize,
    tick: AtomicU64,
}

impl FileFacts {
    pub fn new(budget: usize) -> Self {
        Self {
            facts: Mutex::new(HashMap::new()),
            budget,
            tick: AtomicU64::new(0),
        }
    }

    /// The facts of those of `shas` kept; the others are to be read.
    pub fn get(&self, shas: &[String]) -> (HashMap<String, PhotoFacts>, Vec<String>) {
        let mut facts = self.facts.lock().expect("not poisoned");
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        for sha in shas {
            match facts.get_mut(sha) {
                Some((f, used)) => {
                    *used = self.tick.fetch_add(1, Ordering::Relaxed);
                    found.insert(sha.clone(), f.clone());
                }
                None => missing.push(sha.clone()),
            }
        }
        (found, missing)
    }

    /// Keeps facts read from the store (only files it holds: one not uploaded yet may be later).
    pub fn put(&self, read: &HashMap<String, PhotoFacts>) {
        let mut facts = self.facts.lock().expect("not poisoned");
        for (sha, f) in read {
            let used = self.tick.fetch_add(1, Ordering::Relaxed);
            facts.insert(sha.clone(), (f.clone(), used));
        }
        if facts.len() > self.budget {
            // Least recently used out, down to three quarters of the budget at once.
            let mut by_use: Vec<(u64, String)> =
                facts.iter().map(|(s, (_, u))| (*u, s.clone())).collect();
            by_use.sort_unstable();
            let drop = facts.len() - self.budget * 3 / 4;
            for (_, sha) in by_use.into_iter().take(drop) {
                facts.remove(&sha);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn key(n: i64) -> HistoryKey {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        (PERSON, t, t + chrono::Duration::days(n))
    }

    const PERSON: PersonId = PersonId::from_u128(7);

    #[test]
    fn an_entry_holds_only_under_the_mark_it_was_read_with() {
        let h = RecordHistory::new(10);
        h.put(key(1), Some("a".into()), Arc::new(Vec::new()));
        assert!(h.get(&key(1), Some("a")).is_some());
        assert!(h.get(&key(1), Some("b")).is_none(), "a renewed mark");
        assert!(h.get(&key(1), Some("a")).is_none(), "dropped once stale");
        h.put(key(2), None, Arc::new(Vec::new()));
        assert!(h.get(&key(2), None).is_some());
        assert!(h.get(&key(2), Some("a")).is_none(), "a first mark");
    }

    #[test]
    fn the_least_recently_used_go_first_past_the_budget() {
        let records = |n: usize| {
            let mut rec =
                zhucun_shared::synth::Recorder::new(PERSON, zhucun_shared::ids::DeviceId::new());
            let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
            let pos = zhucun_shared::org::LatLon {
                lat: 25.0,
                lon: 110.0,
            };
            Arc::new((0..n).map(|_| rec.fix(at, pos, 10.0)).collect::<Vec<_>>())
        };
        let h = RecordHistory::new(10);
        h.put(key(1), None, records(4));
        h.put(key(2), None, records(4));
        assert!(h.get(&key(1), None).is_some());
        h.put(key(3), None, records(4));
        assert!(h.get(&key(2), None).is_none(), "the least recently used");
        assert!(h.get(&key(1), None).is_some());
        assert!(h.held() <= 10);
        h.put(key(4), None, records(11));
        assert!(h.get(&key(4), None).is_none(), "larger than the budget");
    }
}
