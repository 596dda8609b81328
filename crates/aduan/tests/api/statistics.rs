//! Statistics over a hand-built October 2026 with known answers: cases open across the
//! period's start, a paused clock, a reopened case, a rejected and a forwarded one, one left
//! overdue at the end and one after it. The same figures come from the JSON and the CSV; unit
//! staff see their units' only; roles without figures are refused.

use crate::helpers::*;
use aduan_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

struct Staff {
    coordinator: String,
    officer: String,
    head: String,
}

async fn submit_at(app: &TestApp, at: OffsetDateTime, title: &str) -> (String, String) {
    app.clock().set(at);
    let mut body = complaint();
    body["title"] = json!(title);
    body["event_date"] = json!("2026-09-01");
    app.submit(&body).await
}

/// Acts as `user` at `at`, with a fresh login (tokens expire as the simulated days pass).
async fn act_at(app: &TestApp, at: OffsetDateTime, user: &str, ticket: &str, action: Value) {
    app.clock().set(at);
    let token = app.login(user).await;
    app.act_ok(&token, ticket, action).await;
}

/// In the hands of `rusun` already: its answer drafted, approved and published at `at`.
async fn answer_at(app: &TestApp, staff: &Staff, ticket: &str, at: OffsetDateTime) {
    app.clock().set(at);
    let coordinator = app.login(&staff.coordinator).await;
    let officer = app.login(&staff.officer).await;
    let head = app.login(&staff.head).await;
    app.act_ok(
        &officer,
        ticket,
        json!({"action": "submit_draft", "text": "Sudah ditindaklanjuti oleh pengelola rusun."}),
    )
    .await;
    app.act_ok(&head, ticket, json!({"action": "approve"}))
        .await;
    app.act_ok(&coordinator, ticket, json!({"action": "approve"}))
        .await;
}

/// Verified at `at` and sent to `rusun`, which takes it up at once.
async fn verify_and_dispose_at(app: &TestApp, staff: &Staff, ticket: &str, at: OffsetDateTime) {
    app.clock().set(at);
    let coordinator = app.login(&staff.coordinator).await;
    let officer = app.login(&staff.officer).await;
    app.act_ok(&coordinator, ticket, json!({"action": "verify"}))
        .await;
    app.act_ok(
        &coordinator,
        ticket,
        json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Mohon ditindaklanjuti"}),
    )
    .await;
    app.act_ok(&officer, ticket, json!({"action": "accept"}))
        .await;
}

