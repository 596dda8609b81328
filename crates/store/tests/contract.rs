//! One contract suite for the `Store` trait, run against SQLite by default and against
//! PostgreSQL with ADUAN_TEST_BACKEND=postgres (which must then be reachable: no skipping).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aduan_domain::calendar::{Calendar, HolidayTable, SHIPPED_HOLIDAYS};
use aduan_domain::lifecycle::{Context, apply, decide};
use aduan_domain::{
    AccessCode, Action, Actor, Change, Channel, Event, Kind, Language, Location, NewCase,
    Organisation, Privacy, Reporter, Role, Scope, State, Ticket, Workflow,
};
use aduan_store::{CaseFilter, CaseRecord, NewCaseRecord, NewUser, SqlStore, Store, StoreError};
use sqlx::Connection;
use time::macros::{datetime, offset};
use time::{Duration, OffsetDateTime};

struct Db {
    store: SqlStore,
    url: String,
    _dir: Option<tempfile::TempDir>,
}

async fn fresh() -> Db {
    if std::env::var("ADUAN_TEST_BACKEND").is_ok_and(|b| b == "postgres") {
        let admin = std::env::var("ADUAN_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes).unwrap();
        let name = format!("aduan_store_{}", hex::encode(bytes));
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        Db {
            store: SqlStore::connect(&url).await.unwrap(),
            url,
            _dir: None,
        }
    } else {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/folder/aduan.db", dir.path().display());
        Db {
            store: SqlStore::connect(&url).await.unwrap(),
            url,
            _dir: Some(dir),
        }
    }
}

fn org() -> Organisation {
    toml::from_str(include_str!("../../../config/organisation.toml")).unwrap()
}

fn calendar() -> Calendar {
    let table: HolidayTable = toml::from_str(SHIPPED_HOLIDAYS).unwrap();
    Calendar::new(offset!(+7), &table)
}

fn new_case(kind: Kind, category: &str, reporter: Reporter) -> NewCase {
    NewCase {
        kind,
        category: category.into(),
        title: "Judul perkara".into(),
        description: "Uraian perkara yang cukup panjang.".into(),
        event_date: None,
        location: Location::default(),
        privacy: Privacy::Public,
        channel: Channel::Web,
        language: Language::Id,
        reporter,
        channel_account: None,
    }
}

async fn create(
    db: &Db,
    kind: Kind,
    category: &str,
    at: OffsetDateTime,
    registered_by: Option<&str>,
) -> CaseRecord {
    let org = org();
    let cal = calendar();
    let case = new_case(
        kind,
        category,
        Reporter {
            name: Some("Budi".into()),
            ..Default::default()
        },
    );
    let workflow = Workflow::received(kind, category.into(), at, &org, &cal);
    let event = Event {
        at,
        actor: "reporter".into(),
        actor_role: "reporter".into(),
        rule: None,
        channel: Some(Channel::Web),
        change: Change::Received {
            channel: Channel::Web,
        },
        due_at: workflow.due_at,
        final_due_at: workflow.final_due_at,
    };
    db.store
        .create_case(NewCaseRecord {
            case: &case,
            workflow: &workflow,
            access_code: &AccessCode::from_random([9; 8]),
            first_event: &event,
            registered_by,
            year: cal.local_date(at).year(),
        })
        .await
        .unwrap()
}

async fn act(
    db: &Db,
    record: &CaseRecord,
    action: Action,
    actor: &Actor,
    now: OffsetDateTime,
) -> CaseRecord {
    let org = org();
    let cal = calendar();
    let ctx = Context {
        now,
        org: &org,
        calendar: &cal,
        ticket: &record.ticket,
        channel: None,
    };
    let events = decide(&record.workflow, &action, actor, &ctx).unwrap();
    let mut after = record.workflow.clone();
    for e in &events {
        apply(&mut after, e);
    }
    db.store.commit(record, &after, &events).await.unwrap()
}

fn coordinator() -> Actor {
    Actor::Staff {
        username: "koordinator".into(),
        role: Role::Coordinator,
        units: vec!["hukmas".into()],
    }
}

const T0: OffsetDateTime = datetime!(2026-03-02 09:00 +7);

#[tokio::test]
async fn tickets_count_per_year_across_kinds() {
    let db = fresh().await;
    let a = create(&db, Kind::Complaint, "rusun", T0, None).await;
    let b = create(&db, Kind::InfoRequest, "informasi_umum", T0, None).await;
    // 31 Dec 2026 20:00 UTC is already 1 Jan 2027 in WIB.
    let c = create(
        &db,
        Kind::Complaint,
        "rusun",
        datetime!(2026-12-31 20:00 UTC),
        None,
    )
    .await;
    assert_eq!(
        [a.ticket.as_str(), b.ticket.as_str(), c.ticket.as_str()],
        ["ADU-2026-000001", "INF-2026-000002", "ADU-2027-000001"]
    );
    let found = db
        .store
        .case(&a.ticket, &Scope::All)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, a);
    assert!(AccessCode::from_random([9; 8]).matches(&a.ticket, &found.access_hash));
    assert_eq!(
        db.store
            .reporter(a.id)
            .await
            .unwrap()
            .unwrap()
            .name
            .as_deref(),
        Some("Budi")
    );
}

