//! One contract suite for the `Store` trait, run against SQLite by default and against
//! PostgreSQL with ADUAN_TEST_BACKEND=postgres (which must then be reachable: no skipping).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aduan_domain::calendar::{Calendar, HolidayTable, SHIPPED_HOLIDAYS};
use aduan_domain::external::ExternalSource;
use aduan_domain::lifecycle::{Context, apply, decide};
use aduan_domain::{
    AccessCode, Action, Actor, Change, Channel, Event, Kind, Language, Location, NewCase,
    Organisation, Privacy, Reporter, Role, Scope, State, Ticket, Workflow,
};
use aduan_store::{
    CaseFilter, CaseRecord, CaseSort, CaseUpdate, JobOutcome, JobState, NewCaseRecord, NewJob,
    NewQuarantinedMail, NewUser, SearchPath, SqlStore, Store, StoreError,
};
use sqlx::Connection;
use time::macros::{datetime, offset};
use time::{Duration, OffsetDateTime};

struct Db {
    store: SqlStore,
    url: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database this handle created, dropped with it so that runs leave none.
    pg_name: Option<String>,
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            drop_postgres_database(postgres_admin_url(), name);
        }
    }
}

fn postgres_admin_url() -> String {
    std::env::var("ADUAN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Drops a test database from a thread of its own: `Drop` runs inside the test's runtime,
/// which cannot wait for async work itself. A failure only leaves the database behind.
fn drop_postgres_database(admin: String, name: String) {
    let dropping = std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
            }
        });
    });
    let _ = dropping.join();
}

async fn fresh() -> Db {
    if std::env::var("ADUAN_TEST_BACKEND").is_ok_and(|b| b == "postgres") {
        let admin = postgres_admin_url();
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
            pg_name: Some(name),
        }
    } else {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/folder/aduan.db", dir.path().display());
        Db {
            store: SqlStore::connect(&url).await.unwrap(),
            url,
            _dir: Some(dir),
            pg_name: None,
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
    create_from(db, kind, category, at, registered_by, None)
        .await
        .unwrap()
}

async fn create_from(
    db: &Db,
    kind: Kind,
    category: &str,
    at: OffsetDateTime,
    registered_by: Option<&str>,
    source: Option<&ExternalSource>,
) -> Result<CaseRecord, StoreError> {
    let case = new_case(
        kind,
        category,
        Reporter {
            name: Some("Budi".into()),
            ..Default::default()
        },
    );
    store_case(db, case, at, registered_by, source).await
}

async fn store_case(
    db: &Db,
    case: NewCase,
    at: OffsetDateTime,
    registered_by: Option<&str>,
    source: Option<&ExternalSource>,
) -> Result<CaseRecord, StoreError> {
    store_case_with_jobs(db, case, at, registered_by, source, &[]).await
}

/// `store_case` with jobs written along with the case (a receipt mail).
async fn store_case_with_jobs(
    db: &Db,
    case: NewCase,
    at: OffsetDateTime,
    registered_by: Option<&str>,
    source: Option<&ExternalSource>,
    jobs: &[NewJob],
) -> Result<CaseRecord, StoreError> {
    let (kind, category) = (case.kind, case.category.clone());
    let org = org();
    let cal = calendar();
    let workflow = Workflow::received(kind, category, at, &org, &cal);
    let event = received_on_the_web(at, &workflow);
    db.store
        .create_case(NewCaseRecord {
            case: &case,
            workflow: &workflow,
            access_code: &AccessCode::from_random([9; 8]),
            first_event: &event,
            registered_by,
            year: cal.local_date(at).year(),
            jobs,
            attachments: &[],
            next_check_at: aduan_domain::watch::next_check(&workflow, &org, &cal),
            source,
        })
        .await
}

/// The first event of a case its reporter sent through the web form at `at`.
fn received_on_the_web(at: OffsetDateTime, workflow: &Workflow) -> Event {
    Event {
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
    }
}

/// The events `action` makes on `record` and the workflow they leave, not yet stored.
fn decided(
    record: &CaseRecord,
    action: &Action,
    actor: &Actor,
    now: OffsetDateTime,
) -> (Vec<Event>, Workflow) {
    let org = org();
    let cal = calendar();
    let ctx = Context {
        now,
        org: &org,
        calendar: &cal,
        ticket: &record.ticket,
        channel: None,
    };
    let events = decide(&record.workflow, action, actor, &ctx).unwrap();
    let mut after = record.workflow.clone();
    for e in &events {
        apply(&mut after, e);
    }
    (events, after)
}

async fn act(
    db: &Db,
    record: &CaseRecord,
    action: Action,
    actor: &Actor,
    now: OffsetDateTime,
) -> CaseRecord {
    let (events, after) = decided(record, &action, actor, now);
    let (org, cal) = (org(), calendar());
    db.store
        .commit(
            record,
            CaseUpdate {
                after: &after,
                events: &events,
                jobs: &[],
                next_check_at: aduan_domain::watch::next_check(&after, &org, &cal),
                source: None,
            },
        )
        .await
        .unwrap()
}

/// `count` complaints about `rusun`, one a day from `T0`.
async fn daily_complaints(db: &Db, count: i64) -> Vec<CaseRecord> {
    let mut cases = Vec::new();
    for day in 0..count {
        cases.push(create(db, Kind::Complaint, "rusun", T0 + Duration::days(day), None).await);
    }
    cases
}

/// Every case in the store (the tests hold at most 1,000).
async fn every_case(db: &Db) -> Vec<aduan_store::CaseSummary> {
    let everything = CaseFilter {
        limit: 1_001,
        ..Default::default()
    };
    db.store.list_cases(&Scope::All, &everything).await.unwrap()
}

/// The ids `filter` lists for `scope`, read two at a time from cursor to cursor.
async fn page_through(db: &Db, scope: &Scope, filter: &CaseFilter) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut cursor: Option<(i64, Option<OffsetDateTime>)> = None;
    loop {
        let page = CaseFilter {
            cursor_id: cursor.map(|c| c.0),
            cursor_at: cursor.and_then(|c| c.1),
            limit: 2,
            ..filter.clone()
        };
        let rows = db.store.list_cases(scope, &page).await.unwrap();
        if rows.is_empty() {
            return seen;
        }
        // The cursor carries the time the order is by, as the app's cursors do.
        cursor = rows.last().map(|r| (r.id, filter.cursor_at_of(r)));
        seen.extend(rows.iter().map(|r| r.id));
    }
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

/// A flood of new cases leaves PostgreSQL's statistics describing the table before it, and
/// the lists planned once from them can then read the wrong indexes until autovacuum's next
/// analysis (BENCHMARKS.md, session 21): the store analyzes `cases` itself after 1,000 new
/// cases on a table that small. On SQLite, whose lists name their indexes, the cases are all
/// there.
#[tokio::test]
async fn a_large_intake_refreshes_postgresqls_statistics_of_cases() {
    let db = fresh().await;
    let analyses = || async {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let count: i64 = sqlx::query_scalar(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'cases'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        count
    };
    // The migrations analyze the new table once. Autovacuum is kept away from this database's
    // cases, so that every analysis seen is the store's own.
    let before = match db.pg_name {
        Some(_) => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query("ALTER TABLE cases SET (autovacuum_enabled = false)")
                .execute(&mut conn)
                .await
                .unwrap();
            analyses().await
        }
        None => 0,
    };
    // Submissions arriving together, as in a flood; the writer batches them.
    for wave in 0..10 {
        let creating = (0..100).map(|i| {
            let category = if (wave + i) % 2 == 0 {
                "rusun"
            } else {
                "swadaya"
            };
            create(&db, Kind::Complaint, category, T0, None)
        });
        futures_util::future::join_all(creating).await;
    }
    assert_eq!(every_case(&db).await.len(), 1000);
    if db.pg_name.is_some() {
        // The analysis runs in the background; PostgreSQL publishes its count within a second
        // or so of it.
        let mut waited = 0;
        while analyses().await == before {
            assert!(waited < 300, "cases not analyzed after 1,000 new cases");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            waited += 1;
        }
        // The columns the lists filter on have statistics now; the search words (whose large
        // sample is autovacuum's to take) and the long texts never filtered on have none, since
        // computing them was most of an analysis's work.
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let analyzed: Vec<String> = sqlx::query_scalar(
            "SELECT attname::text FROM pg_stats WHERE tablename = 'cases' ORDER BY attname",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        for filtered in ["state", "category", "due_at", "created_at", "fell_due"] {
            assert!(
                analyzed.iter().any(|c| c == filtered),
                "{filtered} not analyzed: {analyzed:?}"
            );
        }
        for unfiltered in ["search", "workflow", "details", "access_hash"] {
            assert!(
                !analyzed.iter().any(|c| c == unfiltered),
                "{unfiltered} analyzed: {analyzed:?}"
            );
        }
    }
}

#[tokio::test]
async fn refreshed_planner_statistics_keep_table_sizes_but_no_value_samples() {
    let db = fresh().await;
    let mut cases = Vec::new();
    for i in 0..40 {
        let category = if i % 2 == 0 { "rusun" } else { "swadaya" };
        cases.push(create(&db, Kind::Complaint, category, T0, None).await);
    }
    db.store.analyze().await.unwrap();
    // Reads still find what they look for with the new statistics.
    for case in [&cases[0], &cases[39]] {
        let found = db.store.case(&case.ticket, &Scope::All).await.unwrap();
        assert_eq!(found.as_ref(), Some(case));
    }
    if db.pg_name.is_none() {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        let count = |table: &str| format!("SELECT count(*) FROM {table}");
        let sizes: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count("sqlite_stat1")))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let samples: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count("sqlite_stat4")))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert!(sizes > 0, "ANALYZE stored no table sizes");
        assert_eq!(
            samples, 0,
            "value samples make SQLite re-prepare statements"
        );
    }
}

