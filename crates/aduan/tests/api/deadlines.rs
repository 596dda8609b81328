//! Deadlines that hold: a case driven through a simulated month by a manual clock, with every
//! due date, reminder, escalation and auto-close, and the messages a real SMTP server on
//! loopback receives. Nothing sleeps: each step sets the clock and runs one worker pass.

use crate::helpers::*;
use crate::smtp::{SmtpServer, unused_addr};
use aduan_domain::Role;
use aduan_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;

fn instant(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}

/// The last instant of a local day in WIB.
fn end_of(date: time::Date) -> OffsetDateTime {
    date.with_hms_nano(23, 59, 59, 999_999_999)
        .unwrap()
        .assume_offset(time::macros::offset!(+7))
}

fn system_events(case: &Value) -> Vec<(String, String)> {
    case["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "system")
        .map(|e| {
            (
                e["change"]["type"].as_str().unwrap().to_string(),
                e["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The tickets of the staff's overdue list, newest first.
async fn overdue_tickets(app: &TestApp, token: &str) -> Vec<String> {
    let list: Value = app.list(token, "overdue=true").await.json().await.unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ticket"].as_str().unwrap().to_string())
        .collect()
}

/// The deadline watch's mark on a case (see `Store::mark_fallen_due`), read from the database.
async fn fell_due(app: &TestApp, ticket: &str) -> bool {
    let mut conn = raw_connection(app).await;
    let mark: i64 =
        sqlx::query_scalar("SELECT CAST(fell_due AS BIGINT) FROM cases WHERE ticket = $1")
            .bind(ticket)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    mark == 1
}

async fn set_fell_due(app: &TestApp, ticket: &str, mark: bool) {
    let mut conn = raw_connection(app).await;
    sqlx::query("UPDATE cases SET fell_due = $1 WHERE ticket = $2")
        .bind(i64::from(mark))
        .bind(ticket)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(fell_due(app, ticket).await, mark);
}

async fn raw_connection(app: &TestApp) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&app.db.url).await.unwrap()
}

fn subjects(mails: &[crate::smtp::Mail]) -> Vec<String> {
    mails.iter().map(|m| m.subject.clone()).collect()
}

#[tokio::test]
async fn a_case_through_a_simulated_month_before_and_after_idulfitri_2026() {
    // Tuesday 17 March 2026, the day before the Nyepi / Idulfitri holidays and cuti bersama.
    let app = TestApp::spawn_at(datetime!(2026-03-17 09:00 +7)).await;
    let smtp = SmtpServer::start();
    let worker = app.worker(Some(smtp.url()));
    app.staff_with_email(
        "koordinator",
        Role::Coordinator,
        Some("hukmas"),
        "koordinator@perumahan.test",
    )
    .await;
    app.staff_with_email(
        "kabag_hukmas",
        Role::UnitHead,
        Some("hukmas"),
        "kabag@perumahan.test",
    )
    .await;
    app.staff_with_email(
        "petugas_rusun",
        Role::UnitOfficer,
        Some("rusun"),
        "petugas.rusun@perumahan.test",
    )
    .await;
    app.staff_with_email(
        "kepala_rusun",
        Role::UnitHead,
        Some("rusun"),
        "kepala.rusun@perumahan.test",
    )
    .await;
    app.staff_with_email("dirjen", Role::Leadership, None, "pimpinan@perumahan.test")
        .await;

    let mut body = complaint();
    body["event_date"] = json!("2026-03-10");
    let (ticket, code) = app.submit(&body).await;
    // An English-speaking reporter, and an anonymous one who left no contact at all.
    let mut english = complaint();
    english["event_date"] = json!("2026-03-10");
    english["language"] = json!("en");
    english["reporter"] = json!({"name": "John Smith", "email": "john@example.com"});
    let (english_ticket, _) = app.submit(&english).await;
    let mut anonymous = complaint();
    anonymous["event_date"] = json!("2026-03-10");
    anonymous["privacy"] = json!("anonymous");
    anonymous["reporter"] = json!({});
    let (anonymous_ticket, _) = app.submit(&anonymous).await;

    let pass = worker.run_once().await.unwrap();
    assert_eq!((pass.watched, pass.failed), (0, 0));
    let receipt = smtp.to("siti@contoh.id");
    assert_eq!(
        subjects(&receipt),
        vec![format!("[{ticket}] Laporan Anda telah kami terima")]
    );
    assert!(
        receipt[0].body.contains(&code),
        "the access code is in the receipt"
    );
    assert!(
        receipt[0]
            .body
            .contains(&format!("https://aduan.test/track/{ticket}"))
    );
    assert!(
        receipt[0].body.contains("2026-03-27"),
        "verification due date: {}",
        receipt[0].body
    );
    assert_eq!(receipt[0].auto_submitted, "auto-generated");
    let english_receipt = smtp.to("john@example.com");
    assert_eq!(
        subjects(&english_receipt),
        vec![format!("[{english_ticket}] We have received your report")]
    );
    assert_eq!(
        smtp.mails().len(),
        2,
        "the anonymous reporter without contact gets nothing"
    );

    // Verification is due three working days later: 18-24 March are holidays and leave.
    let coordinator = app.login("koordinator").await;
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        instant(&case["due_at"]),
        end_of(time::macros::date!(2026 - 03 - 27))
    );
    assert_eq!(case["timeliness"], "on_time");
    for other in [&english_ticket, &anonymous_ticket] {
        app.act_ok(
            &coordinator,
            other,
            json!({"action": "reject", "reason": "duplicate"}),
        )
        .await;
    }
    worker.run_once().await.unwrap();
    assert_eq!(
        subjects(&smtp.to("john@example.com"))[1],
        format!("[{english_ticket}] Your report cannot be followed up")
    );

    // Nothing is due on the Wednesday after the holidays.
    app.clock().set(datetime!(2026-03-25 12:00 +7));
    assert_eq!(worker.run_once().await.unwrap().watched, 0);
    // Thursday at opening time, one working day before the due day: the coordinating unit is reminded.
    app.clock().set(datetime!(2026-03-26 08:00 +7));
    assert_eq!(worker.run_once().await.unwrap().watched, 1);
    let reminder = format!("[{ticket}] Pengingat: batas waktu 2026-03-27");
    assert_eq!(
        subjects(&smtp.to("koordinator@perumahan.test")),
        vec![reminder.clone()]
    );
    assert_eq!(subjects(&smtp.to("kabag@perumahan.test")), vec![reminder]);
    assert_eq!(
        worker.run_once().await.unwrap().watched,
        0,
        "a reminder is sent once"
    );
    // Saturday: the due time has passed, the head of the coordinating unit is alerted.
    app.clock().set(datetime!(2026-03-28 09:00 +7));
    assert_eq!(worker.run_once().await.unwrap().watched, 1);
    let kabag = subjects(&smtp.to("kabag@perumahan.test"));
    assert_eq!(kabag.len(), 2);
    assert_eq!(
        kabag[1],
        format!("[{ticket}] Eskalasi: batas waktu terlewati")
    );
    let coordinator = app.login("koordinator").await;
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["timeliness"], "overdue");
    // A database from before the overdue list's marks, or one the watch has not reached yet:
    // the case is unmarked, and the overdue list finds it all the same; the watch's next
    // pass marks it.
    set_fell_due(&app, &ticket, false).await;
    assert_eq!(
        overdue_tickets(&app, &coordinator).await,
        vec![ticket.clone()]
    );
    assert_eq!(worker.run_once().await.unwrap().watched, 0);
    assert!(fell_due(&app, &ticket).await, "the watch marks the case");
    assert_eq!(
        overdue_tickets(&app, &coordinator).await,
        vec![ticket.clone()]
    );

    // Monday: verified and dispositioned, late. The unit's answer is due five working days
    // later, skipping Good Friday (3 April).
    app.clock().set(datetime!(2026-03-30 10:00 +7));
    let coordinator = app.login("koordinator").await;
    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    let case = app
        .act_ok(
            &coordinator,
            &ticket,
            json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Periksa lift dan laporkan."}),
        )
        .await;
    assert_eq!(
        instant(&case["due_at"]),
        end_of(time::macros::date!(2026 - 04 - 07))
    );
    worker.run_once().await.unwrap();
    assert_eq!(
        subjects(&smtp.to("siti@contoh.id"))[1],
        format!("[{ticket}] Laporan Anda telah diverifikasi")
    );
    let disposition = format!("[{ticket}] Disposisi baru untuk Direktorat Rumah Susun");
    assert_eq!(
        subjects(&smtp.to("petugas.rusun@perumahan.test")),
        vec![disposition.clone()]
    );
    assert_eq!(
        subjects(&smtp.to("kepala.rusun@perumahan.test")),
        vec![disposition]
    );

    app.clock().set(datetime!(2026-04-06 08:00 +7));
    assert_eq!(worker.run_once().await.unwrap().watched, 1);
    assert_eq!(
        subjects(&smtp.to("petugas.rusun@perumahan.test"))[1],
        format!("[{ticket}] Pengingat: batas waktu 2026-04-07")
    );
    app.clock().set(datetime!(2026-04-08 09:00 +7));
    assert_eq!(worker.run_once().await.unwrap().watched, 1);
    assert_eq!(
        subjects(&smtp.to("kepala.rusun@perumahan.test"))[2],
        format!("[{ticket}] Eskalasi: batas waktu terlewati")
    );
    assert!(
        smtp.to("pimpinan@perumahan.test").is_empty(),
        "leadership only after three working days"
    );
    // Three full working days overdue (8-10 April): leadership hears of it.
    app.clock().set(datetime!(2026-04-13 09:00 +7));
    assert_eq!(worker.run_once().await.unwrap().watched, 1);
    let leadership = smtp.to("pimpinan@perumahan.test");
    assert_eq!(leadership.len(), 1);
    assert!(leadership[0].body.contains("Direktorat Rumah Susun"));
    assert!(leadership[0].body.contains("Tingkat eskalasi: 2"));

    // The unit answers; the head and the coordinator approve; the reporter is told.
    app.clock().set(datetime!(2026-04-13 10:00 +7));
    let officer = app.login("petugas_rusun").await;
    let head = app.login("kepala_rusun").await;
    let coordinator = app.login("koordinator").await;
    app.act_ok(&officer, &ticket, json!({"action": "accept"}))
        .await;
    app.act_ok(
        &officer,
        &ticket,
        json!({"action": "submit_draft", "text": "Lift sudah diperbaiki pada 10 April 2026."}),
    )
    .await;
    app.act_ok(&head, &ticket, json!({"action": "approve"}))
        .await;
    let case = app
        .act_ok(&coordinator, &ticket, json!({"action": "approve"}))
        .await;
    assert_eq!(case["state"], "answered");
    // The reporter's window: ten working days.
    assert_eq!(
        instant(&case["due_at"]),
        end_of(time::macros::date!(2026 - 04 - 27))
    );
    worker.run_once().await.unwrap();
    let answered = smtp.to("siti@contoh.id");
    assert_eq!(
        answered[2].subject,
        format!("[{ticket}] Tanggapan atas laporan Anda")
    );
    assert!(
        answered[2]
            .body
            .contains("Lift sudah diperbaiki pada 10 April 2026.")
    );
    assert!(answered[2].body.contains("2026-04-27"));

    // No reaction within the window: the case closes itself.
    app.clock().set(datetime!(2026-04-27 20:00 +7));
    assert_eq!(worker.run_once().await.unwrap().watched, 0);
    app.clock().set(datetime!(2026-04-28 09:00 +7));
    assert_eq!(worker.run_once().await.unwrap().watched, 1);
    let coordinator = app.login("koordinator").await;
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["state"], "closed");
    assert_eq!(case["outcome"], "closed:no_reaction");
    assert_eq!(
        system_events(&case),
        vec![
            ("reminded".to_string(), "remind_before_due".to_string()),
            ("escalated".into(), "escalate_unit_head".into()),
            ("reminded".into(), "remind_before_due".into()),
            ("escalated".into(), "escalate_unit_head".into()),
            ("escalated".into(), "escalate_leadership".into()),
            ("closed".into(), "close_no_reaction".into()),
        ]
    );
    assert_eq!(
        subjects(&smtp.to("siti@contoh.id")),
        vec![
            format!("[{ticket}] Laporan Anda telah kami terima"),
            format!("[{ticket}] Laporan Anda telah diverifikasi"),
            format!("[{ticket}] Tanggapan atas laporan Anda"),
            format!("[{ticket}] Laporan Anda telah ditutup"),
        ]
    );
    // Staff mail never carries the reporter's identity.
    for mail in smtp
        .mails()
        .iter()
        .filter(|m| m.to.iter().all(|t| t.ends_with("@perumahan.test")))
    {
        for secret in ["Siti", "3174015708900001", "812", "siti@contoh.id", &code] {
            assert!(
                !mail.body.contains(secret),
                "{secret} leaked in {}",
                mail.subject
            );
        }
    }
    // Every message was sent once.
    let mut ids: Vec<String> = smtp.mails().iter().map(|m| m.message_id.clone()).collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total);

    // The case finished late: the on-time rate of the period counts it against the agency.
    let leader = app.login("dirjen").await;
    let backlog: Value = app
        .client
        .get(app.url("/api/v1/backlog?from=2026-03-01&to=2026-04-30"))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(backlog["on_time"]["closed"], 3, "{backlog}");
    assert_eq!(backlog["on_time"]["closed_on_time"], 2);
    assert_eq!(backlog["on_time"]["rate_percent"], 66.7);
    app.finish().await;
}

