//! The portal's submission form as a hostile or careless client might send it: files that lie
//! about their type, too many or too large files; and a good submission with a PDF.

use crate::helpers::*;
use aduan_domain::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

fn form() -> Form {
    Form::new()
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
}

fn file(name: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("image/jpeg")
        .unwrap()
}

async fn post(app: &TestApp, form: Form) -> (StatusCode, String) {
    let response = app
        .client
        .post(app.url("/report"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn files_are_checked_by_content_count_and_size_and_nothing_is_stored_on_refusal() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;

    // A program renamed to look like a photo.
    let (status, page) = post(
        &app,
        form().part("attachments", file("foto.jpg", b"MZ\x90\x00\x03".to_vec())),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("jenis berkas tidak diterima"), "{page}");
    assert!(
        page.contains("Atap rusunawa bocor"),
        "what was typed is kept"
    );
    assert!(page.contains("id=\"attachments-again\""));

    // Six photos.
    let mut six = form();
    for i in 0..6 {
        six = six.part(
            "attachments",
            file(&format!("{i}.jpg"), vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2]),
        );
    }
    let (status, page) = post(&app, six).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("terlalu banyak berkas"));

    // A photo over 10 MB.
    let mut big = vec![0u8; 10 * 1024 * 1024 + 10];
    big[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    let (status, page) = post(&app, form().part("attachments", file("besar.jpg", big))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("berkas terlalu besar"));

    let list: Value = app.list(&coordinator, "").await.json().await.unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing was stored"
    );

    // A real submission with a PDF (named .txt: the content decides) and an empty file input.
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let good = form()
        .part(
            "attachments",
            file("..\\dokumen/surat \"keterangan\".txt", pdf.clone()),
        )
        .part("attachments", file("", Vec::new()));
    let (status, page) = post(&app, good).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"access-code\""));
    let list: Value = app.list(&coordinator, "").await.json().await.unwrap();
    let ticket = list["items"][0]["ticket"].as_str().unwrap().to_string();
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    let files = case["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["content_type"], "application/pdf");
    assert_eq!(files[0]["name"], "surat keterangan.txt");
    assert_eq!(files[0]["size"], pdf.len());
    assert_eq!(files[0]["uploaded_by"], "reporter");
    app.finish().await;
}

