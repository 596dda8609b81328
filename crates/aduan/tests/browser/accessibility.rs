//! An accessibility audit of every main page with axe-core (Deque's rules engine, the one most
//! audits use), run inside the real browser on the rendered page: WCAG 2.1 A and AA rules,
//! including labels, names, contrast, landmarks, headings and language. `.ci/run` installs
//! axe-core from npm and points `AXE_CORE_JS` at it; without it the suite fails.
//! Keyboard use is checked apart: every control of the forms is reached with Tab alone.

use crate::driver::{Browser, PASSWORD};
use aduan_domain::Role;
use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};

fn axe_source() -> String {
    let path = std::env::var("AXE_CORE_JS").unwrap_or_else(|_| {
        panic!("AXE_CORE_JS must point at axe.min.js (npm install axe-core); .ci/run sets it")
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The WCAG 2.1 A/AA violations axe finds on the page now, one line each.
async fn violations(b: &Browser, axe: &str) -> Vec<String> {
    b.client.execute(axe, vec![]).await.unwrap();
    let found = b
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                 .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
                     + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
                 .catch(e => done(['axe could not run: ' + e]));"#,
            vec![],
        )
        .await
        .unwrap();
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

async fn audit(b: &Browser, axe: &str, name: &str, failures: &mut Vec<String>) {
    for line in violations(b, axe).await {
        failures.push(format!("{name}: {line}"));
    }
}

async fn log_in(b: &Browser, username: &str) {
    b.open("/staff/login").await;
    b.fill("#username", username).await;
    b.fill("#password", PASSWORD).await;
    b.click_and_load("button[type=submit]").await;
    b.wait_for("#who").await;
}

#[tokio::test]
async fn every_main_page_passes_the_wcag_aa_rules_of_axe() {
    let axe = axe_source();
    let b = Browser::start(true, 1280).await;
    let aduan = b.aduan();
    aduan
        .add_user(
            "koordinator",
            Role::Coordinator,
            Some("hukmas"),
            None,
            PASSWORD,
        )
        .await
        .unwrap();
    aduan
        .add_user("admin", Role::Admin, None, None, PASSWORD)
        .await
        .unwrap();
    let mut failures = Vec::new();

    for (path, name) in [
        ("/", "home"),
        ("/report", "report form"),
        ("/track", "tracking lookup"),
        ("/published", "published cases"),
        ("/faq", "faq"),
        ("/?lang=en", "home in English"),
    ] {
        b.open(path).await;
        audit(&b, &axe, name, &mut failures).await;
    }
    // The form with its errors shown, then the receipt and the tracking page.
    b.open("/report").await;
    b.click_and_load("button[type=submit]").await;
    audit(&b, &axe, "report form with errors", &mut failures).await;
    b.click("input[name=category][value=rusun]").await;
    b.fill("#title", "Atap rusunawa Marunda bocor").await;
    b.fill(
        "#description",
        "Atap blok C rusunawa Marunda bocor setiap hujan deras sejak dua minggu.",
    )
    .await;
    b.fill("#name", "Siti Aminah").await;
    b.fill("#phone", "0812-3456-7890").await;
    b.click("input[name=consent]").await;
    b.click_and_load("button[type=submit]").await;
    audit(&b, &axe, "receipt", &mut failures).await;
    let ticket = b.text("#ticket").await;
    let code = b.text("#access-code").await;
    b.open(&format!("/track/{ticket}")).await;
    b.fill("#code", &code).await;
    b.click_and_load("button[type=submit]").await;
    audit(&b, &axe, "tracking", &mut failures).await;

    b.open("/statistik").await;
    audit(&b, &axe, "public statistics", &mut failures).await;

    b.open("/staff/login").await;
    audit(&b, &axe, "staff login", &mut failures).await;
    log_in(&b, "koordinator").await;
    for (path, name) in [
        ("/staff".to_string(), "dashboard"),
        ("/staff/cases".to_string(), "case list"),
        (format!("/staff/cases/{ticket}"), "case page"),
        ("/staff/intake".to_string(), "intake desk"),
        ("/staff/faq".to_string(), "faq editor"),
        ("/staff/responses".to_string(), "response templates"),
        ("/staff/imports".to_string(), "imports"),
        ("/staff/statistik".to_string(), "statistics dashboard"),
    ] {
        b.open(&path).await;
        audit(&b, &axe, name, &mut failures).await;
    }
    // The import result: a table of rows, some created, some refused with their reasons.
    let lapor = b.temp_file(
        "lapor.csv",
        "tracking_id,title,body,category,reporter_name\n\
         L-1,Atap rusun bocor,Atap blok C rusunawa bocor setiap hujan deras sejak dua minggu.,PERMUKIMAN,Siti\n\
         L-2,x,pendek,,\n"
            .as_bytes(),
    );
    b.open("/staff/imports").await;
    b.client
        .find(Locator::Css("#lapor-file"))
        .await
        .unwrap()
        .send_keys(&lapor)
        .await
        .unwrap();
    b.click_and_load("form:has(#lapor-file) button[type=submit]")
        .await;
    assert_eq!(b.text("#count-created").await, "1");
    audit(&b, &axe, "import result", &mut failures).await;
    // Every action form open at once, as an officer would see each.
    for details in b
        .client
        .find_all(Locator::Css("details.action summary"))
        .await
        .unwrap()
    {
        details.click().await.unwrap();
    }
    audit(&b, &axe, "case page, forms open", &mut failures).await;
    b.click_and_load("form[action='/staff/logout'] button")
        .await;
    log_in(&b, "admin").await;
    b.open("/staff/admin").await;
    audit(&b, &axe, "admin", &mut failures).await;

    // The audit is live: a field without a label and an image without a text are caught.
    b.open("/").await;
    b.client
        .execute(
            "const main = document.querySelector('main');
             main.insertAdjacentHTML('beforeend', '<input id=planted><img src=x id=planted-img>');",
            vec![],
        )
        .await
        .unwrap();
    let planted = violations(&b, &axe).await;
    assert!(
        planted.iter().any(|v| v.starts_with("label"))
            && planted.iter().any(|v| v.starts_with("image-alt")),
        "the audit missed planted violations: {planted:?}"
    );

    b.close().await;
    assert!(
        failures.is_empty(),
        "accessibility violations:\n{}",
        failures.join("\n")
    );
}

/// Every field of the report form is reached with the Tab key alone, in the order it is shown.
#[tokio::test]
async fn the_report_form_is_usable_with_the_keyboard_alone() {
    let b = Browser::start(true, 1280).await;
    b.open("/report").await;
    let mut reached = Vec::new();
    for _ in 0..80 {
        // A real key press (sending keys to a file field would choose a file instead).
        let tab = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: '\u{E004}' })
            .then(KeyAction::Up { value: '\u{E004}' });
        b.client.perform_actions(tab).await.unwrap();
        let active = b.client.active_element().await.unwrap();
        let id = active.attr("id").await.unwrap().unwrap_or_default();
        let name = active.attr("name").await.unwrap().unwrap_or_default();
        reached.push(if id.is_empty() { name } else { id });
    }
    for field in [
        "title",
        "description",
        "name",
        "phone",
        "email",
        "attachments",
        "consent",
    ] {
        assert!(
            reached.iter().any(|r| r == field),
            "{field} is not reached with Tab: {reached:?}"
        );
    }
    let position = |f: &str| reached.iter().position(|r| r == f).unwrap();
    assert!(position("title") < position("description"));
    assert!(position("description") < position("name"));
    b.close().await;
}
