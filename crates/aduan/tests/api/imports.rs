//! Imports from SP4N-LAPOR! and social media: good rows become cases the coordinator handles in
//! the same workspace, bad rows are reported by line, and importing again duplicates nothing.
//! Updates go back to LAPOR! with public wording only.

use crate::helpers::*;
use aduan_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn import(
    app: &TestApp,
    token: &str,
    what: &str,
    content_type: &str,
    body: &[u8],
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/imports/{what}")))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

async fn import_ok(
    app: &TestApp,
    token: &str,
    what: &str,
    content_type: &str,
    body: &[u8],
) -> Value {
    let response = import(app, token, what, content_type, body).await;
    let status = response.status();
    let report: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

fn lapor_reports() -> Value {
    json!([
        {
            "tracking_id": "4512337",
            "title": "Lift rusunawa Cakung rusak",
            "body": "Lift di blok B rusunawa Cakung sudah tiga minggu tidak berfungsi, warga lansia naik tangga.",
            "event_date": "2026-11-01",
            "classification": "Pengaduan",
            "category": "Perumahan Bersubsidi dan Rumah Susun",
            "province": "DKI Jakarta",
            "city": "Jakarta Timur",
            "anonymous": false,
            "confidential": "tidak",
            "attachments": ["https://lapor.go.id/lampiran/1.jpg"],
            "link": "https://www.lapor.go.id/laporan/detil/4512337",
            "submitted_at": "2026-11-20T09:30:00+07:00",
            "reporter_name": "Siti Aminah",
            "reporter_nik": "3174015708900001",
            "reporter_email": "siti@contoh.id"
        },
        {
            "tracking_id": 4512338,
            "title": "Permohonan data penerima BSPS",
            "body": "Mohon informasi daftar penerima bantuan stimulan perumahan swadaya di Kabupaten Garut tahun 2025.",
            "classification": "Permintaan Informasi",
            "category": "KESEHATAN",
            "reporter_name": "Budi Santoso",
            "reporter_phone": "081234567891"
        },
        {
            "tracking_id": "4512339",
            "title": "x",
            "body": "pendek",
            "classification": "Pujian",
            "lat": "utara"
        },
        "bukan sebuah laporan"
    ])
}

#[tokio::test]
async fn a_lapor_file_makes_cases_once_and_reports_bad_rows_by_line() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let file = serde_json::to_vec(&lapor_reports()).unwrap();

    let report = import_ok(&app, &coordinator, "lapor", "application/json", &file).await;
    assert_eq!(
        (
            report["created"].as_u64(),
            report["already_imported"].as_u64(),
            report["refused"].as_u64()
        ),
        (Some(2), Some(0), Some(2)),
        "{report}"
    );
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows[0]["outcome"], "created");
    let ticket = rows[0]["ticket"].as_str().unwrap().to_string();
    // An unmapped LAPOR! category falls back to the default category.
    assert_eq!(rows[1]["outcome"], "created");
    let bad = &rows[2];
    assert_eq!(
        (bad["line"].as_u64(), bad["outcome"].as_str()),
        (Some(3), Some("refused"))
    );
    let fields: Vec<&str> = bad["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["classification", "lat"], "{bad}");
    assert_ne!(
        bad["fields"][0]["message_id"],
        bad["fields"][0]["message_en"]
    );
    assert_eq!(
        (rows[3]["line"].as_u64(), rows[3]["outcome"].as_str()),
        (Some(4), Some("unreadable"))
    );

    // The same file again makes nothing new and names the cases made the first time.
    let again = import_ok(&app, &coordinator, "lapor", "application/json", &file).await;
    assert_eq!(
        (
            again["created"].as_u64(),
            again["already_imported"].as_u64()
        ),
        (Some(0), Some(2)),
        "{again}"
    );
    assert_eq!(again["rows"][0]["ticket"].as_str(), Some(ticket.as_str()));

    // The case is in the coordinator's workspace like any other, with where it came from.
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["channel"], "lapor");
    assert_eq!(case["category"], "rusun");
    assert_eq!(case["privacy"], "public");
    assert_eq!(case["source"]["system"], "lapor");
    assert_eq!(case["source"]["id"], "4512337");
    assert_eq!(
        case["source"]["attachments"][0],
        "https://lapor.go.id/lampiran/1.jpg"
    );
    assert_eq!(case["reporter"]["nik"], "3174015708900001");
    let listed: Value = app
        .list(&coordinator, "channel=lapor")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );
    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    app.finish().await;
}

