//! A citizen on the portal.

use crate::driver::Browser;

const DESCRIPTION: &str = "Atap blok C rusunawa Marunda bocor setiap hujan deras sejak dua minggu; air masuk ke unit lantai lima.";

/// The submission form with JavaScript off: a validation error, its correction, the receipt,
/// and tracking with the code from the receipt.
#[tokio::test]
async fn the_form_works_without_javascript_through_an_error_and_its_correction() {
    let b = Browser::start(false, 1024).await;
    b.open("/report").await;
    b.click("input[name=category][value=rusun]").await;
    b.fill("#title", "Atap").await;
    b.fill("#description", DESCRIPTION).await;
    b.fill("#name", "Siti Aminah").await;
    b.fill("#phone", "0812-3456-7890").await;
    b.fill("#email", "bukan-alamat").await;
    b.click_and_load("button[type=submit]").await;

    // Errors next to their fields; nothing typed is lost.
    assert_eq!(b.text("#title-error").await, "terlalu pendek");
    assert!(b.exists("#email-error").await);
    assert!(b.exists("#consent-error").await);
    assert!(!b.exists("#description-error").await);
    assert!(b.text("#error-summary").await.contains("title"));
    assert_eq!(b.value("#title").await, "Atap");
    assert_eq!(b.value("#description").await, DESCRIPTION);
    assert_eq!(b.value("#name").await, "Siti Aminah");
    assert_eq!(
        b.client
            .find(fantoccini::Locator::Css(
                "input[name=category][value=rusun]"
            ))
            .await
            .unwrap()
            .prop("checked")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );

    b.fill("#title", "Atap rusunawa Marunda bocor").await;
    b.fill("#email", "siti@contoh.id").await;
    b.click("input[name=consent]").await;
    b.click_and_load("button[type=submit]").await;

    let ticket = b.text("#ticket").await;
    let code = b.text("#access-code").await;
    assert!(ticket.starts_with("ADU-") && ticket.len() == 15, "{ticket}");
    assert_eq!(code.len(), 14, "{code}");
    b.screenshot("portal-receipt").await;

    // Follow it: the link on the receipt fills in the ticket.
    b.click_and_load("a[href^='/track/']").await;
    assert_eq!(b.value("#ticket").await, ticket);
    b.fill("#code", "AAAA-AAAA-AAAA").await;
    b.click_and_load("button[type=submit]").await;
    assert!(b.text(".alert").await.contains("tidak cocok"));
    b.fill("#ticket", &ticket).await;
    b.fill("#code", &code).await;
    b.click_and_load("button[type=submit]").await;
    assert_eq!(b.text("#state").await, "Diterima");
    assert!(b.text(".timeline").await.contains("Laporan diterima"));
    b.close().await;
}

/// On a 360 px phone nothing overflows sideways, and English is one click away.
#[tokio::test]
async fn the_portal_fits_a_small_phone_and_switches_to_english() {
    let b = Browser::start(true, 360).await;
    for path in ["/", "/report", "/track"] {
        b.open(path).await;
        let overflow = b
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            overflow.as_i64().unwrap() <= 0,
            "{path} overflows by {overflow}"
        );
    }
    b.open("/").await;
    b.screenshot("portal-home-phone").await;
    b.click_and_load("a[hreflang=en]").await;
    assert!(b.text("h1").await.starts_with("Submit a complaint"));
    // The choice is remembered on the next page.
    b.open("/report").await;
    assert_eq!(b.text("h1").await, "Submit a report");
    b.screenshot("portal-form-phone-en").await;
    b.close().await;
}
