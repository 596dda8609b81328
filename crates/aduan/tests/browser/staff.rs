//! The whole path of a complaint through the browser: the citizen submits, the coordinator
//! verifies and dispositions, the unit officer drafts, the unit head and the coordinator approve,
//! the citizen tracks, rates and accepts. And a unit officer who types the address of another
//! unit's case is refused.

use crate::driver::{Browser, PASSWORD};

/// A 1×1 PNG.
const PHOTO: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
/// A minimal PDF, recognised by its content.
const REPORT_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
use aduan_domain::Role;

async fn log_in(b: &Browser, username: &str) {
    b.open("/staff/login").await;
    b.fill("#username", username).await;
    b.fill("#password", PASSWORD).await;
    b.click_and_load("button[type=submit]").await;
    b.wait_for("#who").await;
    assert_eq!(b.text("#who").await, username, "logged in as {username}");
}

async fn log_out(b: &Browser) {
    b.click_and_load("form[action='/staff/logout'] button")
        .await;
    b.wait_for("#password").await;
}

/// Opens an action's form on the case page, fills it and sends it.
async fn act(b: &Browser, code: &str, fields: &[(&str, &str)]) {
    b.click(&format!("#action-{code} summary")).await;
    for (name, value) in fields {
        b.fill(&format!("#{code}-{name}"), value).await;
    }
    b.click_and_load(&format!("#action-{code} button[type=submit]"))
        .await;
    assert!(
        b.exists(".notice").await,
        "{code} was not recorded: {}",
        b.text("main").await
    );
}

#[tokio::test]
async fn a_complaint_from_the_portal_to_an_accepted_answer() {
    let b = Browser::start(true, 1280).await;
    let aduan = b.aduan();
    for (name, role, unit) in [
        ("koordinator", Role::Coordinator, Some("hukmas")),
        ("petugas_rusun", Role::UnitOfficer, Some("rusun")),
        ("kepala_rusun", Role::UnitHead, Some("rusun")),
        ("petugas_swadaya", Role::UnitOfficer, Some("swadaya")),
    ] {
        aduan
            .add_user(name, role, unit, None, PASSWORD)
            .await
            .unwrap();
    }

    // The citizen.
    b.open("/report").await;
    b.click("input[name=category][value=rusun]").await;
    b.fill("#title", "Lift rusunawa Cakung mati").await;
    b.fill(
        "#description",
        "Lift blok B rusunawa Cakung tidak berfungsi sejak tiga minggu; warga lansia harus naik tangga ke lantai lima.",
    )
    .await;
    b.fill("#name", "Siti Aminah").await;
    b.fill("#phone", "0812-3456-7890").await;
    // A photo of the broken lift (a real PNG; the server checks the content, not the name).
    let photo = b.temp_file("lift-rusak.png", PHOTO);
    b.client
        .find(fantoccini::Locator::Css("#attachments"))
        .await
        .unwrap()
        .send_keys(&photo)
        .await
        .unwrap();
    b.click("input[name=consent]").await;
    b.click_and_load("button[type=submit]").await;
    let ticket = b.text("#ticket").await;
    let code = b.text("#access-code").await;

    // The coordinator verifies and dispositions to the Directorate of Flats.
    log_in(&b, "koordinator").await;
    assert!(
        b.text("main").await.contains(&ticket),
        "in the triage inbox"
    );
    b.screenshot("staff-dashboard").await;
    b.click_and_load(&format!("a[href='/staff/cases/{ticket}']"))
        .await;
    assert!(
        b.text(".reporter").await.contains("Siti Aminah"),
        "the coordinator sees the reporter"
    );
    assert!(b.text(".attachments").await.contains("lift-rusak.png"));
    let link = b
        .client
        .find(fantoccini::Locator::Css(".attachments a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let (status, content_type, body) = b.fetch_as_staff(&link).await;
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    assert_eq!(body, PHOTO, "the photo comes back byte for byte");
    act(&b, "verify", &[]).await;
    act(
        &b,
        "dispose",
        &[("instruction", "Mohon periksa dan perbaiki lift blok B.")],
    )
    .await;
    assert_eq!(b.text("#state").await, "Diteruskan ke unit kerja");
    b.screenshot("staff-case").await;
    log_out(&b).await;

    // Another unit's officer cannot open it, even by typing its address.
    log_in(&b, "petugas_swadaya").await;
    assert!(!b.text("main").await.contains(&ticket));
    b.open(&format!("/staff/cases/{ticket}")).await;
    assert!(
        b.text("h1").await.contains("tidak ditemukan"),
        "refused: {}",
        b.text("main").await
    );
    assert!(!b.text("main").await.contains("Siti Aminah"));
    b.open("/staff").await;
    log_out(&b).await;

    // The unit's officer accepts and drafts; the unit head approves.
    log_in(&b, "petugas_rusun").await;
    b.click_and_load(&format!("a[href='/staff/cases/{ticket}']"))
        .await;
    act(&b, "accept", &[]).await;
    // The answer goes out with the repair report as a PDF.
    b.click("#action-submit_draft summary").await;
    b.fill(
        "#submit_draft-text",
        "Lift blok B telah diperbaiki teknisi pada 20 November 2026; berita acara terlampir.",
    )
    .await;
    let report = b.temp_file("berita-acara.pdf", REPORT_PDF);
    b.client
        .find(fantoccini::Locator::Css("#submit_draft-files"))
        .await
        .unwrap()
        .send_keys(&report)
        .await
        .unwrap();
    b.click_and_load("#action-submit_draft button[type=submit]")
        .await;
    assert!(b.exists(".notice").await, "{}", b.text("main").await);
    assert!(b.text("#draft").await.contains("berita-acara.pdf"));
    log_out(&b).await;
    log_in(&b, "kepala_rusun").await;
    b.click_and_load(&format!("a[href='/staff/cases/{ticket}']"))
        .await;
    act(&b, "approve", &[]).await;
    log_out(&b).await;

    // The coordinator approves and publishes.
    log_in(&b, "koordinator").await;
    b.open(&format!("/staff/cases/{ticket}")).await;
    act(&b, "approve", &[]).await;
    assert_eq!(b.text("#state").await, "Dijawab");
    log_out(&b).await;

    // The citizen reads the answer, rates it and accepts.
    b.open(&format!("/track/{ticket}")).await;
    b.fill("#code", &code).await;
    b.click_and_load("button[type=submit]").await;
    assert_eq!(b.text("#state").await, "Dijawab");
    assert!(b.text("#answer").await.contains("telah diperbaiki"));
    assert!(b.text("#answer-files").await.contains("berita-acara.pdf"));
    b.screenshot("portal-tracking-answer").await;
    b.click("input[name=rating][value='5']").await;
    b.click("input[name=decision][value=accept]").await;
    b.click_and_load("form[action='/track/feedback'] button[type=submit]")
        .await;
    assert_eq!(b.text("#state").await, "Selesai");
    assert!(
        b.text(".timeline")
            .await
            .contains("Pelapor menerima jawaban")
    );

    // The answered public case is published, without the reporter.
    b.open("/published").await;
    let published = b.text("main").await;
    assert!(published.contains(&ticket) && published.contains("telah diperbaiki"));
    assert!(!published.contains("Siti Aminah"));
    assert!(
        published.contains("berita-acara.pdf"),
        "the answer's file is published with it"
    );
    b.screenshot("portal-published").await;
    b.close().await;
}