#[tokio::test]
async fn an_smtp_outage_and_a_refused_recipient_keep_mail_in_the_outbox() {
    let app = TestApp::spawn_at(datetime!(2026-06-02 09:00 +7)).await;
    let addr = unused_addr();
    let worker = app.worker(Some(format!("smtp://{addr}")));
    let mut body = complaint();
    body["event_date"] = json!("2026-06-01");
    let (ticket, code) = app.submit(&body).await;
    let pass = worker.run_once().await.unwrap();
    assert_eq!((pass.done, pass.retried), (0, 1), "the server is down");
    // The case itself stands.
    assert_eq!(app.track(&ticket, &code).await.status(), StatusCode::OK);
    app.staff("admin2", Role::Admin, None).await;
    let admin = app.login("admin2").await;
    let queued: Value = app
        .client
        .get(app.url("/api/v1/admin/jobs?state=queued"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queued.as_array().unwrap().len(), 1);
    assert_eq!(queued[0]["template"], "received");
    assert_eq!(queued[0]["ticket"], ticket.as_str());
    assert!(
        queued[0]["last_error"].as_str().unwrap().len() > 5,
        "{queued}"
    );
    assert!(
        !queued.to_string().contains(&code),
        "the access code is never listed"
    );

    // The server comes back; the retry waits for its backoff, then the mail goes once.
    let smtp = SmtpServer::start_on(addr);
    assert_eq!(
        worker.run_once().await.unwrap().done,
        0,
        "not before the backoff"
    );
    app.clock().advance(time::Duration::seconds(31));
    assert_eq!(worker.run_once().await.unwrap().done, 1);
    assert_eq!(smtp.to("siti@contoh.id").len(), 1);
    assert!(smtp.to("siti@contoh.id")[0].body.contains(&code));
    app.clock().advance(time::Duration::hours(2));
    worker.run_once().await.unwrap();
    assert_eq!(smtp.mails().len(), 1);

    // A recipient the server refuses: retried with backoff, then listed as failed.
    body["reporter"]["email"] = json!("ditolak@contoh.id");
    let (refused_ticket, _) = app.submit(&body).await;
    let mut failed = 0;
    for _ in 0..12 {
        failed += worker.run_once().await.unwrap().failed;
        app.clock().advance(time::Duration::hours(1));
    }
    assert_eq!(failed, 1);
    let admin = app.login("admin2").await;
    let listed: Value = app
        .client
        .get(app.url("/api/v1/admin/jobs"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["ticket"], refused_ticket.as_str());
    assert_eq!(listed[0]["attempts"], 10);
    assert!(
        listed[0]["last_error"].as_str().unwrap().contains("550"),
        "{listed}"
    );
    // Other roles cannot see or touch the queue.
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let refused = app
        .client
        .get(app.url("/api/v1/admin/jobs"))
        .bearer_auth(&coordinator)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(refused).await.0, StatusCode::FORBIDDEN);
    let id = listed[0]["id"].as_i64().unwrap();
    let retry = app
        .client
        .post(app.url(&format!("/api/v1/admin/jobs/{id}/retry")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::NO_CONTENT);
    let again = app
        .client
        .post(app.url(&format!("/api/v1/admin/jobs/{id}/retry")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(again).await.0, StatusCode::NOT_FOUND);
    let counts: Value = app
        .client
        .get(app.url("/api/v1/admin/jobs/counts"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (counts["queued"].as_i64(), counts["failed"].as_i64()),
        (Some(1), Some(0))
    );
    app.finish().await;
}

#[tokio::test]
async fn a_crash_between_commit_and_send_sends_the_mail_once_after_restart() {
    let app = TestApp::spawn_at(datetime!(2026-06-02 09:00 +7)).await;
    let smtp = SmtpServer::start();
    let mut body = complaint();
    body["event_date"] = json!("2026-06-01");
    let (ticket, _) = app.submit(&body).await;
    // The process dies after the commit, before any worker ran; another one claimed a job and
    // died before sending.
    let (ticket2, _) = app.submit(&body).await;
    let now = app.aduan().now();
    let store = aduan_store::SqlStore::connect(&app.db.url).await.unwrap();
    let claimed = store
        .claim_jobs("dead-worker", now, now + time::Duration::minutes(5), 1)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    store.close().await;
    let app = app.restart().await;
    let worker = app.worker(Some(smtp.url()));
    assert_eq!(
        worker.run_once().await.unwrap().done,
        1,
        "the unclaimed one goes at once"
    );
    // The dead worker's lease runs out; then its job is sent too.
    app.clock().advance(time::Duration::minutes(6));
    assert_eq!(worker.run_once().await.unwrap().done, 1);
    app.clock().advance(time::Duration::hours(1));
    let again = app.worker(Some(smtp.url()));
    assert_eq!(again.run_once().await.unwrap().done, 0);
    let subjects = subjects(&smtp.to("siti@contoh.id"));
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects.iter().any(|s| s.contains(&ticket)));
    assert!(subjects.iter().any(|s| s.contains(&ticket2)));
    app.finish().await;
}

/// Two workers on one database (run with ADUAN_TEST_BACKEND=postgres for two PostgreSQL
/// sessions): every message goes exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_send_every_message_exactly_once() {
    let app = TestApp::spawn_at(datetime!(2026-06-02 09:00 +7)).await;
    let smtp = SmtpServer::start();
    let mut body = complaint();
    body["event_date"] = json!("2026-06-01");
    let mut tickets = Vec::new();
    for i in 0..30 {
        body["reporter"]["email"] = json!(format!("pelapor{i}@contoh.id"));
        tickets.push(app.submit(&body).await.0);
    }
    let (a, b) = (app.worker(Some(smtp.url())), app.worker(Some(smtp.url())));
    let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.done + rb.done, 30, "{ra:?} {rb:?}");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 30);
    for (i, ticket) in tickets.iter().enumerate() {
        let to = smtp.to(&format!("pelapor{i}@contoh.id"));
        assert_eq!(to.len(), 1);
        assert!(to[0].subject.contains(ticket.as_str()));
    }
    app.finish().await;
}