#[tokio::test]
async fn a_lapor_csv_from_a_spreadsheet_is_read_with_its_quirks() {
    let app = TestApp::spawn().await;
    let intake = app.staff("loket", Role::Intake, Some("hukmas")).await;
    // A byte order mark, quoted cells with commas and line breaks, a Windows line end, an
    // anonymous report, a row with too few cells and one with an unknown tracking id format.
    let csv = "\u{feff}tracking_id,title,body,classification,category,anonymous,attachments,reporter_name\r\n\
        LAP-1,\"Rumah subsidi retak, bocor\",\"Dinding rumah subsidi di Bekasi retak,\nair masuk saat hujan sejak serah terima.\",Pengaduan,PERMUKIMAN,ya,a.jpg|b.jpg,\r\n\
        LAP-2,Atap rusak\r\n\
        ,Judul tanpa nomor,Uraian yang cukup panjang untuk sebuah laporan warga.,Aspirasi,,tidak,,Warga\r\n";
    let report = import_ok(
        &app,
        &intake,
        "lapor",
        "text/csv; charset=utf-8",
        csv.as_bytes(),
    )
    .await;
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows[0]["outcome"], "created", "{report}");
    assert_eq!(rows[0]["line"].as_u64(), Some(2));
    assert_eq!(rows[1]["outcome"], "refused", "{report}");
    assert_eq!(
        rows[1]["line"].as_u64(),
        Some(4),
        "the quoted line break counts"
    );
    let missing: Vec<&str> = rows[1]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(missing.contains(&"body"), "{missing:?}");
    assert_eq!(rows[2]["outcome"], "refused");
    assert_eq!(rows[2]["fields"][0]["field"], "tracking_id");

    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let ticket = rows[0]["ticket"].as_str().unwrap();
    let case: Value = app
        .get_case(&coordinator, ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["privacy"], "anonymous");
    assert_eq!(case["category"], "swadaya");
    assert_eq!(case["title"], "Rumah subsidi retak, bocor");
    assert_eq!(case["source"]["attachments"], json!(["a.jpg", "b.jpg"]));
    app.finish().await;
}

