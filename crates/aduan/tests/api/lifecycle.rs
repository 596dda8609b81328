use crate::helpers::*;
use aduan_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The whole walk of issue #2: create → track → verify → dispose → accept → draft → approve and
/// publish → the reporter rates and accepts; then a restart keeps every case and event.
#[tokio::test]
async fn a_complaint_from_submission_to_closure_survives_a_restart() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let officer = app
        .staff("petugas_rusun", Role::UnitOfficer, Some("rusun"))
        .await;
    let head = app
        .staff("kepala_rusun", Role::UnitHead, Some("rusun"))
        .await;

    let (ticket, code) = app.submit(&complaint()).await;
    assert!(
        ticket.starts_with("ADU-2026-") || ticket.starts_with("ADU-20"),
        "{ticket}"
    );
    assert_eq!(code.len(), 14);

    let tracked: Value = app.track(&ticket, &code).await.json().await.unwrap();
    assert_eq!(tracked["state"], "received");
    assert!(tracked["expected_by"].is_string());

    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    let case = app
        .act_ok(&coordinator, &ticket, json!({"action": "dispose", "lead_unit": "rusun", "supporting_units": ["swadaya"], "instruction": "Mohon dicek ke lokasi"}))
        .await;
    assert_eq!(case["state"], "dispositioned");
    assert_eq!(case["lead_unit"], "rusun");
    app.act_ok(&officer, &ticket, json!({"action": "accept"}))
        .await;
    app.act_ok(
        &officer,
        &ticket,
        json!({"action": "note", "text": "Teknisi lift dijadwalkan Senin"}),
    )
    .await;
    app.act_ok(
        &officer,
        &ticket,
        json!({"action": "submit_draft", "text": "Lift telah diperbaiki pada 20 November."}),
    )
    .await;

    // Policy: the unit head approves before the coordinator may publish.
    let response = app
        .act(&coordinator, &ticket, json!({"action": "approve"}))
        .await;
    let (status, code_, _) = error_code(response).await;
    assert_eq!(
        (status, code_.as_str()),
        (StatusCode::CONFLICT, "unit_head_approval_required")
    );
    app.act_ok(&head, &ticket, json!({"action": "approve"}))
        .await;
    let case = app
        .act_ok(&coordinator, &ticket, json!({"action": "approve"}))
        .await;
    assert_eq!(case["state"], "answered");

    let tracked: Value = app.track(&ticket, &code).await.json().await.unwrap();
    assert_eq!(tracked["state"], "answered");
    assert_eq!(
        tracked["answer"]["text"],
        "Lift telah diperbaiki pada 20 November."
    );
    let public = tracked.to_string();
    assert!(
        !public.contains("Teknisi lift"),
        "internal note leaked: {public}"
    );
    assert!(
        !public.contains("Siti")
            && !public.contains("3174015708900001")
            && !public.contains("+62812"),
        "personal data leaked: {public}"
    );
    assert!(
        !public.contains("petugas_rusun") && !public.contains("koordinator"),
        "staff names leaked"
    );

    let response = app
        .client
        .post(app.url(&format!("/api/v1/track/{ticket}/feedback")))
        .header("X-Access-Code", &code)
        .json(&json!({"decision": "accept", "rating": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tracked: Value = response.json().await.unwrap();
    assert_eq!(tracked["state"], "closed");
    assert_eq!(tracked["rating"], 5);
    assert_eq!(tracked["outcome"], "closed:accepted");

    let before: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    let events = before["events"].as_array().unwrap().len();
    assert_eq!(events, 11, "{before}");

    let app = app.restart().await;
    let coordinator = app.login("koordinator").await;
    let after: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after, before, "the case changed across a restart");
    let (ticket2, _) = app.submit(&complaint()).await;
    assert_ne!(
        ticket2, ticket,
        "ticket numbers must not repeat after a restart"
    );
    app.finish().await;
}

#[tokio::test]
async fn waiting_for_the_reporter_and_objecting() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let head = app
        .staff("kepala_rusun", Role::UnitHead, Some("rusun"))
        .await;
    let (ticket, code) = app.submit(&complaint()).await;

    let case = app
        .act_ok(
            &coordinator,
            &ticket,
            json!({"action": "ask_info", "question": "Blok dan nomor unit?"}),
        )
        .await;
    assert_eq!(case["state"], "waiting_reporter");
    let tracked: Value = app.track(&ticket, &code).await.json().await.unwrap();
    assert_eq!(tracked["question"], "Blok dan nomor unit?");
    let response = app
        .client
        .post(app.url(&format!("/api/v1/track/{ticket}/info")))
        .header("X-Access-Code", &code)
        .json(&json!({"text": "Blok B nomor 12"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tracked: Value = response.json().await.unwrap();
    assert_eq!(tracked["state"], "received");

    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    app.act_ok(
        &coordinator,
        &ticket,
        json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Tindak lanjuti"}),
    )
    .await;
    app.act_ok(&head, &ticket, json!({"action": "accept"}))
        .await;
    app.act_ok(
        &head,
        &ticket,
        json!({"action": "submit_draft", "text": "Sudah diperbaiki."}),
    )
    .await;
    app.act_ok(&coordinator, &ticket, json!({"action": "approve"}))
        .await;

    let object = |reason: &'static str| {
        app.client
            .post(app.url(&format!("/api/v1/track/{ticket}/feedback")))
            .header("X-Access-Code", &code)
            .json(&json!({"decision": "object", "rating": 1, "reason": reason}))
            .send()
    };
    let tracked: Value = object("Belum diperbaiki")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tracked["state"], "in_progress");
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        case["lead_unit"], "rusun",
        "an objection reopens the case to the same unit"
    );
    assert_eq!(case["objections"], 1);
    // Objecting again in the wrong state is refused and changes nothing.
    let (status, code_, _) = error_code(object("lagi").await.unwrap()).await;
    assert_eq!(
        (status, code_.as_str()),
        (StatusCode::CONFLICT, "invalid_state")
    );
    app.finish().await;
}

