//! 农户列表 at village scale: a village's hundreds of households with what the cadre needs to
//! pick the next door — 结对 (paired with me), 必访 (required of me this month) and 本月已访
//! (visited this month) — searched by 户主 or 村民小组 and grouped by 村民小组.
//!
//! Pure: the screens build a [`HouseholdList`] when the month's visits or the pull change,
//! place it on each fix ([`HouseholdList::located`]) and filter it on every key press, so
//! neither a fix nor a key press touches the store.

use crate::store::{Reference, VisitRow};
use std::collections::HashSet;
use zhucun_shared::geometry::distance_m;
use zhucun_shared::ids::{HouseholdId, PersonId, VillageId};
use zhucun_shared::org::{Household, LatLon};
use zhucun_shared::period::Period;

/// Why a household is required of me this month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MustVisit {
    /// 四必到: an event recorded at the household this month.
    Event,
    /// 结对帮扶: the household is paired with me.
    Paired,
    /// 四必访 (the catalogue's must-visit categories): every such household every month.
    Category,
}

impl MustVisit {
    pub fn label_zh(self) -> &'static str {
        match self {
            MustVisit::Event => "四必到",
            MustVisit::Paired => "结对",
            MustVisit::Category => "四必访",
        }
    }
}

/// One household as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedHousehold {
    pub household: Household,
    /// From the latest fix, when there is one.
    pub distance_m: Option<f64>,
    pub paired: bool,
    /// Why it is required of me this month, most pressing first; empty: not required.
    pub must_visit: Vec<MustVisit>,
    /// Visited by me this month (a visit not withdrawn).
    pub visited: bool,
    /// Lower-cased 户主, 村民小组 and category labels, searched by [`HouseholdFilter`].
    haystack: String,
}

impl ListedHousehold {
    pub fn is_must_visit(&self) -> bool {
        !self.must_visit.is_empty()
    }
    /// Required of me this month and not visited yet.
    pub fn is_due(&self) -> bool {
        self.is_must_visit() && !self.visited
    }
    /// The 村民小组, or 未分组.
    pub fn group(&self) -> &str {
        self.household.group.as_deref().unwrap_or(UNGROUPED)
    }
}

/// The group of households without a 村民小组.
pub const UNGROUPED: &str = "未分组";

/// Which households to show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Only {
    #[default]
    All,
    /// 必访未访: required this month, not visited yet.
    Due,
    /// 结对户
    Paired,
    /// 本月未访
    NotVisited,
}

impl Only {
    pub const ALL: [Only; 4] = [Only::All, Only::Due, Only::Paired, Only::NotVisited];

    pub fn label_zh(self) -> &'static str {
        match self {
            Only::All => "全部",
            Only::Due => "必访未访",
            Only::Paired => "结对户",
            Only::NotVisited => "本月未访",
        }
    }
}

/// What the cadre typed and chose.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HouseholdFilter {
    /// Part of a 户主's name, a 村民小组 (一组, 3组) or a category; blank: everything.
    pub text: String,
    pub only: Only,
}

impl HouseholdFilter {
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.only == Only::All
    }

    /// Whether `h` passes. Several words must all match (王 三组: the 王 households of 三组).
    pub fn matches(&self, h: &ListedHousehold) -> bool {
        let kept = match self.only {
            Only::All => true,
            Only::Due => h.is_due(),
            Only::Paired => h.paired,
            Only::NotVisited => !h.visited,
        };
        kept && self
            .text
            .split_whitespace()
            .all(|w| h.haystack.contains(&w.to_lowercase()))
    }
}

/// The village's households with their marks, in list order: by 村民小组, and within one
/// nearest first when there is a fix, else due ones first, then by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HouseholdList {
    pub households: Vec<ListedHousehold>,
}

/// A 村民小组's households that pass a filter.
#[derive(Clone, Debug, PartialEq)]
pub struct HouseholdGroup<'a> {
    pub name: &'a str,
    pub households: Vec<&'a ListedHousehold>,
    /// Of the group's households (filter or not): how many, visited, and due.
    pub total: usize,
    pub visited: usize,
    pub due: usize,
}

/// Counts over the whole list, for the heading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListCounts {
    pub total: usize,
    pub must_visit: usize,
    pub due: usize,
    pub visited: usize,
    pub paired: usize,
}

/// What the list is built from, besides the reference data.
pub struct ListInputs<'a> {
    pub me: Option<PersonId>,
    pub village: VillageId,
    pub month: Period,
    pub here: Option<LatLon>,
    /// My visits of the month (withdrawn ones are skipped).
    pub visits: &'a [VisitRow],
    /// Households with a 四必到 event of mine this month.
    pub event_households: &'a [HouseholdId],
}

/// Orders 村民小组 names as people count them: 二组 before 十组, 2组 before 10组.
fn group_key(name: &str) -> (u8, u32, String) {
    if name == UNGROUPED {
        return (2, 0, String::new());
    }
    match leading_number(name) {
        Some(n) => (0, n, name.to_string()),
        None => (1, 0, name.to_string()),
    }
}