#[tokio::test]
async fn bad_import_files_and_callers_get_clear_answers() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let monitor = app.staff("pemantau", Role::Monitor, None).await;
    let officer = app.staff("petugas", Role::UnitOfficer, Some("rusun")).await;
    let file = serde_json::to_vec(&lapor_reports()).unwrap();
    for (token, what) in [
        (&monitor, "lapor"),
        (&officer, "lapor"),
        (&monitor, "social"),
    ] {
        let (status, code, _) =
            error_code(import(&app, token, what, "application/json", &file).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::FORBIDDEN, "forbidden")
        );
    }
    let cases: [(&str, &[u8], StatusCode, &str); 5] = [
        (
            "application/json",
            b"",
            StatusCode::BAD_REQUEST,
            "import_empty",
        ),
        (
            "application/json",
            b"{\"tracking_id\": 1}",
            StatusCode::BAD_REQUEST,
            "import_unreadable",
        ),
        (
            "application/json",
            b"[{\"tracking_id\": 1,",
            StatusCode::BAD_REQUEST,
            "import_unreadable",
        ),
        (
            "application/zip",
            b"PK\x03\x04",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unknown_format",
        ),
        (
            "text/csv",
            b"\xef\xbb\xbf  \r\n",
            StatusCode::BAD_REQUEST,
            "import_empty",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let (got, got_code, _) =
            error_code(import(&app, &coordinator, "lapor", content_type, body).await).await;
        assert_eq!(
            (got, got_code.as_str()),
            (status, code),
            "{content_type} {body:?}"
        );
    }
    // Non-UTF-8 text in a CSV cell refuses that row, not the file.
    let latin1 =
        b"tracking_id,title,body\nL-9,Rumah \xe9,Uraian yang cukup panjang untuk sebuah laporan.\n";
    let report = import_ok(&app, &coordinator, "lapor", "text/csv", latin1).await;
    assert_eq!(report["rows"][0]["outcome"], "unreadable", "{report}");
    // More rows than one import takes.
    let many: Vec<Value> = (0..10_001).map(|i| json!({"tracking_id": i})).collect();
    let (status, code, _) = error_code(
        import(
            &app,
            &coordinator,
            "lapor",
            "application/json",
            &serde_json::to_vec(&many).unwrap(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "import_too_many_rows")
    );
    let listed: Value = app.list(&coordinator, "").await.json().await.unwrap();
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was stored"
    );
    app.finish().await;
}

#[tokio::test]
async fn importing_the_same_file_twice_at_once_makes_each_case_once() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let reports: Vec<Value> = (0..30)
        .map(|i| {
            json!({
                "tracking_id": format!("P-{i}"),
                "title": format!("Laporan nomor {i}"),
                "body": "Uraian laporan yang cukup panjang dari SP4N-LAPOR! untuk diuji.",
                "category": "PERMUKIMAN",
                "reporter_name": "Warga"
            })
        })
        .collect();
    let file = serde_json::to_vec(&reports).unwrap();
    let (a, b) = tokio::join!(
        import_ok(&app, &coordinator, "lapor", "application/json", &file),
        import_ok(&app, &coordinator, "lapor", "application/json", &file)
    );
    let created = a["created"].as_u64().unwrap() + b["created"].as_u64().unwrap();
    let again = a["already_imported"].as_u64().unwrap() + b["already_imported"].as_u64().unwrap();
    assert_eq!((created, again), (30, 30), "{a} {b}");
    for i in 0..30 {
        assert_eq!(
            a["rows"][i]["ticket"], b["rows"][i]["ticket"],
            "both imports name the same case for row {i}"
        );
    }
    let listed: Value = app
        .list(&coordinator, "limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(30));
    app.finish().await;
}