#[tokio::test]
async fn merged_reporters_follow_the_surviving_case() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let (first, _) = app.submit(&complaint()).await;
    let (duplicate, duplicate_code) = app.submit(&complaint()).await;
    let case = app
        .act_ok(
            &coordinator,
            &duplicate,
            json!({"action": "merge", "into": first}),
        )
        .await;
    assert_eq!(case["state"], "merged");
    let tracked: Value = app
        .track(&duplicate, &duplicate_code)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tracked["ticket"], first.as_str());
    assert_eq!(tracked["merged_from"], duplicate.as_str());
    // Merging into an unknown case or itself is refused.
    let (status, code, fields) = error_code(
        app.act(
            &coordinator,
            &first,
            json!({"action": "merge", "into": first}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str(), fields),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            vec!["into".to_string()]
        )
    );
    app.finish().await;
}

#[tokio::test]
async fn information_requests_need_a_decision_and_may_be_extended_once() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let officer = app
        .staff("petugas_hukmas", Role::UnitOfficer, Some("hukmas"))
        .await;
    let mut request = complaint();
    request["kind"] = json!("info_request");
    request["category"] = json!("informasi_umum");
    let (ticket, _) = app.submit(&request).await;
    assert!(ticket.starts_with("INF-"));
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    let first_final = case["final_due_at"].as_str().unwrap().to_string();
    let case = app
        .act_ok(
            &coordinator,
            &ticket,
            json!({"action": "extend", "reason": "Data tersebar di beberapa unit"}),
        )
        .await;
    assert!(case["final_due_at"].as_str().unwrap() > first_final.as_str());
    let (status, code, _) = error_code(
        app.act(
            &coordinator,
            &ticket,
            json!({"action": "extend", "reason": "lagi"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "extension_used")
    );
    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    app.act_ok(
        &coordinator,
        &ticket,
        json!({"action": "dispose", "lead_unit": "hukmas", "instruction": "Siapkan jawaban"}),
    )
    .await;
    app.act_ok(&officer, &ticket, json!({"action": "accept"}))
        .await;
    let (status, _, fields) = error_code(
        app.act(
            &officer,
            &ticket,
            json!({"action": "submit_draft", "text": "Terlampir"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, fields),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["decision".to_string()]
        )
    );
    let (_, _, fields) = error_code(
        app.act(
            &officer,
            &ticket,
            json!({"action": "submit_draft", "text": "Sebagian", "decision": "partly_granted"}),
        )
        .await,
    )
    .await;
    assert_eq!(fields, vec!["exemption".to_string()]);
    app.act_ok(
        &officer,
        &ticket,
        json!({"action": "submit_draft", "text": "Data terlampir", "decision": "granted"}),
    )
    .await;
    app.finish().await;
}
