//! Bad input gets a clear 4xx naming the field, and nothing is stored.

use crate::helpers::*;
use aduan_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn count_cases(app: &TestApp, token: &str) -> usize {
    let page: Value = app.list(token, "limit=200").await.json().await.unwrap();
    page["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn malformed_submissions_are_refused_and_store_nothing() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let with = |path: &[&str], value: Value| {
        let mut body = complaint();
        let mut target = &mut body;
        for key in &path[..path.len() - 1] {
            target = &mut target[*key];
        }
        target[path[path.len() - 1]] = value;
        body
    };
    let cases: Vec<(Value, StatusCode, &str, &str)> = vec![
        (
            with(&["reporter", "nik"], json!("1234567890123456")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "reporter.nik",
        ),
        (
            with(&["reporter", "phone"], json!("+1 202 555 0100")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "reporter.phone",
        ),
        (
            with(&["reporter", "email"], json!("siti@")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "reporter.email",
        ),
        (
            with(&["category"], json!("jalan_tol")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "category",
        ),
        (
            with(&["kind"], json!("pujian")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "kind",
        ),
        (
            with(&["title"], json!("x".repeat(201))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "title",
        ),
        (
            with(&["description"], json!("pendek")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "description",
        ),
        (
            with(&["event_date"], json!("2099-01-01")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "event_date",
        ),
        (
            with(&["location", "lat"], json!(123.0)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "location.lat",
        ),
        (
            with(&["extra"], json!(1)),
            StatusCode::BAD_REQUEST,
            "unknown_field",
            "extra",
        ),
        (
            with(&["reporter", "nickname"], json!("x")),
            StatusCode::BAD_REQUEST,
            "unknown_field",
            "reporter.nickname",
        ),
        (
            with(&["title"], json!(42)),
            StatusCode::BAD_REQUEST,
            "invalid_field",
            "title",
        ),
    ];
    for (body, status, code, field) in cases {
        let (got_status, got_code, fields) = error_code(app.post_case(&body).await).await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "{field}");
        assert!(
            fields.contains(&field.to_string()),
            "{field} not named in {fields:?}"
        );
    }

    let raw = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/cases"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let (status, code, _) = error_code(raw("{\"kind\": ", "application/json").await.unwrap()).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "malformed_json")
    );
    let (status, code, _) = error_code(
        raw("kind=complaint", "application/x-www-form-urlencoded")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let huge = with(&["description"], json!("a".repeat(300_000)));
    let (status, code, _) = error_code(app.post_case(&huge).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    // Hostile strings are stored as text, not interpreted.
    let hostile = with(&["title"], json!("'; DROP TABLE cases; -- <script>"));
    let (ticket, _) = app.submit(&hostile).await;
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["title"], "'; DROP TABLE cases; -- <script>");
    assert_eq!(
        count_cases(&app, &coordinator).await,
        1,
        "only the valid submission was stored"
    );
    app.finish().await;
}

#[tokio::test]
async fn wrong_access_codes_look_like_unknown_tickets_and_are_throttled() {
    let app = TestApp::spawn().await;
    let (ticket, code) = app.submit(&complaint()).await;
    let unknown = app.track("ADU-2026-999999", &code).await;
    let (unknown_status, unknown_body) = (unknown.status(), unknown.text().await.unwrap());
    let wrong = app.track(&ticket, "AAAA-BBBB-CCCC").await;
    assert_eq!(
        (wrong.status(), wrong.text().await.unwrap()),
        (unknown_status, unknown_body.clone())
    );
    assert_eq!(unknown_status, StatusCode::NOT_FOUND);
    let missing = app
        .client
        .get(app.url(&format!("/api/v1/track/{ticket}")))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // The right code still works, also typed in lower case without dashes.
    let relaxed = code.replace('-', "").to_lowercase();
    assert_eq!(app.track(&ticket, &relaxed).await.status(), StatusCode::OK);
    for _ in 0..4 {
        assert_eq!(
            app.track(&ticket, "AAAA-BBBB-CCCC").await.status(),
            StatusCode::NOT_FOUND
        );
    }
    let (status, code_, _) = error_code(app.track(&ticket, &code).await).await;
    assert_eq!(
        (status, code_.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "throttled")
    );
    app.finish().await;
}

#[tokio::test]
async fn forbidden_and_impossible_actions_change_nothing() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let officer = app
        .staff("petugas_rusun", Role::UnitOfficer, Some("rusun"))
        .await;
    let (ticket, _) = app.submit(&complaint()).await;
    let before: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    let attempts: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"action": "dispose", "lead_unit": "rusun", "instruction": "x"}),
            StatusCode::CONFLICT,
            "invalid_state",
        ),
        (
            json!({"action": "approve"}),
            StatusCode::CONFLICT,
            "invalid_state",
        ),
        (
            json!({"action": "reject", "reason": "bosan"}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!({"action": "reject"}),
            StatusCode::BAD_REQUEST,
            "missing_field",
        ),
        (
            json!({"action": "fly"}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!({"action": "accept", "extra": true}),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
        (
            json!({"action": "forward", "agency": "  ", "reason": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"action": "note", "text": "x".repeat(20_001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"action": "accept_answer"}),
            StatusCode::FORBIDDEN,
            "role_not_allowed",
        ),
    ];
    for (action, status, code) in attempts {
        let (got_status, got_code, _) =
            error_code(app.act(&coordinator, &ticket, action.clone()).await).await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "{action}");
    }
    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    let (status, _, fields) = error_code(
        app.act(
            &coordinator,
            &ticket,
            json!({"action": "dispose", "lead_unit": "atlantis", "instruction": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, fields),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["unit".to_string()])
    );
    let (status, code, _) = error_code(
        app.act(&officer, &ticket, json!({"action": "verify"}))
            .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "{code}: an undisposed case is invisible to units"
    );
    let after: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        after["events"].as_array().unwrap().len(),
        before["events"].as_array().unwrap().len() + 1,
        "only the verify was recorded"
    );

    // Integrity cases go only to internal compliance.
    let mut integrity = complaint();
    integrity["category"] = json!("integritas");
    let (ticket, _) = app.submit(&integrity).await;
    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    let (status, code, _) = error_code(
        app.act(
            &coordinator,
            &ticket,
            json!({"action": "dispose", "lead_unit": "rusun", "instruction": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "restricted_category")
    );
    app.finish().await;
}

#[tokio::test]
async fn unknown_routes_methods_and_queries_answer_json_errors() {
    let app = TestApp::spawn().await;
    let token = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let (status, code, _) = error_code(
        app.client
            .get(app.url("/api/v1/nothing"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, code, _) = error_code(
        app.client
            .put(app.url("/api/v1/cases"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    for (query, field) in [
        ("state=open", "state"),
        ("limit=0", "limit"),
        ("from=kemarin", "from"),
        ("cursor=abc", "cursor"),
        ("sort=x", "sort"),
        ("unit=atlantis", "unit"),
    ] {
        let (status, code, fields) = error_code(app.list(&token, query).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{query}"
        );
        assert_eq!(fields, vec![field.to_string()], "{query}");
    }
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/cases/{ticket}/actions"].is_object());
    app.finish().await;
}

/// NUL bytes and other control characters never reach the database (PostgreSQL would refuse
/// them with a server error).
#[tokio::test]
async fn control_characters_are_refused_not_crashed_on() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let mut body = complaint();
    body["reporter"]["name"] = json!("Siti\u{0}Aminah");
    let (status, _, fields) = error_code(app.post_case(&body).await).await;
    assert_eq!(
        (status, fields),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["reporter.name".to_string()]
        )
    );
    let (ticket, _) = app.submit(&complaint()).await;
    let (status, _, fields) = error_code(
        app.act(
            &coordinator,
            &ticket,
            json!({"action": "note", "text": "a\u{0}b"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, fields),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["text".to_string()])
    );
    let login = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "koord\u{0}inator", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
    let path = app
        .client
        .get(app.url("/api/v1/track/ADU-2026-%00"))
        .header("X-Access-Code", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(path.status(), StatusCode::NOT_FOUND);
    app.finish().await;
}

/// Findings of an adversarial client: lenient JSON, unvalidated fields, far-away due dates and
/// non-JSON error bodies.
#[tokio::test]
async fn strict_json_and_bounded_fields() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let intake = app.staff("meja_depan", Role::Intake, Some("hukmas")).await;
    let raw = |body: String| {
        app.client
            .post(app.url("/api/v1/cases"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let (status, code, _) =
        error_code(raw(format!("{} garbage", complaint())).await.unwrap()).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "malformed_json")
    );
    let (status, _, fields) =
        error_code(raw(r#"["complaint","rusun","Judul panjang","Deskripsi yang cukup panjang sekali",null,null,"anonymous","id",null]"#.into()).await.unwrap())
            .await;
    assert_eq!(
        (status, fields),
        (StatusCode::BAD_REQUEST, vec!["body".to_string()])
    );
    let mut located = complaint();
    located["location"] = json!(["Jawa Barat", "Bogor"]);
    let (status, _, fields) = error_code(app.post_case(&located).await).await;
    assert_eq!(
        (status, fields),
        (StatusCode::BAD_REQUEST, vec!["location".to_string()])
    );
    let duplicate = r#"{"kind":"complaint","kind":"aspiration"}"#.to_string();
    assert_eq!(
        raw(duplicate).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let mut ancient = complaint();
    ancient["event_date"] = json!("0000-01-01");
    let (_, _, fields) = error_code(app.post_case(&ancient).await).await;
    assert_eq!(fields, vec!["event_date".to_string()]);

    let (ticket, _) = app.submit(&complaint()).await;
    let response = app
        .client
        .post(app.url(&format!("/api/v1/cases/{ticket}/actions")))
        .bearer_auth(&coordinator)
        .header("content-type", "application/json")
        .body(r#"["verify"]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    let far = json!({"action": "dispose", "lead_unit": "rusun", "instruction": "x", "due_date": "9999-12-31"});
    let (status, _, fields) = error_code(app.act(&coordinator, &ticket, far).await).await;
    assert_eq!(
        (status, fields),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["due_date".to_string()]
        )
    );

    let intake_with = |account: &str, case: Value| {
        app.client
            .post(app.url("/api/v1/intake"))
            .bearer_auth(&intake)
            .json(&json!({"channel": "social", "channel_account": account, "case": case}))
            .send()
    };
    let (status, _, fields) =
        error_code(intake_with("@warga\u{1b}[31m", complaint()).await.unwrap()).await;
    assert_eq!(
        (status, fields),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["channel_account".to_string()]
        )
    );
    let mut nameless = complaint();
    nameless["reporter"]["nik"] = json!("123");
    let (_, _, fields) = error_code(intake_with("@warga", nameless).await.unwrap()).await;
    assert_eq!(fields, vec!["case.reporter.nik".to_string()]);
    let mut unknown = complaint();
    unknown["extra"] = json!(1);
    let (_, _, fields) = error_code(intake_with("@warga", unknown).await.unwrap()).await;
    assert_eq!(fields, vec!["case.extra".to_string()]);

    // axum's own rejections come back as our JSON error too.
    let response = app
        .client
        .get(app.url("/api/v1/track/%ff%fe"))
        .header("X-Access-Code", "x")
        .send()
        .await
        .unwrap();
    let (status, _, _) = error_code(response).await;
    assert!(status.is_client_error());
    app.finish().await;
}

/// Hostile uploads and link requests: each a clear 4xx in both languages, never a 5xx, and
/// nothing is stored.
#[tokio::test]
async fn hostile_uploads_and_links_are_refused_cleanly() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let officer = app
        .staff("petugas_rusun", Role::UnitOfficer, Some("rusun"))
        .await;
    let (ticket, _) = app.submit(&complaint()).await;
    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    app.act_ok(
        &coordinator,
        &ticket,
        json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Cek"}),
    )
    .await;
    app.act_ok(&officer, &ticket, json!({"action": "accept"}))
        .await;
    let url = app.url(&format!("/api/v1/cases/{ticket}/files"));

    // Not multipart at all; a multipart body without its boundary; a truncated one.
    let attempts = [
        ("application/json", b"{\"files\": []}".to_vec()),
        ("multipart/form-data", b"--x\r\n".to_vec()),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 cut".to_vec(),
        ),
    ];
    for (content_type, body) in attempts {
        let response = app
            .client
            .post(&url)
            .bearer_auth(&officer)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, _, _) = error_code(response).await;
        assert!(status.is_client_error(), "{content_type}: {status}");
    }
    // A file name with control characters breaks the part's header: refused as unreadable.
    let part = reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
        .file_name("surat\u{7}\u{1b}.pdf");
    let response = app
        .client
        .post(&url)
        .bearer_auth(&officer)
        .multipart(reqwest::multipart::Form::new().part("files", part))
        .send()
        .await
        .unwrap();
    let (status, _, _) = error_code(response).await;
    assert!(status.is_client_error(), "{status}");
    // A file name that tries to climb folders keeps only its last part.
    let part = reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
        .file_name("../../etc/passwd.pdf");
    let response = app
        .client
        .post(&url)
        .bearer_auth(&officer)
        .multipart(reqwest::multipart::Form::new().part("files", part))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored[0]["name"], "passwd.pdf");

    // Links to hostile tickets; a cursor that would overflow a time.
    for ticket_text in [
        "x".repeat(10_000),
        "ADU-2026-000001\u{0}".into(),
        "' OR 1=1 --".into(),
    ] {
        let response = app
            .act(
                &coordinator,
                &ticket,
                json!({"action": "link", "ticket": ticket_text}),
            )
            .await;
        let (status, _, fields) = error_code(response).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields, vec!["ticket"]);
    }
    for query in [
        "sort=due&cursor=99999999999999999999999999999_1",
        "sort=due&cursor=-5_-5",
        "sort=%00",
    ] {
        let (status, _, _) = error_code(app.list(&coordinator, query).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
    }
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["related"], json!([]));
    assert_eq!(
        case["attachments"].as_array().unwrap().len(),
        1,
        "refused uploads stored nothing: {}",
        case["attachments"]
    );
}
