//! Files that go out with an answer (uploaded by the unit, published with the answer, never the
//! reporter's own evidence), and related cases linked on both sides.

use crate::helpers::*;
use aduan_domain::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00";

fn part(name: &str, bytes: &[u8]) -> Part {
    Part::bytes(bytes.to_vec())
        .file_name(name.to_string())
        .mime_str("application/octet-stream")
        .unwrap()
}

async fn upload(app: &TestApp, token: &str, ticket: &str, form: Form) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/cases/{ticket}/files")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// A case verified, dispositioned to `rusun` and accepted there.
async fn in_progress(
    app: &TestApp,
    coordinator: &str,
    officer: &str,
    body: &Value,
) -> (String, String) {
    let (ticket, code) = app.submit(body).await;
    app.act_ok(coordinator, &ticket, json!({"action": "verify"}))
        .await;
    app.act_ok(
        coordinator,
        &ticket,
        json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Mohon ditindaklanjuti"}),
    )
    .await;
    app.act_ok(officer, &ticket, json!({"action": "accept"}))
        .await;
    (ticket, code)
}

#[tokio::test]
async fn answer_files_are_published_with_the_answer_and_only_to_those_who_may_see_them() {
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
    let other = app
        .staff("petugas_swadaya", Role::UnitOfficer, Some("swadaya"))
        .await;
    let (ticket, code) = in_progress(&app, &coordinator, &officer, &complaint()).await;

    // Another unit's officer and the coordinator (who does not lead it) may not upload.
    for token in [&other, &coordinator] {
        let response = upload(
            &app,
            token,
            &ticket,
            Form::new().part("files", part("a.pdf", PDF)),
        )
        .await;
        assert!(
            matches!(
                response.status(),
                StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            ),
            "{}",
            response.status()
        );
    }
    // A program dressed as a PDF is refused by content.
    let response = upload(
        &app,
        &officer,
        &ticket,
        Form::new().part("files", part("surat.pdf", b"MZ\x90\x00 not a pdf")),
    )
    .await;
    let (status, _, fields) = error_code(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!fields.is_empty());
    // Nothing at all is refused too.
    let response = upload(
        &app,
        &officer,
        &ticket,
        Form::new().text("note", "tanpa berkas"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let response = upload(
        &app,
        &officer,
        &ticket,
        Form::new()
            .part("files", part("berita-acara.pdf", PDF))
            .part("files", part("foto-lift.png", PNG)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored: Value = response.json().await.unwrap();
    let ids: Vec<i64> = stored
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(stored[0]["content_type"], "application/pdf");
    assert_eq!(stored[1]["content_type"], "image/png");
    assert_eq!(stored[0]["purpose"], "answer");

    // An id that is not an answer file of this case is refused by field.
    let response = app
        .act(
            &officer,
            &ticket,
            json!({"action": "submit_draft", "text": "Jawaban", "attachments": [ids[0], 999_999]}),
        )
        .await;
    let (status, _, fields) = error_code(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields, vec!["attachments"]);

    // Before publication the reporter sees no files.
    let download = |id: i64| {
        app.client
            .get(app.url(&format!("/api/v1/track/{ticket}/files/{id}")))
            .header("X-Access-Code", code.clone())
            .send()
    };
    assert_eq!(
        download(ids[0]).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    app.act_ok(&officer, &ticket, json!({"action": "submit_draft", "text": "Lift telah diperbaiki; berita acara terlampir.", "attachments": ids})).await;
    app.act_ok(&head, &ticket, json!({"action": "approve"}))
        .await;
    let case = app
        .act_ok(&coordinator, &ticket, json!({"action": "approve"}))
        .await;
    assert_eq!(case["state"], "answered");
    assert_eq!(case["answer"]["files"].as_array().unwrap().len(), 2);

    let tracked: Value = app.track(&ticket, &code).await.json().await.unwrap();
    let files = tracked["answer"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["name"], "berita-acara.pdf");
    assert!(
        files[0].get("uploaded_by").is_none(),
        "no staff names to the public: {tracked}"
    );

    let response = download(ids[0]).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), PDF);
    // A wrong code gets nothing.
    let response = app
        .client
        .get(app.url(&format!("/api/v1/track/{ticket}/files/{}", ids[0])))
        .header("X-Access-Code", "AAAA-BBBB-CCCC")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // The case is public: the published page links the files and anyone may download them.
    let page = app
        .client
        .get(app.url("/published"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let link = format!("/published/{ticket}/files/{}", ids[1]);
    assert!(page.contains(&link), "published page lacks {link}");
    let response = app.client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), PNG);
}

#[tokio::test]
async fn the_reporters_evidence_never_goes_out_with_an_answer() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let officer = app
        .staff("petugas_rusun", Role::UnitOfficer, Some("rusun"))
        .await;
    // A case from the portal with a photo of the reporter's ID card.
    let form = Form::new()
        .text("kind", "complaint")
        .text("category", "rusun")
        .text("title", "Atap rusunawa bocor")
        .text(
            "description",
            "Atap blok C rusunawa Marunda bocor setiap hujan deras sejak dua minggu.",
        )
        .text("privacy", "public")
        .text("name", "Siti Aminah")
        .text("phone", "0812-3456-7890")
        .text("consent", "yes")
        .part("attachments", part("ktp.png", PNG));
    let response = app
        .client
        .post(app.url("/report"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    let ticket = page
        .split("ADU-")
        .nth(1)
        .map(|rest| format!("ADU-{}", &rest[..11]))
        .unwrap();
    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    app.act_ok(
        &coordinator,
        &ticket,
        json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Cek"}),
    )
    .await;
    let case = app
        .act_ok(&officer, &ticket, json!({"action": "accept"}))
        .await;
    let evidence = case["attachments"][0]["id"].as_i64().unwrap();
    assert_eq!(case["attachments"][0]["purpose"], "evidence");
    let response = app
        .act(
            &officer,
            &ticket,
            json!({"action": "submit_draft", "text": "Jawaban", "attachments": [evidence]}),
        )
        .await;
    let (status, _, fields) = error_code(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields, vec!["attachments"]);
    // And a public download of evidence is not possible whatever the id.
    let response = app
        .client
        .get(app.url(&format!("/published/{ticket}/files/{evidence}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn related_cases_are_linked_on_both_sides_and_only_within_sight() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let officer = app
        .staff("petugas_rusun", Role::UnitOfficer, Some("rusun"))
        .await;
    let (first, _) = in_progress(&app, &coordinator, &officer, &complaint()).await;
    let (second, _) = app.submit(&complaint()).await;
    let (third, _) = app.submit(&complaint()).await;

    let case = app
        .act_ok(
            &coordinator,
            &first,
            json!({"action": "link", "ticket": second}),
        )
        .await;
    assert_eq!(case["related"], json!([second]));
    let other: Value = app
        .get_case(&coordinator, &second)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        other["related"],
        json!([first]),
        "the link shows on both cases"
    );
    // Twice is refused, as are itself and a ticket that does not exist.
    let response = app
        .act(
            &coordinator,
            &first,
            json!({"action": "link", "ticket": second}),
        )
        .await;
    assert_eq!(error_code(response).await.1, "already_linked");
    let response = app
        .act(
            &coordinator,
            &second,
            json!({"action": "link", "ticket": first}),
        )
        .await;
    assert_eq!(error_code(response).await.1, "already_linked");
    let response = app
        .act(
            &coordinator,
            &first,
            json!({"action": "link", "ticket": first}),
        )
        .await;
    assert_eq!(error_code(response).await.2, vec!["ticket"]);
    let response = app
        .act(
            &coordinator,
            &first,
            json!({"action": "link", "ticket": "ADU-2026-999999"}),
        )
        .await;
    assert_eq!(error_code(response).await.2, vec!["ticket"]);

    // The unit's officer may link its case only to cases the unit can see.
    let response = app
        .act(&officer, &first, json!({"action": "link", "ticket": third}))
        .await;
    assert_eq!(
        error_code(response).await.2,
        vec!["ticket"],
        "a case outside the unit is not even confirmed to exist"
    );

    // Internal: the reporter's timeline does not show links.
    let case = app
        .act_ok(
            &coordinator,
            &first,
            json!({"action": "unlink", "ticket": second}),
        )
        .await;
    assert_eq!(case["related"], json!([]));
    let other: Value = app
        .get_case(&coordinator, &second)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["related"], json!([]));
    let kinds: Vec<String> = other["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["change"]["type"].as_str().unwrap().to_string())
        .collect();
    assert!(
        kinds.contains(&"linked".to_string()) && kinds.contains(&"unlinked".to_string()),
        "{kinds:?}"
    );
    assert!(
        other["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["change"]["type"] == "linked")
            .all(|e| e["public"] == false)
    );
}
