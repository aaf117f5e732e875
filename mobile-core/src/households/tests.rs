use super::*;
use crate::demo;
use crate::store::Reference;
use chrono::{DateTime, NaiveDate, Utc};
use zhucun_shared::ids::RecordId;
use zhucun_shared::period::Period;

fn now() -> DateTime<Utc> {
    "2026-11-16T02:00:00Z".parse().unwrap()
}

fn reference(households: Vec<Household>) -> Reference {
    let mut pull = demo::pull(now());
    pull.org.households = households;
    of_pull(pull)
}

fn of_pull(pull: zhucun_shared::sync::PullResponse) -> Reference {
    Reference {
        me: pull.me,
        org: pull.org,
        ..Reference::default()
    }
}

fn visit(household: HouseholdId, retracted: bool) -> VisitRow {
    VisitRow {
        check_in_id: RecordId::new(),
        household_id: household,
        started_at: now(),
        fix: None,
        accuracy_m: None,
        ended_at: Some(now()),
        photos: 1,
        notes: Vec::new(),
        event_id: None,
        retracted,
    }
}

fn list(
    reference: &Reference,
    visits: &[VisitRow],
    events: &[HouseholdId],
    here: Option<LatLon>,
) -> HouseholdList {
    HouseholdList::build(
        reference,
        &ListInputs {
            me: Some(demo::ME),
            village: demo::VILLAGE,
            month: Period::month(2026, 11),
            here,
            visits,
            event_households: events,
        },
    )
}

fn names<'a>(groups: &[HouseholdGroup<'a>]) -> Vec<&'a str> {
    groups
        .iter()
        .flat_map(|g| g.households.iter().map(|h| h.household.head_name.as_str()))
        .collect()
}

fn search(text: &str) -> HouseholdFilter {
    HouseholdFilter {
        text: text.into(),
        only: Only::All,
    }
}

#[test]
fn group_names_sort_as_people_count_them() {
    let mut names = vec![
        "十组",
        "未分组",
        "二组",
        "第三组",
        "10组",
        "2组",
        "东片",
        "十二组",
        "一组",
    ];
    names.sort_by_key(|n| group_key(n));
    assert_eq!(
        names,
        vec![
            "一组",
            "2组",
            "二组",
            "第三组",
            "10组",
            "十组",
            "十二组",
            "东片",
            "未分组"
        ]
    );
    assert_eq!(leading_number("二十三组"), Some(23));
    assert_eq!(leading_number("百家组"), Some(100));
    assert_eq!(leading_number("东片"), None);
}

#[test]
fn households_are_grouped_by_their_villager_group_and_searched_by_head_or_group() {
    let mut homes = demo::village_households(40);
    homes[0].group = None;
    let r = reference(homes.clone());
    let l = list(&r, &[], &[], None);
    let groups = l.grouped(&HouseholdFilter::default());
    let order: Vec<&str> = groups.iter().map(|g| g.name).collect();
    assert_eq!(order.first(), Some(&"一组"));
    assert_eq!(order.last(), Some(&UNGROUPED));
    assert_eq!(groups.iter().map(|g| g.total).sum::<usize>(), homes.len());
    // Every household of a group is in it, and only those.
    for g in &groups {
        assert!(g.households.iter().all(|h| h.group() == g.name));
    }

    // By 户主: part of a name.
    let wang = &homes[1].head_name;
    let found = names(&l.grouped(&search(&wang[..3])));
    assert!(found.contains(&wang.as_str()), "{found:?}");
    assert!(found.iter().all(|n| n.starts_with(&wang[..3])), "{found:?}");

    // By 村民小组, and both words at once.
    let three = l.grouped(&search("三组"));
    assert_eq!(three.len(), 1);
    assert_eq!(three[0].name, "三组");
    assert_eq!(three[0].households.len(), three[0].total);
    let first_of_three = three[0].households[0].household.head_name.clone();
    let both = names(&l.grouped(&search(&format!("{} 三组", &first_of_three[..3]))));
    assert!(both.contains(&first_of_three.as_str()));
    assert!(l.grouped(&search("无此人")).is_empty());
    assert_eq!(l.count_matching(&search("")), homes.len());
}