#[tokio::test]
async fn a_periods_facts_come_in_id_order_with_their_own_milestones_in_every_chunk() {
    let db = fresh().await;
    let c = coordinator();
    // More cases than one read takes (500), so the facts come in three chunks.
    let mut rusun = Vec::new();
    for i in 0..1_050 {
        let category = if i % 3 == 0 { "swadaya" } else { "rusun" };
        let mut case = create(&db, Kind::Complaint, category, T0, None).await;
        if i % 97 == 0 {
            case = act(
                &db,
                &case,
                Action::Verify { category: None },
                &c,
                T0 + Duration::hours(1),
            )
            .await;
        }
        if category == "rusun" {
            rusun.push(case);
        }
    }
    // Received after the period: not one of its cases.
    let later = T0 + Duration::days(40);
    create(&db, Kind::Complaint, "rusun", later, None).await;
    let filter = aduan_domain::statistics::Filter {
        category: Some("rusun".into()),
        ..Default::default()
    };
    let mut seen = Vec::new();
    db.store
        .each_case_facts(None, &filter, T0, T0 + Duration::days(30), &mut |case| {
            seen.push(case)
        })
        .await
        .unwrap();
    let tickets = |facts: &[aduan_domain::statistics::CaseFacts]| {
        facts.iter().map(|f| f.ticket.clone()).collect::<Vec<_>>()
    };
    let expected: Vec<String> = rusun.iter().map(|r| r.ticket.to_string()).collect();
    assert_eq!(
        tickets(&seen),
        expected,
        "every case once, in the order received"
    );
    for (facts, record) in seen.iter().zip(&rusun) {
        let verified = record.workflow.state != State::Received;
        let milestones: Vec<_> = facts.milestones.iter().map(|(_, m)| m.clone()).collect();
        let wanted = if verified {
            vec![aduan_domain::statistics::Milestone::Verified]
        } else {
            vec![]
        };
        assert_eq!(milestones, wanted, "milestones of {}", facts.ticket);
        assert_eq!(facts.received_at, T0);
    }
    assert!(seen.iter().any(|f| !f.milestones.is_empty()));
    let all = db
        .store
        .case_facts(None, &filter, T0, T0 + Duration::days(30))
        .await
        .unwrap();
    assert_eq!(all, seen);
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
    let stale = db
        .store
        .commit(
            &case,
            CaseUpdate {
                after: &case.workflow,
                events: &events,
                jobs: &[],
                next_check_at: None,
                source: None,
            },
        )
        .await;
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

/// Events written before session 24 kept the whole event in `data` (its time, actor and
/// role again, every null): the timeline, tracking and the statistics still read them.
#[tokio::test]
async fn events_stored_whole_by_earlier_versions_still_read() {
    let db = fresh().await;
    let case = create(&db, Kind::Complaint, "rusun", T0, None).await;
    let due = datetime!(2026-03-09 23:59:59.999999999 +7);
    let old = [
        Event {
            at: T0 + Duration::hours(1),
            actor: "koordinator".into(),
            actor_role: "coordinator".into(),
            rule: None,
            channel: None,
            change: Change::Verified { category: None },
            due_at: Some(due),
            final_due_at: None,
        },
        Event {
            at: T0 + Duration::hours(2),
            actor: "koordinator".into(),
            actor_role: "coordinator".into(),
            rule: Some("classify".into()),
            channel: Some(Channel::Web),
            change: Change::Classified {
                maladministration: vec![aduan_domain::Maladministration::UndueDelay],
            },
            due_at: None,
            final_due_at: None,
        },
    ];
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    for (seq, event) in (2_i64..).zip(&old) {
        sqlx::query(
            "INSERT INTO case_events (case_id, seq, at, actor, actor_role, type, public, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(case.id)
        .bind(seq)
        .bind(i64::try_from(event.at.unix_timestamp_nanos() / 1_000).unwrap())
        .bind(event.actor.clone())
        .bind(event.actor_role.clone())
        .bind(event.change.code())
        .bind(i64::from(event.change.is_public()))
        .bind(serde_json::to_string(event).unwrap())
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let read = db.store.events(case.id, false).await.unwrap();
    assert_eq!(read.len(), 3);
    assert_eq!(read[1].event, old[0]);
    assert_eq!(read[2].event, old[1]);
    assert_eq!(read[1].event.due_at.map(|d| d.offset()), Some(offset!(+7)));
    let (_, found) = db.store.case_for_tracking(&case.ticket, T0).await.unwrap();
    let (_, timeline) = found.expect("the case is tracked");
    assert_eq!(timeline, db.store.events(case.id, true).await.unwrap());
    assert!(timeline.iter().any(|e| e.event == old[0]), "{timeline:?}");
    let mut facts = Vec::new();
    db.store
        .each_case_facts(
            None,
            &Default::default(),
            T0,
            T0 + Duration::days(1),
            &mut |case| facts.push(case),
        )
        .await
        .unwrap();
    assert_eq!(facts.len(), 1);
    assert_eq!(
        facts[0].maladministration,
        vec![aduan_domain::Maladministration::UndueDelay]
    );
    let milestones: Vec<_> = facts[0].milestones.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(
        milestones,
        vec![aduan_domain::statistics::Milestone::Verified]
    );
}

/// The `i`th of a bulk import's cases: received on the web, verified and sent to `rusun`
/// with `sistem_strategi` supporting; its description carries `i` as a word of its own.
fn imported_case(i: i64) -> aduan_store::ImportedCase {
    let (org, cal) = (org(), calendar());
    let coordinator = coordinator();
    let reporter = Reporter {
        name: Some(format!("Warga {i}")),
        ..Default::default()
    };
    let mut case = new_case(Kind::Complaint, "rusun", reporter);
    case.description = format!("Lift blok {i} mati sejak pagi.");
    let at = T0 + Duration::minutes(i);
    let mut workflow = Workflow::received(Kind::Complaint, "rusun".into(), at, &org, &cal);
    let mut events = vec![received_on_the_web(at, &workflow)];
    let ticket = Ticket::new(Kind::Complaint, 2026, 1);
    for action in [
        Action::Verify { category: None },
        Action::Dispose {
            lead_unit: "rusun".into(),
            supporting_units: vec!["sistem_strategi".into()],
            instruction: "Mohon dijawab.".into(),
            due_date: None,
        },
    ] {
        let ctx = Context {
            now: at + Duration::hours(1),
            org: &org,
            calendar: &cal,
            ticket: &ticket,
            channel: None,
        };
        for event in decide(&workflow, &action, &coordinator, &ctx).unwrap() {
            apply(&mut workflow, &event);
            events.push(event);
        }
    }
    aduan_store::ImportedCase {
        case,
        next_check_at: aduan_domain::watch::next_check(&workflow, &org, &cal),
        workflow,
        events,
        registered_by: None,
        year: 2026,
    }
}

fn same_access_code() -> aduan_store::AccessCodeFn {
    std::sync::Arc::new(|_: &Ticket| AccessCode::from_random([7; 8]))
}

/// A bulk import (demo data, cases brought from another system) writes each case with its
/// whole history, reporter, units and searchable words; its statements are made on another
/// thread while earlier ones run, over several multi-row statements per table.
#[tokio::test]
async fn imported_cases_keep_their_history_reporter_units_and_words() {
    let db = fresh().await;
    let imported: Vec<_> = (0..250).map(imported_case).collect();
    let expected = imported.clone();
    let tickets = db
        .store
        .import_cases(imported, same_access_code())
        .await
        .unwrap();
    assert_eq!(tickets.len(), 250);
    for (i, (ticket, item)) in tickets.iter().zip(&expected).enumerate().step_by(37) {
        let case = db.store.case(ticket, &Scope::All).await.unwrap().unwrap();
        assert_eq!(case.details.description, item.case.description);
        assert_eq!(case.workflow, item.workflow);
        assert_eq!(case.workflow.state, State::Dispositioned);
        assert!(AccessCode::from_random([7; 8]).matches(ticket, &case.access_hash));
        let events: Vec<Event> = db
            .store
            .events(case.id, false)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(events, item.events, "case {i}'s history");
        let reporter = db.store.reporter(case.id).await.unwrap().unwrap();
        assert_eq!(reporter.name, Some(format!("Warga {i}")));
        // Its number is a word of its own: the search finds this case alone.
        let search = CaseFilter {
            text: aduan_domain::search::query_terms(&format!("lift {i}")),
            limit: 5,
            ..Default::default()
        };
        let found = db.store.list_cases(&Scope::All, &search).await.unwrap();
        assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), [case.id]);
    }
    // Every case is listed for its lead unit and for the supporting one.
    for unit in ["rusun", "sistem_strategi"] {
        let filter = CaseFilter {
            unit: Some(unit.into()),
            limit: 300,
            ..Default::default()
        };
        let listed = db.store.list_cases(&Scope::All, &filter).await.unwrap();
        assert_eq!(listed.len(), 250, "{unit}");
    }
}

/// On SQLite an import writes through a connection of its own while the writer waits: cases
/// submitted meanwhile are written before or after each import, never refused as busy, and
/// every one of them gets a number of its own.
#[tokio::test]
async fn imports_and_submissions_at_the_same_time_all_land() {
    let db = fresh().await;
    let imports = async {
        let mut tickets = Vec::new();
        for round in 0..4 {
            let batch = (round * 50..round * 50 + 50).map(imported_case).collect();
            let imported = db.store.import_cases(batch, same_access_code()).await;
            tickets.extend(imported.unwrap());
        }
        tickets
    };
    let submissions = futures_util::future::join_all((0..40).map(|i| {
        create(
            &db,
            Kind::Complaint,
            "rusun",
            T0 + Duration::minutes(i),
            None,
        )
    }));
    let (imported, submitted) = tokio::join!(imports, submissions);
    let mut all: Vec<Ticket> = imported.clone();
    all.extend(submitted.iter().map(|c| c.ticket.clone()));
    all.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    all.dedup();
    assert_eq!(all.len(), 240, "every case has a ticket of its own");
    let everything = CaseFilter {
        limit: 500,
        ..Default::default()
    };
    let listed = db.store.list_cases(&Scope::All, &everything).await.unwrap();
    assert_eq!(listed.len(), 240);
    for ticket in imported.iter().step_by(23) {
        let case = db.store.case(ticket, &Scope::All).await.unwrap().unwrap();
        assert_eq!(db.store.events(case.id, false).await.unwrap().len(), 3);
    }
}

/// Asserts how many rows each table holds.
async fn assert_rows(conn: &mut sqlx::AnyConnection, expected: [(&str, i64); 4], when: &str) {
    for (table, expected) in expected {
        let count: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(count, expected, "{table} {when}");
    }
}

/// An import that fails (here its tickets are taken already) leaves nothing of itself behind,
/// and the next import goes through.
#[tokio::test]
async fn a_failed_import_leaves_nothing_and_the_next_one_lands() {
    let db = fresh().await;
    let first: Vec<_> = (0..3).map(imported_case).collect();
    db.store
        .import_cases(first, same_access_code())
        .await
        .unwrap();
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let postgres = db.pg_name.is_some();
    let set_counter = |last: i64| {
        if postgres {
            format!(
                "SELECT setval('ticket_seq_2026', {}, {})",
                last.max(1),
                last > 0
            )
        } else {
            format!("UPDATE ticket_counters SET last = {last} WHERE year = 2026")
        }
    };
    sqlx::query(sqlx::AssertSqlSafe(set_counter(0)))
        .execute(&mut conn)
        .await
        .unwrap();
    let second: Vec<_> = (3..8).map(imported_case).collect();
    let failed = db
        .store
        .import_cases(second.clone(), same_access_code())
        .await;
    assert!(failed.is_err(), "{failed:?}");
    assert_rows(
        &mut conn,
        [
            ("cases", 3),
            ("case_events", 9),
            ("case_reporters", 3),
            ("case_units", 6),
        ],
        "after the failed import",
    )
    .await;
    sqlx::query(sqlx::AssertSqlSafe(set_counter(3)))
        .execute(&mut conn)
        .await
        .unwrap();
    let tickets = db
        .store
        .import_cases(second, same_access_code())
        .await
        .unwrap();
    assert_eq!(tickets.len(), 5);
    assert_rows(
        &mut conn,
        [
            ("cases", 8),
            ("case_events", 24),
            ("case_reporters", 8),
            ("case_units", 16),
        ],
        "after the second import",
    )
    .await;
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
async fn every_sort_pages_without_gaps_or_repeats() {
    let db = fresh().await;
    // Two cases a day, received out of order: equal due times, told apart by id.
    for day in [2, 0, 1] {
        for _ in 0..2 {
            create(
                &db,
                Kind::Complaint,
                "rusun",
                T0 + Duration::days(day),
                None,
            )
            .await;
        }
    }
    for sort in [CaseSort::Newest, CaseSort::Oldest, CaseSort::DueSoonest] {
        let mut seen: Vec<aduan_store::CaseSummary> = Vec::new();
        let mut cursor: Option<(i64, Option<time::OffsetDateTime>)> = None;
        for _ in 0..5 {
            let filter = CaseFilter {
                sort,
                limit: 4,
                cursor_id: cursor.map(|c| c.0),
                cursor_at: cursor.and_then(|c| c.1),
                ..Default::default()
            };
            let rows = db.store.list_cases(&Scope::All, &filter).await.unwrap();
            if rows.is_empty() {
                break;
            }
            cursor = rows.last().map(|r| (r.id, r.due_at));
            seen.extend(rows);
        }
        assert_eq!(seen.len(), 6, "{sort:?}");
        for pair in seen.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let ordered = match sort {
                CaseSort::Newest => a.id > b.id,
                CaseSort::Oldest => a.id < b.id,
                CaseSort::DueSoonest => (a.due_at, a.id) < (b.due_at, b.id),
            };
            assert!(ordered, "{sort:?}: {} then {}", a.ticket, b.ticket);
        }
    }
    // Sorting by due time leaves out cases that owe nothing.
    let first = db
        .store
        .list_cases(
            &Scope::All,
            &CaseFilter {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let case = db
        .store
        .case(&first[0].ticket, &Scope::All)
        .await
        .unwrap()
        .unwrap();
    let rejected = Action::Reject {
        reason: aduan_domain::lifecycle::RejectReason::Spam,
        note: None,
    };
    act(&db, &case, rejected, &coordinator(), T0 + Duration::days(3)).await;
    let due = CaseFilter {
        sort: CaseSort::DueSoonest,
        limit: 50,
        ..Default::default()
    };
    let rows = db.store.list_cases(&Scope::All, &due).await.unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r.ticket != case.ticket));
}

#[tokio::test]
async fn a_units_list_pages_in_both_orders_within_scope() {
    let db = fresh().await;
    // Six cases: lead rusun (two with swadaya supporting), lead swadaya, and one left alone.
    let plan: [Option<(&str, &[&str])>; 6] = [
        Some(("rusun", &[])),
        Some(("swadaya", &[])),
        Some(("rusun", &["swadaya"])),
        None,
        Some(("rusun", &[])),
        Some(("rusun", &["swadaya"])),
    ];
    let mut rusun = Vec::new();
    let mut shared = Vec::new();
    for (day, units) in plan.iter().enumerate() {
        let at = T0 + Duration::days(i64::try_from(day).unwrap());
        let case = create(&db, Kind::Complaint, "rusun", at, None).await;
        if let Some((lead, supporting)) = units {
            let case = act(
                &db,
                &case,
                Action::Verify { category: None },
                &coordinator(),
                at,
            )
            .await;
            let dispose = Action::Dispose {
                lead_unit: (*lead).into(),
                supporting_units: supporting.iter().map(|u| u.to_string()).collect(),
                instruction: "cek".into(),
                due_date: None,
            };
            act(&db, &case, dispose, &coordinator(), at).await;
            if *lead == "rusun" {
                rusun.push(case.id);
                if !supporting.is_empty() {
                    shared.push(case.id);
                }
            }
        }
    }
    let walk = |scope: Scope, sort: CaseSort| {
        let db = &db;
        async move {
            let filter = CaseFilter {
                unit: Some("rusun".into()),
                sort,
                ..Default::default()
            };
            page_through(db, &scope, &filter).await
        }
    };
    let mut newest = rusun.clone();
    newest.reverse();
    assert_eq!(walk(Scope::All, CaseSort::Newest).await, newest);
    assert_eq!(walk(Scope::All, CaseSort::Oldest).await, rusun);
    // Staff of swadaya asking for rusun's cases see only those swadaya supports.
    let swadaya = Scope::Units(vec!["swadaya".into()]);
    assert_eq!(walk(swadaya, CaseSort::Oldest).await, shared);
    // With another filter on top.
    let filter = CaseFilter {
        unit: Some("rusun".into()),
        states: vec![State::Dispositioned],
        created_from: Some(T0 + Duration::days(3)),
        limit: 50,
        ..Default::default()
    };
    let rows = db.store.list_cases(&Scope::All, &filter).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![rusun[3], rusun[2]]
    );
}