#[tokio::test]
async fn commits_append_events_and_detect_conflicts() {
    let db = fresh().await;
    let case = create(&db, Kind::Complaint, "rusun", T0, None).await;
    let verified = act(
        &db,
        &case,
        Action::Verify { category: None },
        &coordinator(),
        T0 + Duration::hours(1),
    )
    .await;
    assert_eq!(verified.workflow.state, State::Verified);
    assert_eq!(verified.last_seq, 2);
    // A second writer holding the old version loses.
    let org = org();
    let cal = calendar();
    let ctx = Context {
        now: T0,
        org: &org,
        calendar: &cal,
        ticket: &case.ticket,
        channel: None,
    };
    let events = decide(
        &case.workflow,
        &Action::Note {
            text: "lama".into(),
        },
        &coordinator(),
        &ctx,
    )
    .unwrap();
    let stale = db.store.commit(&case, &case.workflow, &events).await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    let events = db.store.events(case.id, false).await.unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| e.event.change.code())
            .collect::<Vec<_>>(),
        vec!["received", "verified"]
    );
    let stored = db
        .store
        .case(&case.ticket, &Scope::All)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.workflow, verified.workflow);

    // Events only grow: the database itself refuses to change or delete them.
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    assert!(
        sqlx::query("UPDATE case_events SET actor = 'x'")
            .execute(&mut conn)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM case_events")
            .execute(&mut conn)
            .await
            .is_err()
    );
    assert_eq!(db.store.events(case.id, false).await.unwrap().len(), 2);
}