#[test]
fn marks_say_paired_required_and_visited_this_month() {
    let homes = demo::households();
    let r = reference(homes.clone());
    // The demo pairs the first five households with me.
    let plain = homes
        .iter()
        .skip(5)
        .find(|h| !h.categories.iter().any(|c| c.is_must_visit()))
        .expect("a household neither paired nor of a must-visit category");
    let category = homes
        .iter()
        .skip(5)
        .find(|h| h.categories.iter().any(|c| c.is_must_visit()))
        .expect("a must-visit household not paired");
    let visits = [visit(homes[0].id, false), visit(homes[1].id, true)];
    let l = list(&r, &visits, &[plain.id], None);
    let by_id = |id: HouseholdId| {
        l.households
            .iter()
            .find(|h| h.household.id == id)
            .unwrap()
            .clone()
    };
    let first = by_id(homes[0].id);
    assert!(first.paired && first.visited && !first.is_due());
    assert_eq!(first.must_visit[0], MustVisit::Paired);
    // A withdrawn visit is no visit.
    let second = by_id(homes[1].id);
    assert!(second.paired && !second.visited && second.is_due());
    // A 四必到 event makes a household required whatever its categories.
    assert_eq!(by_id(plain.id).must_visit, vec![MustVisit::Event]);
    assert_eq!(by_id(category.id).must_visit, vec![MustVisit::Category]);
    assert!(!by_id(category.id).paired);

    let counts = l.counts();
    assert_eq!(counts.total, homes.len());
    assert_eq!(counts.paired, 5);
    assert_eq!(counts.visited, 1);
    assert_eq!(counts.due, counts.must_visit - 1);

    let due = names(&l.grouped(&HouseholdFilter {
        text: String::new(),
        only: Only::Due,
    }));
    assert_eq!(due.len(), counts.due);
    assert!(!due.contains(&homes[0].head_name.as_str()));
    assert!(due.contains(&homes[1].head_name.as_str()));
    assert!(due.contains(&plain.head_name.as_str()));
    let not_visited = l.count_matching(&HouseholdFilter {
        text: String::new(),
        only: Only::NotVisited,
    });
    assert_eq!(not_visited, homes.len() - 1);
}

#[test]
fn within_a_group_the_nearest_comes_first() {
    let homes = demo::village_households(60);
    let r = reference(homes.clone());
    let here = homes[20].location;
    let l = list(&r, &[], &[], Some(here));
    let groups = l.grouped(&HouseholdFilter::default());
    let g = groups
        .iter()
        .find(|g| g.name == homes[20].group.as_deref().unwrap())
        .unwrap();
    assert_eq!(g.households[0].household.id, homes[20].id);
    for w in g.households.windows(2) {
        assert!(w[0].distance_m.unwrap() <= w[1].distance_m.unwrap());
    }
}

/// A list built without a fix and placed on one is the list built with it: the phone builds
/// the list once and places it on every fix.
#[test]
fn a_list_placed_on_a_fix_is_the_list_built_with_it() {
    let homes = demo::village_households(60);
    let r = reference(homes.clone());
    let visits = [visit(homes[3].id, false), visit(homes[7].id, true)];
    let events = [homes[11].id];
    let unplaced = list(&r, &visits, &events, None);
    for here in [homes[20].location, homes[41].location] {
        assert_eq!(
            unplaced.located(Some(here)),
            list(&r, &visits, &events, Some(here))
        );
    }
    assert_eq!(
        unplaced.located(Some(homes[20].location)).located(None),
        unplaced
    );
}

#[test]
fn a_pairing_ended_before_the_month_is_no_mark() {
    let homes = demo::households();
    let mut pull = demo::pull(now());
    pull.org.households = homes.clone();
    pull.org.pairings[0].ends_on = NaiveDate::from_ymd_opt(2026, 10, 31);
    let r = of_pull(pull);
    let l = list(&r, &[], &[], None);
    let first = l
        .households
        .iter()
        .find(|h| h.household.id == homes[0].id)
        .unwrap();
    assert!(!first.paired);
    assert_eq!(
        first.is_must_visit(),
        homes[0].categories.iter().any(|c| c.is_must_visit())
    );
}

/// Five hundred households filtered on every key press: the time is printed against a plain
/// scan of the names in the same run (the benchmark `mobile` reports it too).
#[test]
fn five_hundred_households_filter_in_about_a_plain_scans_time() {
    let homes = demo::village_households(500 - demo::households().len());
    assert_eq!(homes.len(), 500);
    let r = reference(homes.clone());
    let build = std::time::Instant::now();
    let l = list(&r, &[], &[], Some(demo::village_centre()));
    let build = build.elapsed();
    let rounds = 200;
    let t = std::time::Instant::now();
    let mut found = 0;
    for i in 0..rounds {
        found += l
            .grouped(&search(["王", "三组", "李 五组", "德"][i % 4]))
            .len();
    }
    let ours = t.elapsed();
    let t = std::time::Instant::now();
    let mut plain = 0;
    for i in 0..rounds {
        let w = ["王", "三组", "李", "德"][i % 4];
        plain += homes.iter().filter(|h| h.head_name.contains(w)).count();
    }
    let baseline = t.elapsed();
    assert!(found > 0 && plain > 0);
    println!(
        "500 households: build {:?}; filter+group {:?}/key press, plain name scan {:?} (ratio {:.1})",
        build,
        ours / rounds as u32,
        baseline / rounds as u32,
        ours.as_secs_f64() / baseline.as_secs_f64().max(1e-9)
    );
}
