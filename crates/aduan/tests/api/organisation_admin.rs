//! An admin edits units, categories and deadlines on the admin page: each edit is checked whole,
//! takes effect at once for forms and new cases, and survives a restart.

use crate::helpers::*;
use aduan_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::macros::datetime;

async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let page = client
        .get(app.url("/staff/admin"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let response = client
        .post(app.url(path))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn organisation(app: &TestApp) -> Value {
    app.client
        .get(app.url("/api/v1/organisation"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn units_categories_and_deadlines_are_edited_from_the_admin_page() {
    // Monday 2 November 2026, 09:00 WIB.
    let app = TestApp::spawn_at(datetime!(2026-11-02 09:00 +7)).await;
    app.staff("admin", Role::Admin, None).await;
    app.staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let (client, cookie) = staff_session(&app, "admin").await;

    // A new unit under the directorate general, with its mailbox.
    let (status, _) = post_form(
        &app,
        &client,
        &cookie,
        "/staff/admin/units",
        &[
            ("code", "rusus_papua"),
            ("name", "Satgas Rumah Khusus Papua"),
            ("parent", "ditjen"),
            ("email", "papua@perumahan.test"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // A category it leads; the portal's form offers it at once.
    let (status, _) = post_form(
        &app,
        &client,
        &cookie,
        "/staff/admin/categories",
        &[
            ("code", "rumah_papua"),
            ("name_id", "Rumah khusus Papua"),
            ("name_en", "Special housing in Papua"),
            ("lead_unit", "rusus_papua"),
            ("help_id", "Pembangunan rumah khusus di Papua."),
            ("help_en", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let org = organisation(&app).await;
    assert!(
        org["units"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["code"] == "rusus_papua" && u["parent"] == "ditjen")
    );
    assert!(
        org["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "rumah_papua" && c["lead_unit"] == "rusus_papua")
    );
    let form = app
        .client
        .get(app.url("/report"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("value=\"rumah_papua\""));
    // Renaming keeps the code.
    let (status, _) = post_form(
        &app,
        &client,
        &cookie,
        "/staff/admin/units",
        &[
            ("code", "rusus_papua"),
            ("name", "Satgas Papua"),
            ("parent", "ditjen"),
            ("email", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let org = organisation(&app).await;
    assert_eq!(
        org["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["code"] == "rusus_papua")
            .count(),
        1
    );

    // Refused with the field named, nothing changed: unknown parent, a cycle, a bad code, a
    // category led by no unit, an address that is not one, a deadline of zero.
    let refusals: [(&str, Vec<(&str, &str)>); 6] = [
        (
            "/staff/admin/units",
            vec![("code", "baru"), ("name", "Baru"), ("parent", "tidak_ada")],
        ),
        (
            "/staff/admin/units",
            vec![
                ("code", "ditjen"),
                ("name", "Ditjen"),
                ("parent", "rusus_papua"),
            ],
        ),
        (
            "/staff/admin/units",
            vec![("code", "Bukan Kode!"), ("name", "X")],
        ),
        (
            "/staff/admin/categories",
            vec![
                ("code", "lain"),
                ("name_id", "Lain"),
                ("name_en", "Other"),
                ("lead_unit", "hilang"),
            ],
        ),
        (
            "/staff/admin/units",
            vec![("code", "baru"), ("name", "Baru"), ("email", "bukan-surel")],
        ),
        (
            "/staff/admin/deadlines",
            vec![
                ("verify", "0"),
                ("answer", "5"),
                ("approval", "2"),
                ("info_decision", "10"),
                ("info_extension", "7"),
                ("reporter_reaction", "10"),
                ("reporter_info", "10"),
                ("settlement_calendar_days", "60"),
            ],
        ),
    ];
    let before = organisation(&app).await;
    for (path, fields) in &refusals {
        let (status, page) = post_form(&app, &client, &cookie, path, fields).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {fields:?}"
        );
        assert!(
            page.contains("id=\"admin-error\""),
            "{path}: the reason is shown"
        );
    }
    assert_eq!(organisation(&app).await, before);

    // Verification in 5 working days instead of 3: a case received on Monday is due on Monday.
    let (status, _) = post_form(
        &app,
        &client,
        &cookie,
        "/staff/admin/deadlines",
        &[
            ("verify", "5"),
            ("answer", "5"),
            ("approval", "2"),
            ("info_decision", "10"),
            ("info_extension", "7"),
            ("reporter_reaction", "10"),
            ("reporter_info", "10"),
            ("settlement_calendar_days", "60"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mut body = complaint();
    body["category"] = json!("rumah_papua");
    let (ticket, code) = app.submit(&body).await;
    let tracked: Value = app.track(&ticket, &code).await.json().await.unwrap();
    assert!(
        tracked["expected_by"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-09"),
        "{tracked}"
    );

    // Only an admin may edit.
    let (other, other_cookie) = staff_session(&app, "koordinator").await;
    let dashboard = other
        .get(app.url("/staff"))
        .header("cookie", &other_cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&dashboard);
    let response = other
        .post(app.url("/staff/admin/units"))
        .header("cookie", other_cookie)
        .form(&[("csrf", csrf.as_str()), ("code", "x"), ("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        organisation(&app).await["units"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["code"] != "x")
    );

    // Edits are stored.
    let app = app.restart().await;
    let org = organisation(&app).await;
    assert!(
        org["units"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "Satgas Papua")
    );
    app.finish().await;
}