/// The number a group name starts with, in Arabic or Chinese numerals (3组, 十二组, 第三组).
fn leading_number(name: &str) -> Option<u32> {
    let name = name.strip_prefix('第').unwrap_or(name);
    let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
    if !digits.is_empty() {
        return digits.parse().ok();
    }
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c);
    let mut total = 0u32;
    let mut current: Option<u32> = None;
    let mut seen = false;
    for c in name.chars() {
        if let Some(d) = digit(c) {
            current = Some(d as u32);
            seen = true;
        } else if c == '十' {
            total += current.unwrap_or(1) * 10;
            current = None;
            seen = true;
        } else if c == '百' {
            total += current.unwrap_or(1) * 100;
            current = None;
            seen = true;
        } else {
            break;
        }
    }
    seen.then(|| total + current.unwrap_or(0))
}

impl HouseholdList {
    pub fn build(reference: &Reference, inputs: &ListInputs<'_>) -> HouseholdList {
        let (first, last) = (inputs.month.first_day(), inputs.month.last_day());
        let paired = inputs
            .me
            .map(|p| reference.org.paired(p, first, last))
            .unwrap_or_default();
        let visited: HashSet<HouseholdId> = inputs
            .visits
            .iter()
            .filter(|v| !v.retracted)
            .map(|v| v.household_id)
            .collect();
        let events: HashSet<HouseholdId> = inputs.event_households.iter().copied().collect();
        let households: Vec<ListedHousehold> = reference
            .org
            .households_of(inputs.village)
            .map(|h| {
                let is_paired = paired.contains(&h.id);
                let mut must_visit = Vec::new();
                if events.contains(&h.id) {
                    must_visit.push(MustVisit::Event);
                }
                if is_paired {
                    must_visit.push(MustVisit::Paired);
                }
                if h.categories.iter().any(|c| c.is_must_visit()) {
                    must_visit.push(MustVisit::Category);
                }
                let mut haystack = h.head_name.to_lowercase();
                if let Some(g) = &h.group {
                    haystack.push(' ');
                    haystack.push_str(&g.to_lowercase());
                }
                for c in &h.categories {
                    haystack.push(' ');
                    haystack.push_str(c.label_zh());
                }
                ListedHousehold {
                    distance_m: inputs.here.map(|p| distance_m(p, h.location)),
                    paired: is_paired,
                    must_visit,
                    visited: visited.contains(&h.id),
                    household: h.clone(),
                    haystack,
                }
            })
            .collect();
        let mut list = HouseholdList { households };
        list.sort();
        list
    }

    /// The same list with distances from `here` (the latest fix, or none), in list order. The
    /// marks are kept: a fix moves the cadre, not the month's visits, so the screens build the
    /// list once per pull or visit and place it again on every fix, which costs a sort.
    pub fn located(&self, here: Option<LatLon>) -> HouseholdList {
        let mut list = self.clone();
        for h in &mut list.households {
            h.distance_m = here.map(|p| distance_m(p, h.household.location));
        }
        list.sort();
        list
    }

    /// List order: by 村民小组, and within one nearest first when there is a fix, else due
    /// ones first, then by name.
    fn sort(&mut self) {
        self.households.sort_by(|a, b| {
            let by_group = group_key(a.group()).cmp(&group_key(b.group()));
            let by_distance = match (a.distance_m, b.distance_m) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => std::cmp::Ordering::Equal,
            };
            by_group
                .then(by_distance)
                .then_with(|| b.is_due().cmp(&a.is_due()))
                .then_with(|| a.household.head_name.cmp(&b.household.head_name))
        });
    }

    pub fn counts(&self) -> ListCounts {
        let mut c = ListCounts {
            total: self.households.len(),
            ..ListCounts::default()
        };
        for h in &self.households {
            c.must_visit += h.is_must_visit() as usize;
            c.due += h.is_due() as usize;
            c.visited += h.visited as usize;
            c.paired += h.paired as usize;
        }
        c
    }

    /// The households passing `filter`, by 村民小组 in list order; a group none of whose
    /// households pass is left out.
    pub fn grouped(&self, filter: &HouseholdFilter) -> Vec<HouseholdGroup<'_>> {
        let mut out: Vec<HouseholdGroup<'_>> = Vec::new();
        for h in &self.households {
            // The list is sorted by group: a new name starts a new group.
            if out.last().is_none_or(|g| g.name != h.group()) {
                out.push(HouseholdGroup {
                    name: h.group(),
                    households: Vec::new(),
                    total: 0,
                    visited: 0,
                    due: 0,
                });
            }
            let g = out.last_mut().expect("pushed above");
            g.total += 1;
            g.visited += h.visited as usize;
            g.due += h.is_due() as usize;
            if filter.matches(h) {
                g.households.push(h);
            }
        }
        out.retain(|g| !g.households.is_empty());
        out
    }

    /// How many households pass `filter`.
    pub fn count_matching(&self, filter: &HouseholdFilter) -> usize {
        self.households.iter().filter(|h| filter.matches(h)).count()
    }
}

#[cfg(test)]
mod tests;