/// A list of a period is ordered by received time, then id, and pages through exactly the
/// cases received in the period, in both orders and with other filters on top, even where
/// the ids do not follow the received times.
#[tokio::test]
async fn lists_of_a_period_page_in_received_order() {
    let db = fresh().await;
    // Received out of id order, two pairs at the same instant; every third one verified.
    let days = [5, 1, 3, 0, 4, 2, 6, 3, 8, 1, 7, 4, 2];
    let mut all = Vec::new();
    for (i, day) in days.into_iter().enumerate() {
        let kind = if i % 2 == 0 {
            Kind::Complaint
        } else {
            Kind::InfoRequest
        };
        let mut case = new_case(kind, "rusun", Reporter::default());
        if i % 4 == 1 {
            case.description = "Atap balai warga bocor setiap hujan deras.".into();
        }
        let at = T0 + Duration::days(day);
        let mut record = store_case(&db, case, at, None, None).await.unwrap();
        if i % 3 == 0 {
            record = act(
                &db,
                &record,
                Action::Verify { category: None },
                &coordinator(),
                at,
            )
            .await;
        }
        all.push(record);
    }
    let (from, to) = (T0 + Duration::days(1), T0 + Duration::days(5));
    let period = |filter: CaseFilter| CaseFilter {
        created_from: Some(from),
        created_to: Some(to),
        ..filter
    };
    let filters = [
        period(CaseFilter::default()),
        period(CaseFilter {
            states: vec![State::Verified],
            ..Default::default()
        }),
        period(CaseFilter {
            kind: Some(Kind::InfoRequest),
            ..Default::default()
        }),
        period(CaseFilter {
            text: aduan_domain::search::query_terms("atap bocor"),
            ..Default::default()
        }),
        // Only one end of the period.
        CaseFilter {
            created_to: Some(to),
            ..Default::default()
        },
        CaseFilter {
            created_from: Some(from),
            ..Default::default()
        },
    ];
    for filter in filters {
        let mut oldest: Vec<&CaseRecord> = all
            .iter()
            .filter(|c| filter.created_from.is_none_or(|f| c.created_at >= f))
            .filter(|c| filter.created_to.is_none_or(|t| c.created_at < t))
            .filter(|c| filter.states.is_empty() || filter.states.contains(&c.workflow.state))
            .filter(|c| filter.kind.is_none_or(|k| k == c.kind))
            .filter(|c| filter.text.is_empty() || c.details.description.contains("Atap"))
            .collect();
        oldest.sort_by_key(|c| (c.created_at, c.id));
        let oldest: Vec<i64> = oldest.iter().map(|c| c.id).collect();
        assert!(!oldest.is_empty(), "{filter:?} matches nothing");
        let mut newest = oldest.clone();
        newest.reverse();
        for (sort, expected) in [(CaseSort::Newest, &newest), (CaseSort::Oldest, &oldest)] {
            let sorted = CaseFilter {
                sort,
                ..filter.clone()
            };
            assert!(sorted.in_received_time());
            let seen = page_through(&db, &Scope::All, &sorted).await;
            assert_eq!(&seen, expected, "{sort:?} {filter:?}");
        }
    }
    // The ids do not follow the received times here, so the order is really by time.
    let ids: Vec<i64> = all.iter().map(|c| c.id).collect();
    let mut by_time = all.clone();
    by_time.sort_by_key(|c| (c.created_at, c.id));
    assert_ne!(by_time.iter().map(|c| c.id).collect::<Vec<_>>(), ids);
}