async fn feedback_at(app: &TestApp, at: OffsetDateTime, ticket: &str, code: &str, body: Value) {
    app.clock().set(at);
    let response = app
        .client
        .post(app.url(&format!("/api/v1/track/{ticket}/feedback")))
        .header("X-Access-Code", code)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn stats(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/stats?{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The October of the module's comment.
async fn october(app: &TestApp) -> Staff {
    app.staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    app.staff("petugas", Role::UnitOfficer, Some("rusun")).await;
    app.staff("kepala", Role::UnitHead, Some("rusun")).await;
    let staff = Staff {
        coordinator: "koordinator".into(),
        officer: "petugas".into(),
        head: "kepala".into(),
    };
    let c = &staff.coordinator;

    // A: in before October, verified 1 Oct, answered 7 Oct, accepted with 5 on 8 Oct.
    let (a, a_code) = submit_at(app, datetime!(2026-09-28 09:00 +7), "Kasus A lift rusak").await;
    verify_and_dispose_at(app, &staff, &a, datetime!(2026-10-01 10:00 +7)).await;
    answer_at(app, &staff, &a, datetime!(2026-10-07 10:00 +7)).await;
    let accept = |rating: u8| json!({"decision": "accept", "rating": rating});
    feedback_at(app, datetime!(2026-10-08 10:00 +7), &a, &a_code, accept(5)).await;
    // A alleges a failure to provide service, but it came in before October.
    let classify = |forms: &[&str]| json!({"action": "classify", "maladministration": forms});
    act_at(
        app,
        datetime!(2026-10-08 11:00 +7),
        c,
        &a,
        classify(&["no_service"]),
    )
    .await;

    // G: in 1 Oct, verified 2 Oct, answered 9 Oct, objected with 2 on 12 Oct (reopened),
    // answered again 16 Oct, accepted with 4 on 19 Oct.
    let (g, g_code) = submit_at(app, datetime!(2026-10-01 09:00 +7), "Kasus G atap bocor").await;
    verify_and_dispose_at(app, &staff, &g, datetime!(2026-10-02 09:00 +7)).await;
    // G alleges undue delay, and after its objection also a request for money: the last
    // classification stands.
    act_at(
        app,
        datetime!(2026-10-02 09:30 +7),
        c,
        &g,
        classify(&["undue_delay"]),
    )
    .await;
    answer_at(app, &staff, &g, datetime!(2026-10-09 10:00 +7)).await;
    feedback_at(
        app,
        datetime!(2026-10-12 10:00 +7),
        &g,
        &g_code,
        json!({"decision": "object", "rating": 2, "reason": "Atap masih bocor"}),
    )
    .await;
    act_at(
        app,
        datetime!(2026-10-12 11:00 +7),
        c,
        &g,
        classify(&["improper_request", "undue_delay", "improper_request"]),
    )
    .await;
    answer_at(app, &staff, &g, datetime!(2026-10-16 10:00 +7)).await;
    feedback_at(app, datetime!(2026-10-19 10:00 +7), &g, &g_code, accept(4)).await;

    // B: in 5 Oct, rejected 6 Oct.
    let (b, _) = submit_at(app, datetime!(2026-10-05 09:00 +7), "Kasus B laporan ganda").await;
    act_at(
        app,
        datetime!(2026-10-06 09:00 +7),
        c,
        &b,
        json!({"action": "reject", "reason": "duplicate"}),
    )
    .await;

    // C: in 12 Oct, information asked 13 Oct, given 19 Oct, verified 20 Oct, sent to rusun;
    // its answer was due 27 Oct and never came.
    let (cc, c_code) = submit_at(app, datetime!(2026-10-12 09:00 +7), "Kasus C air mati").await;
    act_at(
        app,
        datetime!(2026-10-13 10:00 +7),
        c,
        &cc,
        json!({"action": "ask_info", "question": "Blok dan nomor unit?"}),
    )
    .await;
    app.clock().set(datetime!(2026-10-19 10:00 +7));
    let added = app
        .client
        .post(app.url(&format!("/api/v1/track/{cc}/info")))
        .header("X-Access-Code", &c_code)
        .json(&json!({"text": "Blok C nomor 7"}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::OK);
    act_at(
        app,
        datetime!(2026-10-20 10:00 +7),
        c,
        &cc,
        json!({"action": "verify"}),
    )
    .await;
    act_at(
        app,
        datetime!(2026-10-20 11:00 +7),
        c,
        &cc,
        json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Mohon dicek"}),
    )
    .await;
    act_at(
        app,
        datetime!(2026-10-20 11:30 +7),
        c,
        &cc,
        classify(&["undue_delay"]),
    )
    .await;

    // D: in 26 Oct, forwarded 27 Oct.
    let (d, _) = submit_at(
        app,
        datetime!(2026-10-26 09:00 +7),
        "Kasus D bukan kewenangan",
    )
    .await;
    act_at(
        app,
        datetime!(2026-10-27 09:00 +7),
        c,
        &d,
        json!({"action": "forward", "agency": "Pemprov DKI", "reason": "Kewenangan daerah"}),
    )
    .await;

    // E: in 2 Nov, after the period.
    submit_at(app, datetime!(2026-11-02 09:00 +7), "Kasus E bulan depan").await;
    app.clock().set(datetime!(2026-11-03 09:00 +7));
    staff
}

/// A sheet of a workbook as text cells, as a spreadsheet program would read it.
fn sheet(book: &[u8], name: &str) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let mut workbook: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(book.to_vec())).unwrap();
    let range = workbook.worksheet_range(name).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Float(f) => format!("{f}"),
                    Data::Int(i) => i.to_string(),
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn count_of(list: &Value, key: &str) -> Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|row| row["key"] == key)
        .map_or(json!(null), |row| row["cases"].clone())
}

#[tokio::test]
async fn a_month_of_known_cases_gives_known_figures() {
    let app = TestApp::spawn_at(datetime!(2026-09-28 08:00 +7)).await;
    let staff = october(&app).await;
    let monitor = app.staff("pemantau", Role::Monitor, None).await;
    let coordinator = app.login(&staff.coordinator).await;
    let officer = app.login(&staff.officer).await;

    let report: Value = stats(&app, &monitor, "from=2026-10-01&to=2026-10-31")
        .await
        .json()
        .await
        .unwrap();
    let f = &report["figures"];
    let counts: Vec<&Value> = [
        "received",
        "verified",
        "rejected",
        "forwarded",
        "answered",
        "closed",
        "open_at_end",
        "overdue_at_end",
    ]
    .iter()
    .map(|k| &f[k])
    .collect();
    assert_eq!(
        counts,
        [
            &json!(4),
            &json!(3),
            &json!(1),
            &json!(1),
            &json!(2),
            &json!(4),
            &json!(1),
            &json!(1)
        ],
        "{report:#}"
    );
    // Working days, without the wait for the reporter (C: 6 days, 4 of them waiting).
    assert_eq!(
        f["days_to_verify"],
        json!({"cases": 3, "median": 2, "p90": 3})
    );
    assert_eq!(
        f["days_to_first_answer"],
        json!({"cases": 2, "median": 6, "p90": 7})
    );
    assert_eq!(
        f["days_to_close"],
        json!({"cases": 4, "median": 1, "p90": 12})
    );
    assert_eq!(
        f["on_time"],
        json!({"closed": 4, "closed_on_time": 4, "open_overdue": 1, "rate": 80.0})
    );
    assert_eq!(
        f["satisfaction"],
        json!({"ratings": 3, "average": 3.7, "accepted": 2, "objected": 1, "accepted_share": 66.7})
    );
    assert_eq!(count_of(&f["by_category"], "rusun"), json!(4));
    // Complaints received in October by the maladministration they allege (G and C).
    assert_eq!(f["alleging_maladministration"], json!(2));
    assert_eq!(
        count_of(&f["by_maladministration"], "undue_delay"),
        json!(2)
    );
    assert_eq!(
        count_of(&f["by_maladministration"], "improper_request"),
        json!(1)
    );
    assert_eq!(
        count_of(&f["by_maladministration"], "no_service"),
        json!(null),
        "A came in September"
    );
    // Regions are free text: one written by fewer than 5 cases is counted under "-".
    assert_eq!(count_of(&f["by_region"], "-"), json!(4));
    assert_eq!(count_of(&f["by_region"], "DKI Jakarta"), json!(null));
    assert_eq!(
        count_of(&f["by_channel"], "api"),
        json!(4),
        "submitted over the API"
    );
    let rusun = f["by_unit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == "rusun")
        .unwrap();
    assert_eq!(
        (
            &rusun["received"],
            &rusun["closed"],
            &rusun["open_at_end"],
            &rusun["overdue_at_end"]
        ),
        (&json!(2), &json!(2), &json!(1), &json!(1))
    );
    assert_eq!(
        rusun["on_time"]["rate"],
        json!(null),
        "3 cases are below the minimum of 5"
    );
    let weeks: Vec<(String, u64, u64)> = f["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["week"].as_str().unwrap().to_string(),
                w["received"].as_u64().unwrap(),
                w["closed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        weeks,
        [
            ("2026-09-28".to_string(), 1, 0),
            ("2026-10-05".to_string(), 1, 2),
            ("2026-10-12".to_string(), 1, 0),
            ("2026-10-19".to_string(), 0, 1),
            ("2026-10-26".to_string(), 1, 1),
        ]
    );
    let text = report.to_string();
    for personal in [
        "Siti",
        "3174015708900001",
        "siti@contoh.id",
        "0812",
        "Blok B 12",
    ] {
        assert!(!text.contains(personal), "no personal data: {personal}");
    }

    // The CSV carries the same figures.
    let csv = app
        .client
        .get(app.url("/api/v1/stats/csv?from=2026-10-01&to=2026-10-31"))
        .bearer_auth(&monitor)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let bytes = csv.bytes().await.unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a byte-order mark for spreadsheets"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let value = |section: &str, key: Option<&str>, measure: &str| {
        rows.iter()
            .find(|r| r[0] == section && key.is_none_or(|k| r[1] == k) && r[2] == measure)
            .map(|r| r[3].clone())
            .unwrap_or_else(|| panic!("{section}/{measure} missing"))
    };
    for (measure, json_value) in [
        ("received", &f["received"]),
        ("closed", &f["closed"]),
        ("overdue_at_end", &f["overdue_at_end"]),
        ("days_to_close_p90", &f["days_to_close"]["p90"]),
    ] {
        assert_eq!(value("summary", None, measure), json_value.to_string());
    }
    assert_eq!(value("summary", None, "on_time_rate"), "80.0");
    assert_eq!(value("unit", Some("rusun"), "open_at_end"), "1");
    assert_eq!(value("week", Some("2026-10-05"), "closed"), "2");
    assert_eq!(
        value("maladministration", Some("undue_delay"), "received"),
        "2"
    );
    assert_eq!(value("summary", None, "alleging_maladministration"), "2");

    // The monthly report as a workbook: the summary sheet carries the same figures, and the
    // units sheet the same rows.
    let xlsx = app
        .client
        .get(app.url("/api/v1/reports/monthly/2026-10"))
        .bearer_auth(&monitor)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let book = xlsx.bytes().await.unwrap().to_vec();
    let summary = sheet(&book, "Ringkasan");
    let figure = |label: &str| {
        summary
            .iter()
            .find(|row| row.first().is_some_and(|c| c.starts_with(label)))
            .map(|row| row[1].clone())
            .unwrap_or_else(|| panic!("{label} missing: {summary:?}"))
    };
    assert_eq!(figure("Diterima / Received"), f["received"].to_string());
    assert_eq!(figure("Selesai (ditutup"), f["closed"].to_string());
    assert_eq!(
        figure("Terlambat pada akhir"),
        f["overdue_at_end"].to_string()
    );
    assert_eq!(figure("Hari kerja sampai selesai, persentil 90"), "12");
    assert_eq!(figure("Tingkat ketepatan waktu"), "80");
    assert_eq!(figure("Rata-rata penilaian"), "3.7");
    let units = sheet(&book, "Unit kerja");
    let rusun_row = units.iter().find(|r| r[0] == "rusun").unwrap();
    assert_eq!(rusun_row[2..6], ["2", "2", "1", "1"]);
    let forms = sheet(&book, "Maladministrasi");
    assert!(
        forms.contains(&vec![
            "improper_request".to_string(),
            "Permintaan imbalan uang, barang atau jasa / Request for money, goods or services"
                .to_string(),
            "1".to_string()
        ]),
        "{forms:?}"
    );
    let overdue = sheet(&book, "Terlambat");
    assert!(
        overdue.iter().any(|r| r.iter().any(|c| c == "rusun")),
        "the overdue case is listed: {overdue:?}"
    );
    let workbook_text = format!("{summary:?}{units:?}{overdue:?}");
    assert!(!workbook_text.contains("Siti") && !workbook_text.contains("3174015708900001"));
    // The PDF says the same: its text, read back, carries the summary's figures.
    let pdf = app
        .client
        .get(app.url("/api/v1/reports/monthly/2026-10?format=pdf"))
        .bearer_auth(&monitor)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    let pdf = pdf.bytes().await.unwrap().to_vec();
    assert!(pdf.starts_with(b"%PDF"));
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Laporan Bulanan Pengelolaan Pengaduan / Monthly Report on Complaint Handling".to_string(),
        format!("Diterima / Received {}", f["received"]),
        format!(
            "Terlambat pada akhir periode / Overdue at the period's end {}",
            f["overdue_at_end"]
        ),
        "Tingkat ketepatan waktu (%) / On-time rate (%) 80.0".to_string(),
        "Hari kerja sampai selesai, persentil 90 / Working days to finish, 90th percentile 12"
            .to_string(),
        "Penundaan berlarut / Undue delay 2".to_string(),
    ] {
        assert!(
            text.contains(&expected),
            "{expected} not in the PDF: {text}"
        );
    }
    assert!(!text.contains("Siti") && !text.contains("3174015708900001"));

    let (status, code, _) = error_code(
        app.client
            .get(app.url("/api/v1/reports/monthly/2026-13"))
            .bearer_auth(&monitor)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );

    // Unit staff get their units' cases only; the filters narrow; bad requests are refused.
    let own: Value = stats(&app, &officer, "from=2026-10-01&to=2026-10-31")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["figures"]["received"], 2);
    assert_eq!(own["units_only"], json!(["rusun"]));
    let by_email: Value = stats(
        &app,
        &coordinator,
        "from=2026-10-01&to=2026-10-31&channel=email",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(by_email["figures"]["received"], 0);
    let in_region: Value = stats(
        &app,
        &coordinator,
        "from=2026-10-01&to=2026-10-31&region=dki%20jakarta",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(in_region["figures"]["received"], 4);
    for (query, status, field) in [
        (
            "from=2026-10-31&to=2026-10-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "from",
        ),
        ("from=2026-13-01", StatusCode::UNPROCESSABLE_ENTITY, "from"),
        ("kind=keluhan", StatusCode::UNPROCESSABLE_ENTITY, "kind"),
        ("unit=tidak_ada", StatusCode::UNPROCESSABLE_ENTITY, "unit"),
        ("bogus=1", StatusCode::BAD_REQUEST, "query"),
    ] {
        let (got, _, fields) = error_code(stats(&app, &coordinator, query).await).await;
        assert_eq!(got, status, "{query}");
        assert_eq!(fields, [field], "{query}");
    }
    let intake = app.staff("loket", Role::Intake, Some("hukmas")).await;
    let (status, _, _) = error_code(stats(&app, &intake, "").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The dashboard page shows the same month with its charts, to a monitor too.
    let (client, cookie) = staff_session(&app, "pemantau").await;
    let get = |path: &str| client.get(app.url(path)).header("Cookie", &cookie).send();
    let page = get("/staff/statistik?month=2026-10").await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert_eq!(html.matches("<svg").count(), 4, "four charts");
    assert!(
        html.contains("<strong>80.0%</strong>"),
        "the on-time rate card"
    );
    assert!(
        html.contains("<td>rusun</td><td class=\"num\">2</td>"),
        "the units table"
    );
    let table = html
        .find("id=\"maladministration-table\"")
        .expect("the maladministration table");
    assert!(
        table > html.find("</h1>").unwrap(),
        "in the page's content, not its head"
    );
    assert!(html[table..].contains("<td>Penundaan berlarut</td><td class=\"num\">2</td>"));
    for personal in ["Siti", "3174015708900001", "siti@contoh.id"] {
        assert!(!html.contains(personal), "no personal data: {personal}");
    }
    let filtered = get("/staff/statistik?month=2026-10&channel=email")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(filtered.contains("<option value=\"email\" selected>"));
    let download = get("/staff/statistik/unduh?month=2026-10&format=xlsx")
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert!(
        download.bytes().await.unwrap().starts_with(b"PK"),
        "a zip container"
    );
    let bad = get("/staff/statistik?month=2026-13").await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let (intake_client, intake_cookie) = staff_session(&app, "loket").await;
    let refused = intake_client
        .get(app.url("/staff/statistik"))
        .header("Cookie", &intake_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn the_public_page_hides_small_groups_and_refreshes_hourly() {
    let app = TestApp::spawn_at(datetime!(2026-10-05 09:00 +7)).await;
    for n in 0..6 {
        submit_at(
            &app,
            datetime!(2026-10-05 09:00 +7) + time::Duration::hours(n),
            "Lift rusunawa mati",
        )
        .await;
    }
    app.clock().set(datetime!(2026-10-06 09:00 +7));
    let mut swadaya = complaint();
    swadaya["category"] = json!("swadaya");
    swadaya["event_date"] = json!("2026-09-01");
    app.submit(&swadaya).await;

    app.clock().set(datetime!(2026-11-03 09:00 +7));
    let public = || async {
        app.client
            .get(app.url("/api/v1/public/stats"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let stats = public().await;
    let months = stats["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert_eq!(months[11]["month"], "2026-11");
    assert_eq!(months[10]["month"], "2026-10");
    assert_eq!(
        months[10]["received"],
        json!({"shown": "count", "value": 7})
    );
    assert_eq!(
        months[11]["received"],
        json!({"shown": "count", "value": 0})
    );
    let category = |code: &str| {
        stats["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .map(|c| c["received"].clone())
    };
    // October's 7 less rusun's 6 would give swadaya's one case: rusun is withheld too.
    assert_eq!(category("rusun"), Some(json!({"shown": "withheld"})));
    assert_eq!(
        category("swadaya"),
        Some(json!({"shown": "fewer_than", "value": 5})),
        "one case is not shown as one"
    );
    let text = stats.to_string();
    assert!(!text.contains("Siti") && !text.contains("Lift rusunawa"));

    // Within the hour the figures are served as computed; after it, computed again.
    submit_at(&app, datetime!(2026-11-03 09:30 +7), "Atap bocor lagi").await;
    assert_eq!(public().await["months"][11]["received"]["value"], 0);
    app.clock().set(datetime!(2026-11-03 10:31 +7));
    assert_eq!(
        public().await["months"][11]["received"],
        json!({"shown": "fewer_than", "value": 5})
    );

    let page = app.client.get(app.url("/statistik")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg"), "the monthly chart");
    assert!(html.contains("<td class=\"num\">&#60; 5</td>"), "{html}");
    assert!(html.contains("<td class=\"num\">*</td>"), "{html}");
    assert!(!html.contains("Siti"));
    app.finish().await;
}

#[tokio::test]
async fn the_information_service_report_counts_decisions_grounds_and_objections() {
    let app = TestApp::spawn_at(datetime!(2026-03-02 09:00 +7)).await;
    app.staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    app.staff("petugas", Role::UnitOfficer, Some("hukmas"))
        .await;
    app.staff("kepala", Role::UnitHead, Some("hukmas")).await;
    let request = |title: &str| {
        let mut body = complaint();
        body["kind"] = json!("info_request");
        body["category"] = json!("informasi_umum");
        body["title"] = json!(title);
        body["event_date"] = json!("2026-02-01");
        body
    };
    let take_up = |ticket: String, at: OffsetDateTime| {
        let app = &app;
        async move {
            app.clock().set(at);
            let c = app.login("koordinator").await;
            app.act_ok(&c, &ticket, json!({"action": "verify"})).await;
            app.act_ok(
                &c,
                &ticket,
                json!({"action": "dispose", "lead_unit": "hukmas", "instruction": "Siapkan"}),
            )
            .await;
            let o = app.login("petugas").await;
            app.act_ok(&o, &ticket, json!({"action": "accept"})).await;
        }
    };
    let decide = |ticket: String, at: OffsetDateTime, draft: Value| {
        let app = &app;
        async move {
            app.clock().set(at);
            let o = app.login("petugas").await;
            app.act_ok(&o, &ticket, draft).await;
            let h = app.login("kepala").await;
            app.act_ok(&h, &ticket, json!({"action": "approve"})).await;
            let c = app.login("koordinator").await;
            app.act_ok(&c, &ticket, json!({"action": "approve"})).await;
        }
    };
    // X: refused on 5 March on an exemption ground; objected to; granted in part on 10 March.
    let (x, x_code) = app.submit(&request("Salinan kontrak rusun")).await;
    take_up(x.clone(), datetime!(2026-03-02 10:00 +7)).await;
    decide(
        x.clone(),
        datetime!(2026-03-05 10:00 +7),
        json!({"action": "submit_draft", "text": "Ditolak", "decision": "refused", "exemption": "Pasal 17 huruf h"}),
    )
    .await;
    feedback_at(
        &app,
        datetime!(2026-03-06 10:00 +7),
        &x,
        &x_code,
        json!({"decision": "object", "rating": 1, "reason": "Kontrak adalah informasi publik"}),
    )
    .await;
    decide(
        x.clone(),
        datetime!(2026-03-10 10:00 +7),
        json!({"action": "submit_draft", "text": "Sebagian", "decision": "partly_granted", "exemption": "Pasal 17 huruf h"}),
    )
    .await;
    // Y: extended, then granted on 9 March.
    app.clock().set(datetime!(2026-03-03 09:00 +7));
    let (y, _) = app.submit(&request("Data penerima BSPS")).await;
    let c = app.login("koordinator").await;
    app.act_ok(
        &c,
        &y,
        json!({"action": "extend", "reason": "Data di beberapa unit"}),
    )
    .await;
    take_up(y.clone(), datetime!(2026-03-03 10:00 +7)).await;
    decide(
        y.clone(),
        datetime!(2026-03-09 10:00 +7),
        json!({"action": "submit_draft", "text": "Terlampir", "decision": "granted"}),
    )
    .await;

    app.clock().set(datetime!(2026-12-31 12:00 +7));
    let monitor = app.staff("pemantau", Role::Monitor, None).await;
    let file: Value = app
        .client
        .get(app.url("/api/v1/reports/info-service/2026?format=json"))
        .bearer_auth(&monitor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = &file["report"];
    let figures: Vec<&Value> = [
        "requests",
        "decided",
        "granted",
        "partly_granted",
        "refused",
        "extended",
        "objections",
        "objections_answered",
        "objections_granted_more",
        "pending_at_end",
    ]
    .iter()
    .map(|k| &r[k])
    .collect();
    assert_eq!(
        figures,
        [
            &json!(2),
            &json!(2),
            &json!(1),
            &json!(0),
            &json!(1),
            &json!(1),
            &json!(1),
            &json!(1),
            &json!(1),
            &json!(0)
        ],
        "{file:#}"
    );
    assert_eq!(
        r["exemptions"],
        json!([{"key": "Pasal 17 huruf h", "cases": 1}])
    );
    let days: Vec<&Value> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| &row["working_days"])
        .collect();
    assert_eq!(days, [&json!(3), &json!(4)]);
    assert!(!file.to_string().contains("Siti"), "no personal data");

    let xlsx = app
        .client
        .get(app.url("/api/v1/reports/info-service/2026"))
        .bearer_auth(&monitor)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let book = xlsx.bytes().await.unwrap().to_vec();
    let summary = sheet(&book, "Ringkasan");
    let requests = summary
        .iter()
        .find(|row| row[0] == "Jumlah permohonan informasi / Information requests")
        .map(|row| row[1].clone());
    assert_eq!(requests.as_deref(), Some("2"));
    let listed = sheet(&book, "Permohonan");
    assert_eq!(listed.len(), 3, "a header and two requests: {listed:?}");
    assert!(listed[1].contains(&x) && listed[1].contains(&"Pasal 17 huruf h".to_string()));

    // The PDF has the regulation's parts, the same figures, and every request.
    let pdf = app
        .client
        .get(app.url("/api/v1/reports/info-service/2026?format=pdf"))
        .bearer_auth(&monitor)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.unwrap().to_vec();
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Laporan Layanan Informasi Publik / Public Information Service Report".to_string(),
        "B. Rincian pelayanan informasi publik".to_string(),
        "Jumlah permohonan informasi / Information requests 2".to_string(),
        "Dikabulkan sebagian / Granted in part 0".to_string(),
        "Keberatan yang menambah informasi diberikan / Objections that won more information 1"
            .to_string(),
        "Pasal 17 huruf h 1".to_string(),
        "E. Rekomendasi dan rencana tindak lanjut".to_string(),
        x.clone(),
        y.clone(),
    ] {
        assert!(
            text.contains(&expected),
            "{expected} not in the PDF: {text}"
        );
    }
    assert!(!text.contains("Siti"), "no personal data");
    let (status, _, fields) = error_code(
        app.client
            .get(app.url("/api/v1/reports/info-service/tahun-ini"))
            .bearer_auth(&monitor)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, fields),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["year".to_string()])
    );
    app.finish().await;
}

#[tokio::test]
async fn the_monthly_report_is_mailed_once_on_the_first_working_day() {
    let organisation = aduan_app::config::DEFAULT_ORGANISATION.replace(
        "monthly_recipients = []",
        r#"monthly_recipients = ["pimpinan@perumahan.go.id", "biro.kompu@pu.go.id"]"#,
    );
    let app = TestApp::spawn_with_organisation(&organisation, datetime!(2026-12-14 09:00 +7)).await;
    submit_at(&app, datetime!(2026-12-14 09:00 +7), "Lift rusunawa mati").await;
    let outgoing = crate::smtp::SmtpServer::start();
    let reports = |outgoing: &crate::smtp::SmtpServer| {
        outgoing
            .mails()
            .into_iter()
            .filter(|m| m.subject.starts_with("Laporan Bulanan"))
            .collect::<Vec<_>>()
    };

    // 31 December: the first worker pass this month sends November's report, which was due
    // on 1 December (a worker that was down catches up); December is not over.
    app.clock().set(datetime!(2026-12-31 16:00 +7));
    app.worker(Some(outgoing.url())).run_once().await.unwrap();
    let november = reports(&outgoing);
    assert_eq!(november.len(), 2);
    assert!(november.iter().all(|m| m.subject.contains("2026-11")));
    // 1 January 2027 is a holiday: December's report waits for the first working day.
    app.clock().set(datetime!(2027-01-01 08:00 +7));
    app.worker(Some(outgoing.url())).run_once().await.unwrap();
    assert_eq!(reports(&outgoing).len(), 2);
    // Monday 4 January: December's report, to each recipient, with the workbook.
    app.clock().set(datetime!(2027-01-04 07:00 +7));
    app.worker(Some(outgoing.url())).run_once().await.unwrap();
    let sent: Vec<_> = reports(&outgoing)
        .into_iter()
        .filter(|m| m.subject.contains("2026-12"))
        .collect();
    let mut to: Vec<String> = sent.iter().flat_map(|m| m.to.clone()).collect();
    to.sort_unstable();
    assert_eq!(to, ["biro.kompu@pu.go.id", "pimpinan@perumahan.go.id"]);
    let mail = &sent[0];
    assert!(
        mail.body.contains("Diterima / Received: 1"),
        "{}",
        mail.body
    );
    assert!(mail.auto_submitted.starts_with("auto-"));
    assert_eq!(mail.attachments.len(), 1);
    let (name, book) = &mail.attachments[0];
    assert_eq!(name, "laporan-bulanan-2026-12.xlsx");
    let summary = sheet(book, "Ringkasan");
    assert!(
        summary
            .iter()
            .any(|r| r[0] == "Diterima / Received" && r[1] == "1"),
        "{summary:?}"
    );
    // Later passes that month, or a second worker, send nothing more.
    app.clock().set(datetime!(2027-01-05 07:00 +7));
    app.worker(Some(outgoing.url())).run_once().await.unwrap();
    assert_eq!(reports(&outgoing).len(), 4);
    app.finish().await;
}

#[tokio::test]
async fn the_coordinator_records_the_maladministration_a_complaint_alleges() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let leadership = app.staff("pimpinan", Role::Leadership, None).await;
    let (ticket, code) = app.submit(&complaint()).await;

    // From the case page: the ticked boxes become the list.
    let (client, cookie) = staff_session(&app, "koordinator").await;
    let path = format!("/staff/cases/{ticket}");
    let page = client
        .get(app.url(&path))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"action-classify\""), "{page}");
    assert!(page.contains("value=\"improper_request\""));
    let posted = client
        .post(app.url(&path))
        .header("Cookie", &cookie)
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("action", "classify"),
            ("maladministration", "undue_delay"),
            ("maladministration", "improper_request"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        case["maladministration"],
        json!(["undue_delay", "improper_request"])
    );
    let page = client
        .get(app.url(&path))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-code=\"improper_request\""), "{page}");
    // Clearing every box says it alleges none after all.
    let cleared = client
        .post(app.url(&path))
        .header("Cookie", &cookie)
        .form(&[("csrf", csrf_of(&page).as_str()), ("action", "classify")])
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::SEE_OTHER);
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case.get("maladministration"), None, "{case:#}");

    // The reporter's timeline does not show the classification.
    let tracked = app.track(&ticket, &code).await.text().await.unwrap();
    assert!(!tracked.contains("classified"), "{tracked}");

    // Refusals, each with a clear code.
    let (status, code, fields) = error_code(
        app.act(
            &coordinator,
            &ticket,
            json!({"action": "classify", "maladministration": ["korupsi"]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str(), fields),
        (
            StatusCode::BAD_REQUEST,
            "invalid_field",
            vec!["maladministration".to_string()]
        )
    );
    let (status, code, _) = error_code(
        app.act(
            &leadership,
            &ticket,
            json!({"action": "classify", "maladministration": ["undue_delay"]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "role_not_allowed")
    );
    let mut request = complaint();
    request["kind"] = json!("info_request");
    request["category"] = json!("informasi_umum");
    let (info, _) = app.submit(&request).await;
    let (status, code, _) = error_code(
        app.act(
            &coordinator,
            &info,
            json!({"action": "classify", "maladministration": ["undue_delay"]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "not_complaint")
    );
    app.finish().await;
}