#[tokio::test]
async fn scopes_are_applied_inside_the_store() {
    let db = fresh().await;
    let rusun = create(&db, Kind::Complaint, "rusun", T0, None).await;
    let swadaya = create(&db, Kind::Complaint, "swadaya", T0, Some("meja")).await;
    let c = coordinator();
    for (record, lead, support) in [
        (&rusun, "rusun", vec!["sistem_strategi".to_string()]),
        (&swadaya, "swadaya", vec![]),
    ] {
        let v = act(&db, record, Action::Verify { category: None }, &c, T0).await;
        act(
            &db,
            &v,
            Action::Dispose {
                lead_unit: lead.into(),
                supporting_units: support,
                instruction: "x".into(),
                due_date: None,
            },
            &c,
            T0,
        )
        .await;
    }
    let filter = CaseFilter {
        limit: 50,
        ..Default::default()
    };
    let tickets = |rows: Vec<aduan_store::CaseSummary>| {
        rows.into_iter().map(|r| r.ticket).collect::<Vec<Ticket>>()
    };
    let units = |u: &[&str]| Scope::Units(u.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        tickets(
            db.store
                .list_cases(&units(&["rusun"]), &filter)
                .await
                .unwrap()
        ),
        vec![rusun.ticket.clone()]
    );
    assert_eq!(
        tickets(
            db.store
                .list_cases(&units(&["sistem_strategi"]), &filter)
                .await
                .unwrap()
        ),
        vec![rusun.ticket.clone()]
    );
    assert_eq!(
        tickets(
            db.store
                .list_cases(&units(&["kepatuhan_intern"]), &filter)
                .await
                .unwrap()
        ),
        vec![]
    );
    assert_eq!(
        tickets(db.store.list_cases(&units(&[]), &filter).await.unwrap()),
        vec![]
    );
    assert_eq!(
        tickets(db.store.list_cases(&Scope::Nothing, &filter).await.unwrap()),
        vec![]
    );
    assert_eq!(
        tickets(
            db.store
                .list_cases(&Scope::RegisteredBy("meja".into()), &filter)
                .await
                .unwrap()
        ),
        vec![swadaya.ticket.clone()]
    );
    assert_eq!(
        db.store
            .list_cases(&Scope::All, &filter)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        db.store
            .case(&swadaya.ticket, &units(&["rusun"]))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.store
            .case(&swadaya.ticket, &units(&["swadaya"]))
            .await
            .unwrap()
            .is_some()
    );
    // Filtering by another unit cannot widen the scope.
    let other = CaseFilter {
        unit: Some("swadaya".into()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        tickets(
            db.store
                .list_cases(&units(&["rusun"]), &other)
                .await
                .unwrap()
        ),
        vec![]
    );
}

#[tokio::test]
async fn list_filters_overdue_and_keyset_pages() {
    let db = fresh().await;
    let mut tickets = Vec::new();
    for day in 0..5 {
        tickets.push(
            create(
                &db,
                Kind::Complaint,
                "rusun",
                T0 + Duration::days(day),
                None,
            )
            .await
            .ticket,
        );
    }
    let page = |before_id: Option<i64>| CaseFilter {
        before_id,
        limit: 2,
        ..Default::default()
    };
    let first = db.store.list_cases(&Scope::All, &page(None)).await.unwrap();
    assert_eq!(
        first.iter().map(|r| r.ticket.clone()).collect::<Vec<_>>(),
        vec![tickets[4].clone(), tickets[3].clone()]
    );
    let second = db
        .store
        .list_cases(&Scope::All, &page(Some(first[1].id)))
        .await
        .unwrap();
    assert_eq!(
        second.iter().map(|r| r.ticket.clone()).collect::<Vec<_>>(),
        vec![tickets[2].clone(), tickets[1].clone()]
    );
    // Received Mon 2 and Tue 3 Mar: due at the end of Thu 5 and Fri 6 Mar; overdue on Sat 7 Mar.
    let overdue = CaseFilter {
        overdue_at: Some(datetime!(2026-03-07 10:00 +7)),
        limit: 50,
        ..Default::default()
    };
    let rows = db.store.list_cases(&Scope::All, &overdue).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.ticket.clone()).collect::<Vec<_>>(),
        vec![tickets[1].clone(), tickets[0].clone()]
    );
    let range = CaseFilter {
        created_from: Some(T0 + Duration::days(1)),
        created_to: Some(T0 + Duration::days(3)),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        db.store
            .list_cases(&Scope::All, &range)
            .await
            .unwrap()
            .len(),
        2
    );
    let states = CaseFilter {
        states: vec![State::Closed],
        limit: 50,
        ..Default::default()
    };
    assert!(
        db.store
            .list_cases(&Scope::All, &states)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn users_tokens_settings_and_access_failures() {
    let db = fresh().await;
    let user = NewUser {
        username: "andi".into(),
        role: Role::UnitOfficer,
        unit: Some("rusun".into()),
        password_hash: "h".into(),
        created_at: T0,
    };
    db.store.create_user(&user).await.unwrap();
    assert!(matches!(
        db.store.create_user(&user).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(db.store.count_active_admins().await.unwrap(), 0);
    db.store
        .record_login("andi", false, Some(T0 + Duration::minutes(15)))
        .await
        .unwrap();
    let stored = db.store.user("andi").await.unwrap().unwrap();
    assert_eq!(
        (stored.failed_logins, stored.locked_until),
        (1, Some(T0 + Duration::minutes(15)))
    );
    db.store
        .insert_token("hash", "andi", T0, T0 + Duration::hours(1))
        .await
        .unwrap();
    assert!(!db.store.token("hash").await.unwrap().unwrap().revoked);
    db.store.revoke_token("hash", T0).await.unwrap();
    assert!(db.store.token("hash").await.unwrap().unwrap().revoked);
    assert!(db.store.token("other").await.unwrap().is_none());
    db.store.put_setting("k", "v1", T0).await.unwrap();
    db.store.put_setting("k", "v2", T0).await.unwrap();
    assert_eq!(db.store.setting("k").await.unwrap().as_deref(), Some("v2"));
    for minute in [0, 5, 20] {
        db.store
            .record_access_failure("ADU-2026-000001", T0 + Duration::minutes(minute))
            .await
            .unwrap();
    }
    assert_eq!(
        db.store
            .access_failures_since("ADU-2026-000001", T0 + Duration::minutes(1))
            .await
            .unwrap(),
        2
    );
    db.store.health().await.unwrap();
}

/// Concurrent writes are batched (group commit on SQLite) yet each stands or fails alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_commit_together_and_fail_alone() {
    let db = std::sync::Arc::new(fresh().await);
    let mut tasks = Vec::new();
    for i in 0..120 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            if i % 6 == 0 {
                let user = NewUser {
                    username: "sama".into(),
                    role: Role::Auditor,
                    unit: None,
                    password_hash: "h".into(),
                    created_at: T0,
                };
                Err(db.store.create_user(&user).await.is_ok())
            } else {
                Ok(create(&db, Kind::Complaint, "rusun", T0, None).await.ticket)
            }
        }));
    }
    let mut tickets = Vec::new();
    let mut users_created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(ticket) => tickets.push(ticket),
            Err(created) => users_created += usize::from(created),
        }
    }
    assert_eq!(
        users_created, 1,
        "exactly one of the duplicate users is stored"
    );
    tickets.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    tickets.dedup();
    assert_eq!(tickets.len(), 100, "every case got its own ticket");
    assert_eq!(tickets.last().unwrap().as_str(), "ADU-2026-000100");
    let all = db
        .store
        .list_cases(
            &Scope::All,
            &CaseFilter {
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 100);
}