/// On PostgreSQL a list filtered to one value of a column walks that column's index instead
/// of the primary key; every such list still pages, in both orders, exactly as the cases it
/// filters.
#[tokio::test]
async fn lists_filtered_to_one_value_page_like_the_cases_they_filter() {
    let db = fresh().await;
    let kinds = [Kind::Complaint, Kind::InfoRequest, Kind::Aspiration];
    for i in 0..12 {
        let at = T0 + Duration::hours(i64::try_from(i).unwrap());
        let case = create(&db, kinds[i % 3], ["rusun", "swadaya"][i % 2], at, None).await;
        let action = match i % 4 {
            0 => Action::Verify { category: None },
            1 => Action::Reject {
                reason: aduan_domain::lifecycle::RejectReason::Spam,
                note: None,
            },
            _ => continue,
        };
        act(&db, &case, action, &coordinator(), at).await;
    }
    let all = every_case(&db).await;
    assert_eq!(all.len(), 12);
    let filters = [
        CaseFilter {
            states: vec![State::Verified],
            ..Default::default()
        },
        CaseFilter {
            states: vec![State::Received],
            category: Some("rusun".into()),
            ..Default::default()
        },
        CaseFilter {
            channel: Some(Channel::Web),
            kind: Some(Kind::Complaint),
            ..Default::default()
        },
        CaseFilter {
            category: Some("swadaya".into()),
            kind: Some(Kind::InfoRequest),
            ..Default::default()
        },
        CaseFilter {
            kind: Some(Kind::Aspiration),
            states: vec![State::Received, State::Rejected],
            ..Default::default()
        },
        CaseFilter {
            channel: Some(Channel::Phone),
            ..Default::default()
        },
    ];
    // The second time with the planner's statistics, which on PostgreSQL let the lists on
    // common values be planned once (`pinned_plans`).
    for analyzed in [false, true] {
        if analyzed {
            db.store.analyze().await.unwrap();
        }
        for filter in &filters {
            let newest: Vec<i64> = all
                .iter()
                .filter(|c| filter.states.is_empty() || filter.states.contains(&c.state))
                .filter(|c| filter.kind.is_none_or(|k| k == c.kind))
                .filter(|c| filter.channel.is_none_or(|ch| ch == c.channel))
                .filter(|c| filter.category.as_ref().is_none_or(|g| *g == c.category))
                .map(|c| c.id)
                .collect();
            let mut oldest = newest.clone();
            oldest.reverse();
            for (sort, expected) in [(CaseSort::Newest, &newest), (CaseSort::Oldest, &oldest)] {
                let sorted = CaseFilter {
                    sort,
                    ..filter.clone()
                };
                let seen = page_through(&db, &Scope::All, &sorted).await;
                assert_eq!(
                    &seen, expected,
                    "{sort:?} {filter:?} (analyzed: {analyzed})"
                );
            }
        }
    }
    // The filters meet nothing by accident: each state above holds cases.
    assert!(all.iter().any(|c| c.state == State::Verified));
    assert!(all.iter().any(|c| c.state == State::Rejected));
}