#[tokio::test]
async fn social_messages_make_cases_or_join_the_case_they_name() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let intake = app.staff("medsos", Role::Intake, Some("hukmas")).await;
    let (existing, code) = app.submit(&complaint()).await;
    app.act_ok(
        &coordinator,
        &existing,
        json!({"action": "ask_info", "question": "Di lantai berapa?"}),
    )
    .await;
    let messages = json!([
        {"platform": "Instagram", "message_id": "ig-100", "account": "@warga_bekasi",
         "text": "Min, rumah subsidi kami di Bekasi retak semua padahal baru serah terima bulan lalu, tolong dicek",
         "time": "2026-11-27T20:15:00+07:00", "link": "https://instagram.com/p/abc"},
        {"platform": "whatsapp", "message_id": "wamid.200", "account": 6281234567890u64,
         "text": format!("Menjawab pertanyaan untuk tiket {existing}: lift di lantai 5")},
        {"platform": "x", "message_id": "x-300", "account": "@anon", "text": "Tolong cek", "ticket": "ADU-2099-000001"},
        {"platform": "x", "message_id": "x-301", "account": "@pendek", "text": "Halo"}
    ]);
    let file = serde_json::to_vec(&messages).unwrap();
    let report = import_ok(&app, &intake, "social", "application/json", &file).await;
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows[0]["outcome"], "created", "{report}");
    assert_eq!(rows[1]["outcome"], "joined", "{report}");
    assert_eq!(rows[1]["ticket"].as_str(), Some(existing.as_str()));
    assert_eq!(rows[2]["outcome"], "refused");
    assert_eq!(rows[2]["fields"][0]["field"], "ticket");
    assert_eq!(rows[2]["fields"][0]["code"], "not_found");
    assert_eq!(
        rows[3]["outcome"], "refused",
        "too short to be a case: {report}"
    );

    // The new case keeps the account as the contact and is not published without a decision.
    let made = rows[0]["ticket"].as_str().unwrap();
    let case: Value = app.get_case(&coordinator, made).await.json().await.unwrap();
    assert_eq!(case["channel"], "social");
    assert_eq!(case["channel_account"], "@warga_bekasi");
    assert_eq!(case["privacy"], "confidential");
    assert_eq!(case["source"]["system"], "instagram");
    assert_eq!(case["category"], "lainnya");

    // The reply answered the question: the case resumed, and the reporter sees their words.
    let joined: Value = app
        .get_case(&coordinator, &existing)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(joined["state"], "received", "{joined}");
    let tracked: Value = app.track(&existing, &code).await.json().await.unwrap();
    let texts: Vec<&str> = tracked["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(texts.iter().any(|t| t.contains("lantai 5")), "{tracked}");

    // A message on a case that is not waiting is kept for staff only.
    let more = json!([{"platform": "whatsapp", "message_id": "wamid.201", "account": "6281234567890",
        "text": "Terima kasih, ditunggu kabarnya", "ticket": existing}]);
    let report = import_ok(
        &app,
        &intake,
        "social",
        "application/json",
        &serde_json::to_vec(&more).unwrap(),
    )
    .await;
    assert_eq!(report["rows"][0]["outcome"], "joined", "{report}");
    let case: Value = app
        .get_case(&coordinator, &existing)
        .await
        .json()
        .await
        .unwrap();
    let last = case["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["change"]["type"].as_str(), last["public"].as_bool()),
        (Some("message_received"), Some(false)),
        "{last}"
    );
    assert_eq!(last["channel"], "social");
    let tracked: Value = app.track(&existing, &code).await.json().await.unwrap();
    assert!(!tracked.to_string().contains("ditunggu kabarnya"));

    // Importing the export again changes nothing.
    let again = import_ok(&app, &intake, "social", "application/json", &file).await;
    assert_eq!(
        (
            again["created"].as_u64(),
            again["joined"].as_u64(),
            again["already_imported"].as_u64()
        ),
        (Some(0), Some(0), Some(2)),
        "{again}"
    );
    let events_after: Value = app
        .get_case(&coordinator, &existing)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        events_after["events"].as_array().map(Vec::len),
        case["events"].as_array().map(Vec::len)
    );
    app.finish().await;
}