#[tokio::test]
async fn an_admin_adds_days_off_and_edits_templates_without_a_rebuild() {
    let app = TestApp::spawn_at(datetime!(2026-12-28 09:00 +7)).await;
    let admin = app.staff("admin2", Role::Admin, None).await;
    let send = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = app
            .client
            .request(method, app.url(path))
            .bearer_auth(&admin);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    let calendar: Value = send(reqwest::Method::GET, "/api/v1/admin/calendar", None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calendar["covered_years"], json!([2025, 2026, 2027]));
    // In late 2026 the next year is covered; nothing is missing yet.
    assert_eq!(calendar["missing_years"], json!([]));

    // A case received on Monday 28 December is due on Thursday 31 December...
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let mut body = complaint();
    body["event_date"] = json!("2026-12-20");
    let (before, _) = app.submit(&body).await;
    let case: Value = app
        .get_case(&coordinator, &before)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        instant(&case["due_at"]),
        end_of(time::macros::date!(2026 - 12 - 31))
    );
    // ...until the government adds 30 December as a day off.
    let day = json!({"kind": "day_off", "reason": "Keputusan Presiden: cuti bersama tambahan"});
    let response = send(
        reqwest::Method::PUT,
        "/api/v1/admin/calendar/days/2026-12-30",
        Some(day),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (after, _) = app.submit(&body).await;
    let case: Value = app
        .get_case(&coordinator, &after)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        instant(&case["due_at"]),
        end_of(time::macros::date!(2027 - 01 - 04))
    );
    // Bad days and reasons are refused with the field named.
    let bad = send(
        reqwest::Method::PUT,
        "/api/v1/admin/calendar/days/2026-13-01",
        Some(json!({"kind": "day_off", "reason": "x"})),
    )
    .await
    .unwrap();
    assert_eq!(error_code(bad).await.0, StatusCode::BAD_REQUEST);
    let weekend = send(
        reqwest::Method::PUT,
        "/api/v1/admin/calendar/days/2027-01-02",
        Some(json!({"kind": "day_off", "reason": "Sabtu"})),
    )
    .await
    .unwrap();
    let (status, _, fields) = error_code(weekend).await;
    assert_eq!(
        (status, fields),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["date".to_string()])
    );
    // Only an admin manages the calendar.
    let refused = app
        .client
        .delete(app.url("/api/v1/admin/calendar/days/2026-12-30"))
        .bearer_auth(&coordinator)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(refused).await.0, StatusCode::FORBIDDEN);

    // Templates: an edit with a misspelt variable is refused; a good one is used at once.
    let broken = send(
        reqwest::Method::PUT,
        "/api/v1/admin/email-templates/id/received",
        Some(json!({"subject": "Tiket {{ tiket }}", "body": "Kode {{ access_code }}"})),
    )
    .await
    .unwrap();
    let (status, _, fields) = error_code(broken).await;
    assert_eq!(
        (status, fields),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["subject".to_string()]
        )
    );
    let edited = send(
        reqwest::Method::PUT,
        "/api/v1/admin/email-templates/id/received",
        Some(json!({"subject": "Nomor tiket Anda: {{ ticket }}", "body": "Kode akses: {{ access_code }}\n{{ tracking_url }}"})),
    )
    .await
    .unwrap();
    assert_eq!(edited.status(), StatusCode::OK);
    let templates: Value = edited.json().await.unwrap();
    let received = templates
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "received" && t["language"] == "id")
        .unwrap();
    assert_eq!(received["edited"], true);
    let smtp = SmtpServer::start();
    let worker = app.worker(Some(smtp.url()));
    let (ticket, code) = app.submit(&body).await;
    worker.run_once().await.unwrap();
    let mail = smtp
        .mails()
        .into_iter()
        .find(|m| m.subject.contains(&ticket))
        .unwrap();
    assert_eq!(mail.subject, format!("Nomor tiket Anda: {ticket}"));
    assert!(mail.body.starts_with(&format!("Kode akses: {code}")));
    let reset = send(
        reqwest::Method::DELETE,
        "/api/v1/admin/email-templates/id/received",
        None,
    )
    .await
    .unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    let unknown = send(
        reqwest::Method::DELETE,
        "/api/v1/admin/email-templates/id/nope",
        None,
    )
    .await
    .unwrap();
    assert_eq!(error_code(unknown).await.0, StatusCode::NOT_FOUND);
    app.finish().await;
}