#[tokio::test]
async fn list_filters_overdue_and_keyset_pages() {
    let db = fresh().await;
    let tickets: Vec<Ticket> = daily_complaints(&db, 5)
        .await
        .into_iter()
        .map(|c| c.ticket)
        .collect();
    let page = |before_id: Option<i64>| CaseFilter {
        cursor_id: before_id,
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

/// An overdue list holds exactly the cases the agency owes a step on past their due time, and
/// pages through them without gaps in every order, whether it walks the owed cases (no other
/// filter) or collects them (with filters the walk cannot answer).
#[tokio::test]
async fn overdue_lists_page_in_every_order_like_the_overdue_cases() {
    let db = fresh().await;
    for i in 0..16 {
        let at = T0 + Duration::days(i64::try_from(i).unwrap() * 2);
        let case = create(&db, Kind::Complaint, ["rusun", "swadaya"][i % 2], at, None).await;
        let action = match i % 4 {
            0 => Action::Verify { category: None },
            1 => Action::Reject {
                reason: aduan_domain::lifecycle::RejectReason::Spam,
                note: None,
            },
            // Waiting for the reporter: a due time, but the reporter owes the next step.
            2 => Action::AskInfo {
                question: "Mohon alamat lengkap".into(),
            },
            _ => continue,
        };
        act(&db, &case, action, &coordinator(), at).await;
    }
    let all = every_case(&db).await;
    assert_eq!(all.len(), 16);
    // Four weeks after the first case (the holidays of March 2026 in between): the oldest owed
    // cases are past their due time, the newest are not, and a waiting case is past its own
    // without counting.
    let at = T0 + Duration::days(28);
    let overdue =
        |c: &&aduan_store::CaseSummary| c.state.agency_owes() && c.due_at.is_some_and(|d| d < at);
    assert!(all.iter().any(|c| overdue(&c)));
    assert!(all.iter().any(|c| c.state.agency_owes() && !overdue(&c)));
    assert!(
        all.iter()
            .any(|c| c.state == State::WaitingReporter && c.due_at.is_some_and(|d| d < at))
    );
    let filters = [
        CaseFilter::default(),
        CaseFilter {
            states: vec![State::Verified],
            ..Default::default()
        },
        CaseFilter {
            category: Some("rusun".into()),
            ..Default::default()
        },
    ];
    // The deadline watch's marks choose the index, never the answer. The lists are the same
    // with no case marked, with only the cases past due a week earlier marked (the rest have
    // fallen due since the watch's last pass), and with cases marked that are not due yet at
    // the list's time (a watch whose clock runs ahead of the list's).
    let owed_due_before = |t: time::OffsetDateTime| {
        all.iter()
            .filter(|c| c.state.agency_owes() && c.due_at.is_some_and(|d| d < t))
            .count()
    };
    let (week_before, weeks_after) = (at - Duration::days(7), at + Duration::days(14));
    assert!(owed_due_before(week_before) > 0);
    assert!(owed_due_before(week_before) < owed_due_before(at));
    assert!(owed_due_before(weeks_after) > owed_due_before(at));
    let mut marked = 0;
    for mark_at in [None, Some(week_before), Some(weeks_after)] {
        if let Some(mark_at) = mark_at {
            marked += db.store.mark_fallen_due(mark_at).await.unwrap();
            assert_eq!(marked, owed_due_before(mark_at) as u64, "{mark_at}");
            assert_eq!(db.store.mark_fallen_due(mark_at).await.unwrap(), 0);
        }
        overdue_lists_match(&db, &all, at, &filters).await;
    }
}

/// The deadline watch's marking never waits for a case another transaction is changing: on
/// PostgreSQL it skips that case and marks it on a later pass. SQLite has one writer, so
/// nothing else can hold a case there; the marking is checked without the lock.
#[tokio::test]
async fn marking_skips_a_case_being_changed_and_marks_it_later() {
    let db = fresh().await;
    let cases = daily_complaints(&db, 3).await;
    let later = T0 + Duration::days(40);
    assert!(
        cases
            .iter()
            .all(|c| c.workflow.due_at.is_some_and(|d| d < later))
    );
    let mut held = None;
    if db.pg_name.is_some() {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
        sqlx::query("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
            .bind(cases[1].id)
            .execute(&mut conn)
            .await
            .unwrap();
        held = Some(conn);
    }
    let first = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        db.store.mark_fallen_due(later),
    )
    .await
    .expect("marking does not wait for a locked case")
    .unwrap();
    if let Some(mut conn) = held {
        assert_eq!(first, 2, "the locked case is skipped");
        sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
        assert_eq!(db.store.mark_fallen_due(later).await.unwrap(), 1);
    } else {
        assert_eq!(first, 3);
    }
    assert_eq!(db.store.mark_fallen_due(later).await.unwrap(), 0);
}

/// Pages through the overdue lists at `at` with each of `filters` in every order and checks
/// them against the overdue cases among `all`.
async fn overdue_lists_match(
    db: &Db,
    all: &[aduan_store::CaseSummary],
    at: time::OffsetDateTime,
    filters: &[CaseFilter],
) {
    let overdue =
        |c: &&aduan_store::CaseSummary| c.state.agency_owes() && c.due_at.is_some_and(|d| d < at);
    for filter in filters {
        let matching: Vec<&aduan_store::CaseSummary> = all
            .iter()
            .filter(overdue)
            .filter(|c| filter.states.is_empty() || filter.states.contains(&c.state))
            .filter(|c| filter.category.as_ref().is_none_or(|g| *g == c.category))
            .collect();
        assert!(!matching.is_empty(), "{filter:?}");
        for sort in [CaseSort::Newest, CaseSort::Oldest, CaseSort::DueSoonest] {
            let mut expected = matching.clone();
            match sort {
                CaseSort::Newest => expected.sort_by_key(|c| std::cmp::Reverse(c.id)),
                CaseSort::Oldest => expected.sort_by_key(|c| c.id),
                CaseSort::DueSoonest => expected.sort_by_key(|c| (c.due_at, c.id)),
            }
            let expected: Vec<i64> = expected.iter().map(|c| c.id).collect();
            let listed = CaseFilter {
                sort,
                overdue_at: Some(at),
                ..filter.clone()
            };
            let seen = page_through(db, &Scope::All, &listed).await;
            assert_eq!(seen, expected, "{sort:?} {filter:?}");
        }
    }
}

#[tokio::test]
async fn users_tokens_settings_and_access_failures() {
    let db = fresh().await;
    let user = NewUser {
        username: "andi".into(),
        role: Role::UnitOfficer,
        unit: Some("rusun".into()),
        email: Some("andi@example.go.id".into()),
        password_hash: "h".into(),
        created_at: T0,
    };
    db.store.create_user(&user).await.unwrap();
    assert!(matches!(
        db.store.create_user(&user).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(db.store.count_active_admins().await.unwrap(), 0);
    let stored = db.store.user("andi").await.unwrap().unwrap();
    assert_eq!(stored.email.as_deref(), Some("andi@example.go.id"));
    assert_eq!(
        db.store
            .staff_emails(&[Role::UnitOfficer, Role::UnitHead], Some("rusun"))
            .await
            .unwrap(),
        vec!["andi@example.go.id".to_string()]
    );
    assert!(
        db.store
            .staff_emails(&[Role::UnitOfficer], Some("swadaya"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        db.store
            .staff_emails(&[Role::Leadership], None)
            .await
            .unwrap()
            .is_empty()
    );
    db.store
        .insert_token("hash", "andi", T0, T0 + Duration::hours(1))
        .await
        .unwrap();
    let token = db.store.token("hash").await.unwrap().unwrap();
    assert!(!token.revoked);
    let owner = token.user.expect("the token's account comes with it");
    assert_eq!((owner.username.as_str(), owner.active), ("andi", true));
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
    // The tracking lookup reads the failures and the case in one query, known ticket or not.
    let unknown = Ticket::parse("ADU-2026-000001").unwrap();
    let (failures, case) = db
        .store
        .case_for_reporter(&unknown, T0 + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!((failures, case.is_none()), (2, true));
    let created = create(&db, Kind::Complaint, "rusun", T0, None).await;
    let (failures, case) = db
        .store
        .case_for_reporter(&created.ticket, T0)
        .await
        .unwrap();
    let case = case.expect("the case is found by its ticket");
    assert_eq!(failures, if created.ticket == unknown { 3 } else { 0 });
    assert_eq!(
        (case.id, case.title.as_str()),
        (created.id, created.title.as_str())
    );
    // Tracking reads the case's public timeline with it, in order, without internal notes.
    let note = Action::Note {
        text: "Catatan internal".into(),
    };
    let noted = act(&db, &case, note, &coordinator(), T0 + Duration::hours(1)).await;
    let verify = Action::Verify { category: None };
    act(&db, &noted, verify, &coordinator(), T0 + Duration::hours(2)).await;
    let (_, found) = db
        .store
        .case_for_tracking(&created.ticket, T0)
        .await
        .unwrap();
    let (tracked, timeline) = found.expect("the case is found by its ticket");
    assert_eq!(tracked.id, created.id);
    assert_eq!(timeline, db.store.events(created.id, true).await.unwrap());
    let everything = db.store.events(created.id, false).await.unwrap();
    assert!(timeline.len() >= 2 && timeline.len() < everything.len());
    assert!(timeline.windows(2).all(|w| w[0].seq < w[1].seq));
    let (failures, found) = db
        .store
        .case_for_tracking(&Ticket::parse("ADU-2026-999999").unwrap(), T0)
        .await
        .unwrap();
    assert_eq!((failures, found.is_none()), (0, true));
    db.store.health().await.unwrap();
}

/// Tracking lookups that arrive together are answered together on PostgreSQL (`batch`): each
/// one still gets its own case, timeline and failure count, whatever else shares its statement.
#[tokio::test]
async fn tracking_lookups_made_at_once_each_get_their_own_answer() {
    let db = fresh().await;
    let mut cases = Vec::new();
    for (hour, category) in ["rusun", "air", "sertifikat"].into_iter().enumerate() {
        let at = T0 + Duration::hours(hour as i64);
        cases.push(create(&db, Kind::Complaint, category, at, None).await);
    }
    let verify = Action::Verify { category: None };
    let first = db
        .store
        .case(&cases[0].ticket, &Scope::All)
        .await
        .unwrap()
        .unwrap();
    act(&db, &first, verify, &coordinator(), T0 + Duration::hours(5)).await;
    let unknown = Ticket::parse("ADU-2026-999998").unwrap();
    for minute in 0..3 {
        db.store
            .record_access_failure(unknown.as_str(), T0 + Duration::minutes(minute))
            .await
            .unwrap();
    }
    let mut wanted: Vec<Ticket> = cases.iter().map(|c| c.ticket.clone()).collect();
    wanted.push(unknown.clone());
    let since = T0 - Duration::hours(1);
    let lookups = (0..60).map(|i| {
        let ticket = wanted[i % wanted.len()].clone();
        let store = &db.store;
        async move {
            (
                ticket.clone(),
                store.case_for_tracking(&ticket, since).await,
            )
        }
    });
    for (ticket, answer) in futures_util::future::join_all(lookups).await {
        let (failures, found) = answer.unwrap();
        match cases.iter().find(|c| c.ticket == ticket) {
            Some(created) => {
                let (case, timeline) = found.expect("a known ticket finds its case");
                assert_eq!((failures, case.id), (0, created.id));
                assert_eq!(case.title, created.title);
                assert_eq!(timeline, db.store.events(created.id, true).await.unwrap());
            }
            None => assert_eq!((failures, found.is_none()), (3, true)),
        }
    }
}

/// A write alone in its batch runs without a savepoint of its own on SQLite (`writer`): when it
/// fails halfway, the transaction is rolled back whole, and the writer goes on.
#[tokio::test]
async fn a_write_that_fails_halfway_leaves_nothing_behind() {
    let db = fresh().await;
    let first = create(&db, Kind::Complaint, "rusun", T0, None).await;
    let second = create(&db, Kind::Complaint, "rusun", T0, None).await;
    let later = T0 + Duration::hours(1);
    // Someone else moves `second` on, so the copy held here is stale.
    act(
        &db,
        &second,
        Action::Verify { category: None },
        &coordinator(),
        later,
    )
    .await;
    let verify = |record| {
        decided(
            record,
            &Action::Verify { category: None },
            &coordinator(),
            later,
        )
    };
    let ((first_events, first_after), (second_events, second_after)) =
        (verify(&first), verify(&second));
    let update = |events, after| CaseUpdate {
        after,
        events,
        jobs: &[],
        next_check_at: None,
        source: None,
    };
    // `first` is written, then `second` is refused.
    let pair = db
        .store
        .commit_pair(
            (&first, update(&first_events, &first_after)),
            (&second, update(&second_events, &second_after)),
        )
        .await;
    assert!(matches!(pair, Err(StoreError::Conflict)), "{pair:?}");
    let stored = db
        .store
        .case(&first.ticket, &Scope::All)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored, first,
        "the half written before the refusal is undone"
    );
    assert_eq!(db.store.events(first.id, false).await.unwrap().len(), 1);
    let verified = act(
        &db,
        &first,
        Action::Verify { category: None },
        &coordinator(),
        later,
    )
    .await;
    assert_eq!(verified.workflow.state, State::Verified);
    assert_eq!(db.store.events(first.id, false).await.unwrap().len(), 2);
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
                    email: None,
                    password_hash: "h".into(),
                    created_at: T0,
                };
                Err(db.store.create_user(&user).await.is_ok())
            } else {
                Ok(create_with_receipt(&db, i).await)
            }
        }));
    }
    let mut tickets = Vec::new();
    let mut receipts = std::collections::BTreeMap::new();
    let mut users_created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(record) => {
                // Submissions written together (one statement per table on SQLite) come back
                // with their own id, and their rows belong to that id.
                let stored = db
                    .store
                    .case(&record.ticket, &Scope::All)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(stored, record);
                let events = db.store.events(record.id, false).await.unwrap();
                assert_eq!(events.len(), 1);
                let reporter = db.store.reporter(record.id).await.unwrap().unwrap();
                let i = reporter_number(&reporter);
                assert_eq!(
                    reporter,
                    numbered_reporter(i),
                    "each case keeps its own reporter"
                );
                receipts.insert(record.id, i);
                tickets.push(record.ticket)
            }
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
    let all = every_case(&db).await;
    assert_eq!(all.len(), 100);
    let searched = db
        .store
        .list_cases(
            &Scope::All,
            &CaseFilter {
                text: aduan_domain::search::query_terms("perkara"),
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(searched.len(), 100, "every case is in the search index");
    // The counters of cases written together add up to the cases.
    let counted: i64 = db
        .store
        .period_counts(None, T0 - Duration::days(1), T0 + Duration::days(1))
        .await
        .unwrap()
        .iter()
        .map(|row| row.count)
        .sum();
    assert_eq!(counted, 100, "every case is counted once");
    // Each case's receipt job belongs to it; two submissions share a dedup key, so only the
    // first of them is queued.
    let jobs = db.store.jobs(JobState::Queued, 500).await.unwrap();
    assert_eq!(jobs.len(), 99, "one receipt per dedup key");
    for job in &jobs {
        let i = receipts[&job.case_id.unwrap()];
        assert_eq!(job.dedup_key.as_deref(), Some(receipt_key(i).as_str()));
        assert_eq!(job.secret.as_deref(), Some(format!("kode-{i}").as_str()));
    }
    // Each case is found by its own reporter's contacts, and only by them.
    let mut ids = receipts.keys();
    let (first, second) = (*ids.next().unwrap(), *ids.next().unwrap());
    let keys = aduan_domain::duplicates::contact_keys(&numbered_reporter(receipts[&first]));
    let similar = db
        .store
        .similar_cases(second, &keys, &[], T0 - Duration::days(1), 10)
        .await
        .unwrap();
    let matched: Vec<(i64, bool)> = similar.iter().map(|(c, by)| (c.id, *by)).collect();
    assert_eq!(matched, vec![(first, true)]);
}

/// Submission `i` of `concurrent_writes_commit_together_and_fail_alone`: its own reporter and
/// a receipt job (submissions 1 and 2 share the receipt's dedup key).
async fn create_with_receipt(db: &Db, i: usize) -> CaseRecord {
    let case = new_case(Kind::Complaint, "rusun", numbered_reporter(i));
    let receipt = NewJob {
        kind: "mail.receipt".into(),
        case_id: None,
        dedup_key: Some(receipt_key(i)),
        payload: "{}".into(),
        secret: Some(format!("kode-{i}")),
        run_at: T0,
        max_attempts: 5,
    };
    store_case_with_jobs(db, case, T0, None, None, &[receipt])
        .await
        .unwrap()
}

fn receipt_key(i: usize) -> String {
    format!("receipt-{}", if i == 2 { 1 } else { i })
}

/// A reporter of their own for submission `i`, with an e-mail address for every other one.
fn numbered_reporter(i: usize) -> Reporter {
    Reporter {
        name: Some(format!("Warga {i}")),
        phone: Some(aduan_domain::Phone::parse(&format!("0812{:08}", 1000 + i)).unwrap()),
        email: i
            .is_multiple_of(2)
            .then(|| aduan_domain::Email::parse(&format!("warga{i}@contoh.id")).unwrap()),
        ..Default::default()
    }
}

fn reporter_number(reporter: &Reporter) -> usize {
    let name = reporter.name.as_deref().unwrap();
    name.trim_start_matches("Warga ").parse().unwrap()
}

/// On PostgreSQL a search for words its statistics do not track sorts the matches from the
/// text index, one for common words walks the cases (`search_plan`), each with a statement of
/// its own once the statistics exist (`pinned_plans`); the pages must be the same.
#[tokio::test]
async fn searches_for_rare_and_common_words_page_like_the_cases_they_match() {
    let db = fresh().await;
    let mut rare = Vec::new();
    let mut common = Vec::new();
    for i in 0..60_i64 {
        let mut case = new_case(Kind::Complaint, "rusun", Reporter::default());
        case.description = if i % 20 == 7 {
            "Jalan lingkungan berlubang dan air menggenang di depan rusun.".into()
        } else {
            "Air bersih di rusun mati sejak pagi, warga antre membeli air galon setiap hari \
             dan pengelola belum menjawab surat pengurus paguyuban penghuni blok timur."
                .into()
        };
        let record = store_case(&db, case, T0 + Duration::minutes(i), None, None)
            .await
            .unwrap();
        if i % 20 == 7 {
            rare.push(record.id);
        } else {
            common.push(record.id);
        }
    }
    // The statistics now track the common words only: "lubang" is in 3 of 60 cases, below
    // what PostgreSQL's sample of the words keeps.
    db.store.analyze().await.unwrap();
    for (words, expected) in [
        ("berlubang", rare.clone()),
        ("lubang air", rare.clone()),
        ("paguyuban penghuni", common.clone()),
    ] {
        for sort in [CaseSort::Newest, CaseSort::Oldest] {
            let mut expected = expected.clone();
            if sort == CaseSort::Newest {
                expected.reverse();
            }
            let mut seen = Vec::new();
            let mut cursor = None;
            loop {
                let filter = CaseFilter {
                    text: aduan_domain::search::query_terms(words),
                    sort,
                    cursor_id: cursor,
                    limit: 2,
                    ..Default::default()
                };
                let page = db.store.list_cases(&Scope::All, &filter).await.unwrap();
                seen.extend(page.iter().map(|c| c.id));
                match page.last() {
                    Some(last) if page.len() == 2 => cursor = Some(last.id),
                    _ => break,
                }
            }
            assert_eq!(seen, expected, "{words} ({sort:?}), page by page");
        }
    }
    let none = CaseFilter {
        text: aduan_domain::search::query_terms("sertifikat"),
        limit: 20,
        ..Default::default()
    };
    assert!(
        db.store
            .list_cases(&Scope::All, &none)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Several words on PostgreSQL are walked only as far as their estimated matches would cost,
/// and their matches are collected when that walk does not fill the page
/// (`SearchPath::WalkWithin`). Words that always come together fill it early; words that
/// almost never do are found past the walk's end. The pages must be the same either way.
#[tokio::test]
async fn searches_for_several_words_find_matches_past_a_bounded_walk() {
    let db = fresh().await;
    const CASES: usize = 1_200;
    let text = |i: usize| match i % 10 {
        // Both words of the rare pair, only among the oldest cases.
        _ if i < 100 && i % 40 == 3 => "Atap runtuh dan dinding rumah ikut retak.",
        0..=2 => "Air bersih tidak mengalir, atap rumah bocor setiap hujan.",
        3..=5 => "Dinding rumah retak setelah gempa kecil semalam.",
        _ => "Jalan lingkungan rusak dan lampu penerangan padam.",
    };
    let mut ids: Vec<(usize, i64)> = Vec::new();
    for wave in 0..CASES / 100 {
        let storing = (wave * 100..(wave + 1) * 100).map(|i| {
            let mut case = new_case(Kind::Complaint, "rusun", Reporter::default());
            case.description = text(i).into();
            let at = T0 + Duration::minutes(i64::try_from(i).unwrap());
            let db = &db;
            async move { (i, store_case(db, case, at, None, None).await.unwrap().id) }
        });
        ids.extend(futures_util::future::join_all(storing).await);
    }
    db.store.analyze().await.unwrap();
    let matching = |words: &str| {
        let wanted = aduan_domain::search::query_terms(words);
        let mut found: Vec<i64> = ids
            .iter()
            .filter(|(i, _)| {
                let terms = aduan_domain::search::query_terms(text(*i));
                wanted.iter().all(|w| terms.contains(w))
            })
            .map(|(_, id)| *id)
            .collect();
        found.sort_unstable();
        found
    };
    let together = matching("air bersih");
    let apart = matching("atap dinding");
    assert_eq!((together.len(), apart.len()), (360, 3));
    for (words, expected) in [("air bersih", together), ("atap dinding", apart)] {
        let filter = CaseFilter {
            text: aduan_domain::search::query_terms(words),
            limit: 2,
            ..Default::default()
        };
        let path = db.store.search_path(&filter).await;
        if db.pg_name.is_some() {
            // Each word is in 30% of the cases: 9% together if independent, so the walk
            // reads at most 540 of the 1,200 cases.
            assert!(
                matches!(path, SearchPath::WalkWithin(n) if n < 1_000),
                "{words}: {path:?}"
            );
        } else {
            assert_eq!(path, SearchPath::Walk, "SQLite walks its text index");
        }
        for sort in [CaseSort::Newest, CaseSort::Oldest] {
            let mut expected = expected.clone();
            if sort == CaseSort::Newest {
                expected.reverse();
            }
            let filter = CaseFilter {
                sort,
                ..filter.clone()
            };
            let seen = page_through(&db, &Scope::All, &filter).await;
            assert_eq!(seen, expected, "{words} ({sort:?}), page by page");
        }
    }
}

fn job(key: Option<&str>, at: OffsetDateTime) -> NewJob {
    NewJob {
        kind: "email".into(),
        case_id: None,
        dedup_key: key.map(str::to_string),
        payload: r#"{"template":"received"}"#.into(),
        secret: Some("K7QM-4XRT-P9AB".into()),
        run_at: at,
        max_attempts: 3,
    }
}

#[tokio::test]
async fn jobs_are_leased_retried_failed_and_deduplicated() {
    let db = fresh().await;
    let store = &db.store;
    store
        .enqueue(&[job(Some("once"), T0), job(None, T0 + Duration::hours(1))])
        .await
        .unwrap();
    // The same key again is skipped, even after the first finished.
    store.enqueue(&[job(Some("once"), T0)]).await.unwrap();
    let lease = T0 + Duration::minutes(5);
    let claimed = store.claim_jobs("a", T0, lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "only the job due now");
    let first = &claimed[0];
    assert_eq!((first.state, first.attempts), (JobState::Running, 1));
    assert_eq!(first.secret.as_deref(), Some("K7QM-4XRT-P9AB"));
    // Leased: nobody else gets it until the lease ends.
    assert!(
        store
            .claim_jobs("b", T0, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let retry_at = T0 + Duration::seconds(30);
    let outcome = JobOutcome::Retry {
        at: retry_at,
        error: "421 try later".into(),
    };
    assert!(store.finish_job(first.id, "a", outcome, T0).await.unwrap());
    assert!(
        store
            .claim_jobs("b", T0, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.claim_jobs("b", retry_at, lease, 10).await.unwrap();
    assert_eq!((again[0].id, again[0].attempts), (first.id, 2));
    assert_eq!(again[0].last_error.as_deref(), Some("421 try later"));
    // b dies; after the lease, c takes over and b's late answer is ignored.
    let after_lease = lease + Duration::seconds(1);
    let taken = store
        .claim_jobs("c", after_lease, after_lease + Duration::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!((taken[0].id, taken[0].attempts), (first.id, 3));
    assert!(
        !store
            .finish_job(first.id, "b", JobOutcome::Done, after_lease)
            .await
            .unwrap()
    );
    let failed = JobOutcome::Failed {
        error: "550 no such user".into(),
    };
    assert!(
        store
            .finish_job(first.id, "c", failed, after_lease)
            .await
            .unwrap()
    );
    let listed = store.jobs(JobState::Failed, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_error.as_deref(), Some("550 no such user"));
    // An admin retries it: queued at once, attempts afresh; done clears the secret.
    assert!(store.retry_job(first.id, after_lease).await.unwrap());
    assert!(!store.retry_job(first.id, after_lease).await.unwrap());
    let retried = store
        .claim_jobs("d", after_lease, after_lease + Duration::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!((retried[0].id, retried[0].attempts), (first.id, 1));
    assert!(
        store
            .finish_job(first.id, "d", JobOutcome::Done, after_lease)
            .await
            .unwrap()
    );
    let done = store.jobs(JobState::Done, 10).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].secret, None);
    let counts = store.job_counts().await.unwrap();
    assert!(counts.contains(&(JobState::Done, 1)));
    assert!(counts.contains(&(JobState::Queued, 1)));
}

/// Two workers claiming from one queue at the same time never get the same job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_claim_every_job_exactly_once() {
    let db = std::sync::Arc::new(fresh().await);
    let jobs: Vec<NewJob> = (0..300).map(|i| job(Some(&format!("k{i}")), T0)).collect();
    db.store.enqueue(&jobs).await.unwrap();
    let worker = |name: &'static str| {
        let db = db.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let claimed = db
                    .store
                    .claim_jobs(name, T0, T0 + Duration::minutes(5), 7)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    break;
                }
                for job in claimed {
                    seen.push(job.id);
                    assert!(
                        db.store
                            .finish_job(job.id, name, JobOutcome::Done, T0)
                            .await
                            .unwrap()
                    );
                }
            }
            seen
        })
    };
    let (a, b) = (worker("a"), worker("b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert!(
        !a.is_empty() && !b.is_empty(),
        "both workers took part: {} / {}",
        a.len(),
        b.len()
    );
    let mut all: Vec<i64> = a.into_iter().chain(b).collect();
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!((before, all.len()), (300, 300));
}

#[tokio::test]
async fn the_watch_reads_only_cases_due_and_on_time_counts_breaches() {
    let db = fresh().await;
    let late = create(&db, Kind::Complaint, "rusun", T0, None).await;
    let prompt = create(&db, Kind::Complaint, "rusun", T0, None).await;
    let due = late.workflow.due_at.unwrap();
    let first_check = aduan_domain::watch::next_check(&late.workflow, &org(), &calendar()).unwrap();
    assert!(first_check < due, "a reminder comes before the due time");
    assert!(db.store.cases_to_check(T0, 10).await.unwrap().is_empty());
    let to_check = db.store.cases_to_check(first_check, 10).await.unwrap();
    assert_eq!(to_check.len(), 2);
    db.store
        .set_next_check(late.id, late.last_seq, Some(due + Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(
        db.store.cases_to_check(first_check, 10).await.unwrap(),
        vec![prompt.ticket.clone()]
    );
    // One case verified in time, one after its due time; both then rejected.
    let verify = Action::Verify { category: None };
    let prompt = act(
        &db,
        &prompt,
        verify.clone(),
        &coordinator(),
        T0 + Duration::hours(2),
    )
    .await;
    let late = act(&db, &late, verify, &coordinator(), due + Duration::hours(1)).await;
    assert_eq!(late.workflow.breached_at, Some(due));
    let reject = Action::Reject {
        reason: aduan_domain::lifecycle::RejectReason::OutOfScope,
        note: None,
    };
    let end = due + Duration::days(1);
    act(
        &db,
        &prompt,
        reject.clone(),
        &coordinator(),
        T0 + Duration::hours(3),
    )
    .await;
    let counts = db
        .store
        .on_time(None, T0, end + Duration::days(1))
        .await
        .unwrap();
    assert_eq!((counts.closed, counts.closed_on_time), (1, 1));
    assert_eq!(counts.open_overdue, 1, "the late case is still open");
    act(&db, &late, reject, &coordinator(), end).await;
    let counts = db
        .store
        .on_time(None, T0, end + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        (counts.closed, counts.closed_on_time, counts.open_overdue),
        (2, 1, 0)
    );
    // Seen from a period that ended before the late one closed: it was open and overdue then.
    let counts = db
        .store
        .on_time(None, T0, end - Duration::hours(1))
        .await
        .unwrap();
    assert_eq!((counts.closed, counts.open_overdue), (1, 1));
}

/// The counters behind the backlog and the monthly figures follow every change, agree with
/// counting the table, and survive a recount.
#[tokio::test]
async fn counters_follow_every_change_and_match_a_recount() {
    let db = fresh().await;
    let wib = offset!(+7);
    db.store.prepare_counts(wib).await.unwrap();
    let c = coordinator();
    let march = T0;
    let april = datetime!(2026-04-10 10:00 +7);
    // Received on 31 March at 23:30 WIB: already April in UTC+8, still March in WIB.
    let month_edge = datetime!(2026-03-31 23:30 +7);
    let mut cases = Vec::new();
    for (i, at) in [march, march, april, month_edge, april]
        .into_iter()
        .enumerate()
    {
        let category = ["rusun", "swadaya"][i % 2];
        cases.push(create(&db, Kind::Complaint, category, at, None).await);
    }
    let verified = act(&db, &cases[0], Action::Verify { category: None }, &c, march).await;
    act(
        &db,
        &verified,
        Action::Dispose {
            lead_unit: "rusun".into(),
            supporting_units: vec![],
            instruction: "x".into(),
            due_date: None,
        },
        &c,
        march,
    )
    .await;
    let reject = Action::Reject {
        reason: aduan_domain::lifecycle::RejectReason::OutOfScope,
        note: None,
    };
    act(&db, &cases[2], reject, &c, april).await;
    act(&db, &cases[3], Action::Verify { category: None }, &c, april).await;

    let month = |y: i32, m: u8| {
        let first = time::Date::from_calendar_date(y, m.try_into().unwrap(), 1).unwrap();
        first.midnight().assume_offset(wib)
    };
    let counted = |rows: Vec<aduan_store::PeriodRow>| {
        let mut rows: Vec<_> = rows
            .into_iter()
            .filter(|r| r.count != 0)
            .map(|r| (r.kind, r.category, r.channel, r.state, r.count))
            .collect();
        rows.sort();
        rows
    };
    let now = datetime!(2026-06-01 12:00 +7);
    let mut before = Vec::new();
    for (from, to) in [
        (month(2026, 3), month(2026, 4)),
        (month(2026, 4), month(2026, 5)),
    ] {
        // Whole months come from the counters; a period one microsecond shorter scans the table.
        let from_counts = counted(db.store.period_counts(None, from, to).await.unwrap());
        let scanned = counted(
            db.store
                .period_counts(None, from, to - Duration::microseconds(1))
                .await
                .unwrap(),
        );
        assert_eq!(from_counts, scanned);
        before.push(from_counts);
    }
    let march_total: i64 = before[0].iter().map(|r| r.4).sum();
    assert_eq!(
        march_total, 3,
        "two cases on 2 March and one late on 31 March (WIB)"
    );
    let scoped = db
        .store
        .period_counts(Some(&["rusun".to_string()]), month(2026, 3), month(2026, 4))
        .await
        .unwrap();
    assert_eq!(
        counted(scoped)
            .iter()
            .map(|r| (r.3, r.4))
            .collect::<Vec<_>>(),
        vec![(State::Dispositioned, 1)],
        "a unit sees only the cases it leads"
    );
    let backlog = |rows: Vec<aduan_store::BacklogRow>| {
        let mut rows: Vec<_> = rows
            .into_iter()
            .map(|r| (r.unit, r.state, r.open, r.overdue))
            .collect();
        rows.sort();
        rows
    };
    let open_before = backlog(db.store.backlog(None, now).await.unwrap());
    let open_total: i64 = open_before.iter().map(|r| r.2).sum();
    assert_eq!(open_total, 4, "five cases, one rejected");
    assert!(open_before.iter().all(|r| r.3 <= r.2));

    // A recount in another time zone moves the late-March case into April; back in WIB the
    // recount gives exactly what the running counters said.
    db.store.prepare_counts(offset!(+8)).await.unwrap();
    let at8 = |y, m| {
        time::Date::from_calendar_date(y, m, 1)
            .unwrap()
            .midnight()
            .assume_offset(offset!(+8))
    };
    let march8 = db
        .store
        .period_counts(
            None,
            at8(2026, time::Month::March),
            at8(2026, time::Month::April),
        )
        .await
        .unwrap();
    assert_eq!(march8.iter().map(|r| r.count).sum::<i64>(), 2);
    db.store.prepare_counts(wib).await.unwrap();
    for (i, (from, to)) in [
        (month(2026, 3), month(2026, 4)),
        (month(2026, 4), month(2026, 5)),
    ]
    .into_iter()
    .enumerate()
    {
        let recounted = counted(db.store.period_counts(None, from, to).await.unwrap());
        assert_eq!(recounted, before[i]);
    }
    assert_eq!(
        backlog(db.store.backlog(None, now).await.unwrap()),
        open_before
    );

    // Another handle on the same database keeps counting without a recount of its own.
    let other = SqlStore::connect(&db.url).await.unwrap();
    create(
        &Db {
            store: other,
            url: db.url.clone(),
            _dir: None,
            pg_name: None,
        },
        Kind::InfoRequest,
        "rusun",
        april,
        None,
    )
    .await;
    let april_rows = db
        .store
        .period_counts(None, month(2026, 4), month(2026, 5))
        .await
        .unwrap();
    assert_eq!(
        april_rows.iter().map(|r| r.count).sum::<i64>(),
        3,
        "two April cases and the one the other handle created"
    );
}

fn lapor_source(id: &str) -> ExternalSource {
    ExternalSource {
        system: "lapor".into(),
        id: id.into(),
        link: None,
        sent_at: None,
        attachments: vec!["foto.jpg".into()],
    }
}

#[tokio::test]
async fn an_item_of_another_system_makes_or_joins_one_case_only() {
    let db = fresh().await;
    let source = lapor_source("4512337");
    let first = create_from(&db, Kind::Complaint, "rusun", T0, None, Some(&source))
        .await
        .unwrap();
    assert_eq!(first.details.source.as_ref(), Some(&source));
    let again = create_from(&db, Kind::Complaint, "rusun", T0, None, Some(&source)).await;
    assert!(
        matches!(again, Err(StoreError::Duplicate("source"))),
        "{again:?}"
    );
    assert_eq!(
        db.store.sourced_case("lapor", "4512337").await.unwrap(),
        Some(first.ticket.clone())
    );
    assert_eq!(db.store.sourced_case("lapor", "999").await.unwrap(), None);
    assert_eq!(db.store.sourced_case("x", "4512337").await.unwrap(), None);
    // The failed duplicate left no case behind.
    let all = db
        .store
        .list_cases(
            &Scope::All,
            &CaseFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 1);

    // A message joins the case once; the same message again writes nothing.
    let message = ExternalSource {
        system: "whatsapp".into(),
        id: "wamid.1".into(),
        ..lapor_source("")
    };
    let org = org();
    let cal = calendar();
    let at = T0 + Duration::hours(2);
    let events = decide(
        &first.workflow,
        &Action::Message {
            text: "Ada kabar?".into(),
        },
        &coordinator(),
        &Context {
            now: at,
            org: &org,
            calendar: &cal,
            ticket: &first.ticket,
            channel: Some(Channel::Social),
        },
    )
    .unwrap();
    let update = || CaseUpdate {
        after: &first.workflow,
        events: &events,
        jobs: &[],
        next_check_at: None,
        source: Some(&message),
    };
    let joined = db.store.commit(&first, update()).await.unwrap();
    assert_eq!(joined.last_seq, 2);
    let twice = db.store.commit(&joined, update()).await;
    assert!(
        matches!(twice, Err(StoreError::Duplicate("source"))),
        "{twice:?}"
    );
    let stored = db.store.events(first.id, false).await.unwrap();
    assert_eq!(stored.len(), 2, "the duplicate added no event");
    assert_eq!(
        db.store.sourced_case("whatsapp", "wamid.1").await.unwrap(),
        Some(first.ticket.clone())
    );

    // What goes back to LAPOR!: public events of the chosen types since a time, with its id.
    let verified = act(
        &db,
        &joined,
        Action::Verify { category: None },
        &coordinator(),
        at + Duration::hours(1),
    )
    .await;
    let other = create(&db, Kind::Complaint, "rusun", T0, None).await;
    act(
        &db,
        &other,
        Action::Verify { category: None },
        &coordinator(),
        at + Duration::hours(1),
    )
    .await;
    let updates = db
        .store
        .source_updates("lapor", T0, &["verified", "message_received"], 100)
        .await
        .unwrap();
    assert_eq!(
        updates.len(),
        1,
        "internal messages and other cases stay out"
    );
    assert_eq!(updates[0].external_id, "4512337");
    assert_eq!(updates[0].ticket, verified.ticket);
    assert_eq!(updates[0].event.event.change.code(), "verified");
    let later = db
        .store
        .source_updates("lapor", at + Duration::hours(2), &["verified"], 100)
        .await
        .unwrap();
    assert!(later.is_empty());
}

#[tokio::test]
async fn api_keys_are_issued_found_by_hash_and_revoked() {
    let db = fresh().await;
    let id = db
        .store
        .create_api_key("hash-1", "Aplikasi kota", "admin", T0)
        .await
        .unwrap();
    let dup = db.store.create_api_key("hash-1", "lagi", "admin", T0).await;
    assert!(matches!(dup, Err(StoreError::Duplicate(_))), "{dup:?}");
    let key = db.store.api_key("hash-1").await.unwrap().unwrap();
    assert_eq!(
        (key.id, key.name.as_str(), key.revoked_at),
        (id, "Aplikasi kota", None)
    );
    assert!(db.store.api_key("hash-2").await.unwrap().is_none());
    assert!(
        db.store
            .revoke_api_key(id, T0 + Duration::hours(1))
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .revoke_api_key(id, T0 + Duration::hours(2))
            .await
            .unwrap()
    );
    let key = db.store.api_key("hash-1").await.unwrap().unwrap();
    assert_eq!(key.revoked_at, Some(T0 + Duration::hours(1)));
    assert_eq!(db.store.api_keys().await.unwrap().len(), 1);
}

fn kept_mail(raw: &[u8], reason: &str) -> NewQuarantinedMail {
    NewQuarantinedMail {
        received_at: T0,
        origin: "imap:INBOX".into(),
        reason: reason.into(),
        detail: None,
        message_id: Some("<m1@example.id>".into()),
        sender: Some("warga@example.id".into()),
        subject: Some("Subjek".into()),
        raw: raw.to_vec(),
        raw_sha256: format!("hash-of-{}", String::from_utf8_lossy(raw)),
    }
}

#[tokio::test]
async fn a_mail_kept_again_while_held_is_kept_once() {
    let db = fresh().await;
    let first = db
        .store
        .quarantine_mail(kept_mail(b"raw one", "unreadable"))
        .await
        .unwrap();
    let again = db
        .store
        .quarantine_mail(kept_mail(b"raw one", "unreadable"))
        .await
        .unwrap();
    assert_eq!(first, again, "the same mail fetched twice is one entry");
    let other = db
        .store
        .quarantine_mail(kept_mail(b"raw two", "bounce"))
        .await
        .unwrap();
    assert_ne!(first, other);
    assert_eq!(
        db.store.quarantined_mail("held", 10).await.unwrap().len(),
        2
    );

    // Once resolved, the same mail arriving later is a new entry for the admin to see.
    assert!(
        db.store
            .resolve_quarantined(first, "discarded", "admin", T0)
            .await
            .unwrap()
    );
    let later = db
        .store
        .quarantine_mail(kept_mail(b"raw one", "unreadable"))
        .await
        .unwrap();
    assert!(later != first && later != other);
    let (state, raw) = db.store.quarantined_raw(later).await.unwrap().unwrap();
    assert_eq!((state.as_str(), raw.as_slice()), ("held", &b"raw one"[..]));
}