#[tokio::test]
async fn updates_for_lapor_carry_public_wording_and_no_personal_data() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let officer = app
        .staff("petugas_rusun", Role::UnitOfficer, Some("rusun"))
        .await;
    let file = serde_json::to_vec(&lapor_reports()).unwrap();
    let report = import_ok(&app, &coordinator, "lapor", "application/json", &file).await;
    let ticket = report["rows"][0]["ticket"].as_str().unwrap().to_string();
    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    app.act_ok(
        &coordinator,
        &ticket,
        json!({"action": "note", "text": "catatan internal rahasia"}),
    )
    .await;
    app.act_ok(
        &coordinator,
        &ticket,
        json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Mohon cek lift"}),
    )
    .await;
    app.act_ok(&officer, &ticket, json!({"action": "accept"}))
        .await;
    app.act_ok(
        &officer,
        &ticket,
        json!({"action": "submit_draft", "text": "Lift blok B sudah diperbaiki oleh pengelola."}),
    )
    .await;
    let head = app
        .staff("kepala_rusun", Role::UnitHead, Some("rusun"))
        .await;
    app.act_ok(&head, &ticket, json!({"action": "approve"}))
        .await;
    app.act_ok(&coordinator, &ticket, json!({"action": "approve"}))
        .await;

    let response = app
        .client
        .get(app.url("/api/v1/exports/lapor?since=2020-01-01"))
        .bearer_auth(&coordinator)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updates: Value = response.json().await.unwrap();
    let statuses: Vec<&str> = updates
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["diverifikasi", "diproses", "tindak_lanjut"],
        "{updates}"
    );
    assert_eq!(updates[2]["tracking_id"], "4512337");
    assert_eq!(updates[2]["ticket"].as_str(), Some(ticket.as_str()));
    assert_eq!(
        updates[2]["text"],
        "Lift blok B sudah diperbaiki oleh pengelola."
    );
    let text = updates.to_string();
    for secret in [
        "catatan internal",
        "Siti",
        "3174015708900001",
        "siti@contoh.id",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    // The same as CSV for spreadsheet programs, and nothing after today.
    let csv = app
        .client
        .get(app.url("/api/v1/exports/lapor?since=2020-01-01&format=csv"))
        .bearer_auth(&coordinator)
        .send()
        .await
        .unwrap();
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = csv.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xef\xbb\xbftracking_id,ticket,at,status,text"));
    assert_eq!(String::from_utf8_lossy(&bytes).lines().count(), 4);
    let later: Value = app
        .client
        .get(app.url("/api/v1/exports/lapor?since=2099-01-01"))
        .bearer_auth(&coordinator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(later, json!([]));
    let (status, code, fields) = error_code(
        app.client
            .get(app.url("/api/v1/exports/lapor?since=kemarin"))
            .bearer_auth(&coordinator)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str(), fields),
        (
            StatusCode::BAD_REQUEST,
            "invalid_query",
            vec!["since".to_string()]
        )
    );
    let intake = app.staff("loket", Role::Intake, Some("hukmas")).await;
    let forbidden = app
        .client
        .get(app.url("/api/v1/exports/lapor?since=2020-01-01"))
        .bearer_auth(&intake)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn the_import_page_uploads_a_file_and_shows_each_row() {
    let app = TestApp::spawn().await;
    app.staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    app.staff("pemantau", Role::Monitor, None).await;
    let (client, cookie) = staff_session(&app, "koordinator").await;
    let page = client
        .get(app.url("/staff/imports"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("action=\"/staff/imports\""), "{html}");
    let csrf = csrf_of(&html);

    let upload = |csrf: String, name: &'static str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("source", "lapor")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        client
            .post(app.url("/staff/imports"))
            .header("Cookie", &cookie)
            .multipart(form)
            .send()
    };
    let file = serde_json::to_vec(&lapor_reports()).unwrap();
    let response = upload(csrf.clone(), "lapor-november.json", file.clone())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"count-created\">2<"), "{html}");
    assert!(html.contains("id=\"count-refused\">2<"), "{html}");
    assert!(
        html.contains("Klasifikasi") || html.contains("classification: "),
        "the refused field is named"
    );
    assert!(
        html.contains("href=\"/staff/cases/ADU-"),
        "created cases are linked"
    );

    // A file whose name says neither JSON nor CSV, and a forged form, are refused.
    let response = upload(csrf.clone(), "lapor.xlsx", file.clone())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"import-error\"")
    );
    let response = upload("x".repeat(64), "lapor.json", file).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The updates for LAPOR! download as CSV.
    let csv = client
        .get(app.url("/staff/imports/lapor-updates.csv?since=2020-01-01"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.bytes()
            .await
            .unwrap()
            .starts_with(b"\xef\xbb\xbftracking_id")
    );

    // A monitor has no import page.
    let (monitor, monitor_cookie) = staff_session(&app, "pemantau").await;
    let denied = monitor
        .get(app.url("/staff/imports"))
        .header("Cookie", &monitor_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}
