//! The county's people: thirty in all nine roles, each with a login, posted from the first of
//! last month — the county office, a supervisor, two liaison leaders over clusters of villages,
//! an agricultural technician, and a team of five in every village, three of them paired with
//! poor households.

use super::places::{Places, GIVEN, SURNAMES};
use super::{DemoError, DemoLogin, DEMO_PASSWORD};
use crate::auth::hash_password;
use crate::store::{Org, Store, UserRow};
use chrono::{DateTime, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use zhucun_shared::ids::{AssignmentId, HouseholdId, PairingId, PersonId};
use zhucun_shared::org::{Assignment, HouseholdCategory, Pairing, Person, Village};
use zhucun_shared::role::Role;

/// Who does what in a village's team.
pub(super) struct Team {
    pub leader: PersonId,
    pub secretary: PersonId,
    pub member: PersonId,
    pub assistant: PersonId,
    pub pairing: PersonId,
}

/// A liaison leader (联片领导) and how they work.
pub(super) struct Liaison {
    pub id: PersonId,
    /// The villages of their cluster, by index.
    pub cluster: Vec<usize>,
    /// The share of working days they spend there.
    pub rate: f64,
    /// Days after the first of this month they file last month's ledger.
    pub files_ledger_after: i64,
}

/// The people with work to record, by what they do.
pub(super) struct Staff {
    pub supervisor: PersonId,
    pub liaisons: Vec<Liaison>,
    pub agri: PersonId,
    /// One team per village, in the villages' order.
    pub teams: Vec<Team>,
}

/// The township's directory (places, people, postings, pairings), the logins in the order
/// of its people, and who does what.
pub(super) struct County {
    pub org: Org,
    pub logins: Vec<DemoLogin>,
    pub staff: Staff,
}

/// Writes people into the directory with their postings and logins.
struct Roster {
    org: Org,
    logins: Vec<DemoLogin>,
    posted: NaiveDate,
    /// Team members named so far: spreads the given names.
    named: usize,
}

impl Roster {
    fn add(
        &mut self,
        username: &str,
        name: String,
        posts: &[(Role, Option<&Village>)],
    ) -> PersonId {
        let id = PersonId::new();
        let township_id = self.org.townships[0].id;
        self.org.people.push(Person {
            id,
            name: name.clone(),
            township_id,
            unit_id: None,
        });
        for (role, village) in posts {
            self.org.assignments.push(Assignment {
                id: AssignmentId::new(),
                person_id: id,
                role: *role,
                village_id: village.map(|v| v.id),
                township_id,
                starts_on: self.posted,
                ends_on: None,
            });
        }
        self.logins.push(DemoLogin {
            username: username.into(),
            name,
            role: posts[0].0,
            village: posts[0].1.map(|v| v.name.clone()),
        });
        id
    }

    fn team_member_name(&mut self, rng: &mut StdRng) -> String {
        self.named += 1;
        format!(
            "{}{}",
            SURNAMES[rng.gen_range(0..SURNAMES.len())],
            GIVEN[(self.named * 7 + rng.gen_range(0..3)) % GIVEN.len()]
        )
    }

    /// A village's team of five, numbered `n` in their usernames.
    fn team(&mut self, rng: &mut StdRng, n: usize, v: &Village) -> Team {
        use Role::*;
        let mut member = |roster: &mut Self, username: &str, posts: &[(Role, Option<&Village>)]| {
            let name = roster.team_member_name(rng);
            roster.add(&format!("{username}{n}"), name, posts)
        };
        let team = Team {
            leader: member(
                self,
                "duizhang",
                &[(TeamLeader, Some(v)), (PairingCadre, Some(v))],
            ),
            secretary: member(
                self,
                "shuji",
                &[(FirstSecretary, Some(v)), (PairingCadre, Some(v))],
            ),
            member: member(self, "duiyuan", &[(ResidentMember, Some(v))]),
            assistant: member(self, "xiezhu", &[(AssistingCadre, Some(v))]),
            pairing: member(self, "bangfu", &[(PairingCadre, Some(v))]),
        };
        self.pair(&team, v);
        team
    }

    /// The team leader, first secretary and pairing cadre each with four or five of the
    /// village's poor households.
    fn pair(&mut self, team: &Team, v: &Village) {
        let poor: Vec<HouseholdId> = self
            .org
            .households
            .iter()
            .filter(|h| h.village_id == v.id && h.has(HouseholdCategory::Poor))
            .map(|h| h.id)
            .collect();
        for (k, p) in [team.leader, team.secretary, team.pairing]
            .into_iter()
            .enumerate()
        {
            for h in poor.iter().skip(k * 5).take(4 + k % 2) {
                self.org.pairings.push(Pairing {
                    id: PairingId::new(),
                    person_id: p,
                    household_id: *h,
                    starts_on: self.posted,
                    ends_on: None,
                });
            }
        }
    }
}

/// Everyone in the township, posted on `posted`.
pub(super) fn county(rng: &mut StdRng, places: &Places, posted: NaiveDate) -> County {
    use Role::*;
    let villages = &places.villages;
    let mut roster = Roster {
        org: Org {
            townships: vec![places.township.clone()],
            villages: places.villages.clone(),
            households: places.households.clone(),
            ..Org::default()
        },
        logins: Vec::new(),
        posted,
        named: 0,
    };
    let v = |i: usize| Some(&villages[i]);
    roster.add("admin", "刘建华".into(), &[(Admin, None)]);
    let supervisor = roster.add("jiancha", "陈志强".into(), &[(Supervisor, None)]);
    let cluster1 = [
        (LiaisonLeader, v(0)),
        (LiaisonLeader, v(1)),
        (LiaisonLeader, v(2)),
    ];
    let liaison1 = roster.add("lianpian1", "王国庆".into(), &cluster1);
    let cluster2 = [(LiaisonLeader, v(3)), (LiaisonLeader, v(4))];
    let liaison2 = roster.add("lianpian2", "李卫东".into(), &cluster2);
    let agri = roster.add(
        "nongji",
        "赵丰收".into(),
        &[(AgriTech, v(0)), (AgriTech, v(1))],
    );
    let teams = villages
        .iter()
        .enumerate()
        .map(|(i, village)| roster.team(rng, i + 1, village))
        .collect();
    County {
        org: roster.org,
        logins: roster.logins,
        staff: Staff {
            supervisor,
            liaisons: vec![
                Liaison {
                    id: liaison1,
                    cluster: vec![0, 1, 2],
                    rate: 0.75,
                    files_ledger_after: 2,
                },
                Liaison {
                    id: liaison2,
                    cluster: vec![3, 4],
                    rate: 0.15,
                    files_ledger_after: 8,
                },
            ],
            agri,
            teams,
        },
    }
}

/// Stores the directory and an account for each person, all with the demo password.
pub(super) async fn accounts<S: Store>(
    store: &S,
    county: &County,
    now: DateTime<Utc>,
) -> Result<(), DemoError> {
    // At the server's default cost: a wrong password takes as long to refuse for a demo
    // account as for any other, or for none.
    let cost = crate::Config::default();
    let password_hash = hash_password(
        DEMO_PASSWORD,
        cost.argon2_memory_kib,
        cost.argon2_iterations,
    )
    .map_err(|e| DemoError::Password(e.to_string()))?;
    store.put_org(&county.org).await?;
    for (person, login) in county.org.people.iter().zip(&county.logins) {
        store
            .create_user(&UserRow {
                person_id: person.id,
                username: login.username.clone(),
                password_hash: password_hash.clone(),
                disabled: false,
                created_at: now,
            })
            .await?;
    }
    Ok(())
}

/// A township's people for benchmarks at scale: the county office, a supervisor and a
/// technician (in the first two villages), a team of five in every village as in the demo,
/// and a liaison leader over every three villages; all posted on `posted`. Usernames number
/// the teams and liaison leaders from 1.
pub(super) fn many(rng: &mut StdRng, places: &Places, posted: NaiveDate) -> County {
    use Role::*;
    let villages = &places.villages;
    let mut roster = Roster {
        org: Org {
            townships: vec![places.township.clone()],
            villages: places.villages.clone(),
            households: places.households.clone(),
            ..Org::default()
        },
        logins: Vec::new(),
        posted,
        named: 0,
    };
    roster.add("admin", "刘建华".into(), &[(Admin, None)]);
    let supervisor = roster.add("jiancha", "陈志强".into(), &[(Supervisor, None)]);
    let tech: Vec<(Role, Option<&Village>)> = villages
        .iter()
        .take(2)
        .map(|v| (AgriTech, Some(v)))
        .collect();
    let agri = roster.add("nongji", "赵丰收".into(), &tech);
    let mut liaisons = Vec::new();
    for (n, start) in (0..villages.len()).step_by(3).enumerate() {
        let cluster: Vec<usize> = (start..(start + 3).min(villages.len())).collect();
        let posts: Vec<(Role, Option<&Village>)> = cluster
            .iter()
            .map(|i| (LiaisonLeader, Some(&villages[*i])))
            .collect();
        let name = super::places::random_name(rng);
        let id = roster.add(&format!("lianpian{}", n + 1), name, &posts);
        liaisons.push(Liaison {
            id,
            cluster,
            rate: if n % 2 == 0 { 0.75 } else { 0.15 },
            files_ledger_after: if n % 2 == 0 { 2 } else { 8 },
        });
    }
    let teams = villages
        .iter()
        .enumerate()
        .map(|(i, village)| roster.team(rng, i + 1, village))
        .collect();
    County {
        org: roster.org,
        logins: roster.logins,
        staff: Staff {
            supervisor,
            liaisons,
            agri,
            teams,
        },
    }
}