#[tokio::test]
async fn the_desk_registers_a_walk_in_case_with_a_scanned_letter() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    app.staff("loket", Role::Intake, Some("hukmas")).await;
    app.staff("petugas", Role::UnitOfficer, Some("rusun")).await;

    // A unit officer has no desk.
    let (client, cookie) = staff_session(&app, "petugas").await;
    let refused = client
        .get(app.url("/staff/intake"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let (client, cookie) = staff_session(&app, "loket").await;
    let page = client
        .get(app.url("/staff/intake"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let scan = b"%PDF-1.4\nsurat pengaduan\n%%EOF\n".to_vec();
    let send = |csrf: String| {
        let form = form()
            .text("csrf", csrf)
            .text("channel", "walk_in")
            .part("attachments", file("surat.pdf", scan.clone()));
        client
            .post(app.url("/staff/intake"))
            .header("cookie", &cookie)
            .multipart(form)
            .send()
    };
    // Without the right CSRF token nothing is stored.
    let forged = send("0".repeat(64)).await.unwrap();
    let forged_status = forged.status();
    assert_eq!(forged_status, StatusCode::FORBIDDEN);
    let list: Value = app.list(&coordinator, "").await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());

    let receipt = send(csrf).await.unwrap();
    assert_eq!(receipt.status(), StatusCode::OK);
    let receipt = receipt.text().await.unwrap();
    assert!(receipt.contains("id=\"access-code\""));
    let list: Value = app.list(&coordinator, "").await.json().await.unwrap();
    let ticket = list["items"][0]["ticket"].as_str().unwrap().to_string();
    assert!(receipt.contains(&ticket));
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["channel"], "walk_in");
    assert_eq!(case["attachments"][0]["uploaded_by"], "loket");
    assert_eq!(case["events"][0]["actor"], "loket");
    app.finish().await;
}

#[tokio::test]
async fn answered_public_cases_are_published_without_personal_data() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let officer = app.staff("petugas", Role::UnitOfficer, Some("rusun")).await;
    let head = app.staff("kepala", Role::UnitHead, Some("rusun")).await;
    let mut tickets = Vec::new();
    for privacy in ["public", "confidential"] {
        let mut body = complaint();
        body["privacy"] = serde_json::json!(privacy);
        body["event_date"] = serde_json::json!("2026-01-10");
        let (ticket, _) = app.submit(&body).await;
        let walk = [
            (&coordinator, serde_json::json!({"action": "verify"})),
            (
                &coordinator,
                serde_json::json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Periksa."}),
            ),
            (&officer, serde_json::json!({"action": "accept"})),
            (
                &officer,
                serde_json::json!({"action": "submit_draft", "text": "Lift diperbaiki. Keluhan lanjutan ke Bu Siti di 0812-3456-7890 atau siti@contoh.id."}),
            ),
            (&head, serde_json::json!({"action": "approve"})),
            (&coordinator, serde_json::json!({"action": "approve"})),
        ];
        for (token, action) in walk {
            app.act_ok(token, &ticket, action).await;
        }
        tickets.push(ticket);
    }
    let page = app
        .client
        .get(app.url("/published?q=lift&category=rusun"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&tickets[0]), "the public case is published");
    assert!(!page.contains(&tickets[1]), "a confidential case never is");
    assert!(page.contains("Lift diperbaiki."));
    assert!(page.contains("[disamarkan]"));
    for personal in [
        "0812-3456-7890",
        "siti@contoh.id",
        "Siti Aminah",
        "3174015708900001",
    ] {
        assert!(!page.contains(personal), "{personal} published");
    }
    let none = app
        .client
        .get(app.url("/published?q=tidakadakatainisamasekali"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!none.contains(&tickets[0]));
    app.finish().await;
}

#[tokio::test]
async fn an_admin_manages_users_calendar_and_templates_from_the_pages() {
    let app = TestApp::spawn().await;
    app.staff("admin2", Role::Admin, None).await;
    app.staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let (client, cookie) = staff_session(&app, "koordinator").await;
    let refused = client
        .get(app.url("/staff/admin"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let (client, cookie) = staff_session(&app, "admin2").await;
    let get = || async {
        client
            .get(app.url("/staff/admin"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let page = get().await;
    assert!(page.contains("id=\"users\"") && page.contains("id=\"templates\""));
    let csrf = csrf_of(&page);
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let mut fields = fields;
        fields.push(("csrf", csrf.clone()));
        client
            .post(app.url(path))
            .header("cookie", &cookie)
            .form(&fields)
            .send()
    };
    let added = post(
        "/staff/admin/users",
        vec![
            ("username", "petugas_baru".into()),
            ("role", "unit_officer".into()),
            ("unit", "rusun".into()),
            ("email", "petugas.baru@perumahan.test".into()),
            ("password", "kata-sandi-panjang-1".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert!(get().await.contains("petugas.baru@perumahan.test"));
    // A unit officer without a unit is refused with the field named.
    let bad = post(
        "/staff/admin/users",
        vec![
            ("username", "tanpa_unit".into()),
            ("role", "unit_officer".into()),
            ("unit", String::new()),
            ("password", "kata-sandi-panjang-1".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("unit: wajib diisi"));

    let day = post(
        "/staff/admin/calendar",
        vec![
            ("date", "2026-12-31".into()),
            ("kind", "day_off".into()),
            ("reason", "Cuti bersama tambahan".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(day.status(), StatusCode::SEE_OTHER);
    assert!(get().await.contains("Cuti bersama tambahan"));
    let bad_day = post(
        "/staff/admin/calendar",
        vec![
            ("date", "31-12-2026".into()),
            ("kind", "day_off".into()),
            ("reason", "x".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(bad_day.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let template = post(
        "/staff/admin/templates",
        vec![
            ("language", "id".into()),
            ("name", "verified".into()),
            ("op", "save".into()),
            ("subject", "Tiket {{ ticket }} sudah diverifikasi".into()),
            ("body", "Halo,\r\nlaporan {{ ticket }} diverifikasi.".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(template.status(), StatusCode::SEE_OTHER);
    assert!(
        get()
            .await
            .contains("Tiket {{ ticket }} sudah diverifikasi")
    );
    let broken = post(
        "/staff/admin/templates",
        vec![
            ("language", "id".into()),
            ("name", "verified".into()),
            ("op", "save".into()),
            ("subject", "{{ tiket".into()),
            ("body", "x".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(broken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A form without the session's token changes nothing.
    let forged = client
        .post(app.url("/staff/admin/calendar/remove"))
        .header("cookie", &cookie)
        .form(&[("date", "2026-12-31"), ("csrf", "palsu")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(get().await.contains("Cuti bersama tambahan"));
    app.finish().await;
}

#[tokio::test]
async fn the_coordinator_writes_the_faq_the_portal_shows() {
    let app = TestApp::spawn().await;
    app.staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    app.staff("petugas", Role::UnitOfficer, Some("rusun")).await;
    let (client, cookie) = staff_session(&app, "petugas").await;
    let refused = client
        .get(app.url("/staff/faq"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let (client, cookie) = staff_session(&app, "koordinator").await;
    let page = client
        .get(app.url("/staff/faq"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let save = |question: &str| {
        client
            .post(app.url("/staff/faq"))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("id", "0"),
                ("op", "save"),
                ("question_id", question),
                ("answer_id", "Paling lambat 3 hari kerja setelah diterima."),
                ("question_en", "How long does verification take?"),
                ("answer_en", "At most 3 working days after receipt."),
            ])
            .send()
    };
    let empty = save("  ").await.unwrap();
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let saved = save("Berapa lama laporan diverifikasi?").await.unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let portal = app
        .client
        .get(app.url("/faq"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(portal.contains("Berapa lama laporan diverifikasi?"));
    assert!(portal.contains("Paling lambat 3 hari kerja"));
    let english = app
        .client
        .get(app.url("/faq?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("How long does verification take?"));
    app.finish().await;
}

#[tokio::test]
async fn an_officer_starts_a_draft_from_a_response_template() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let officer = app.staff("petugas", Role::UnitOfficer, Some("rusun")).await;
    let mut body = complaint();
    body["event_date"] = serde_json::json!("2026-01-10");
    let (ticket, _) = app.submit(&body).await;
    for (token, action) in [
        (&coordinator, serde_json::json!({"action": "verify"})),
        (
            &coordinator,
            serde_json::json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Periksa."}),
        ),
        (&officer, serde_json::json!({"action": "accept"})),
    ] {
        app.act_ok(token, &ticket, action).await;
    }
    let (client, cookie) = staff_session(&app, "koordinator").await;
    let page = client
        .get(app.url("/staff/responses"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let saved = client
        .post(app.url("/staff/responses"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("id", "0"),
            ("op", "save"),
            ("title", "Perbaikan dijadwalkan"),
            (
                "text",
                "Terima kasih. Perbaikan telah dijadwalkan & akan selesai dalam 14 hari kerja.",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    let (client, cookie) = staff_session(&app, "petugas").await;
    let case_page = client
        .get(app.url(&format!("/staff/cases/{ticket}?template=1")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(case_page.contains("id=\"action-submit_draft\" open"));
    assert!(
        case_page.contains("Perbaikan telah dijadwalkan &#38; akan selesai dalam 14 hari kerja.")
    );
    // Officers use templates; they do not manage them.
    let manage = client
        .get(app.url("/staff/responses"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(manage.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}
