use crate::helpers::*;
use aduan_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A unit officer never sees a case not dispositioned to their unit: not in lists, not by
/// ticket, not through actions.
#[tokio::test]
async fn unit_officers_see_only_their_units_cases() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let rusun = app
        .staff("petugas_rusun", Role::UnitOfficer, Some("rusun"))
        .await;
    let swadaya = app
        .staff("petugas_swadaya", Role::UnitOfficer, Some("swadaya"))
        .await;
    let (ours, _) = app.submit(&complaint()).await;
    let (theirs, _) = app.submit(&complaint()).await;
    for (ticket, unit) in [(&ours, "rusun"), (&theirs, "swadaya")] {
        app.act_ok(&coordinator, ticket, json!({"action": "verify"}))
            .await;
        app.act_ok(
            &coordinator,
            ticket,
            json!({"action": "dispose", "lead_unit": unit, "instruction": "Tindak lanjuti"}),
        )
        .await;
    }
    let page: Value = app.list(&rusun, "").await.json().await.unwrap();
    let tickets: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ticket"].as_str().unwrap())
        .collect();
    assert_eq!(tickets, vec![ours.as_str()]);
    // Asking for the other unit explicitly still returns nothing of it.
    let page: Value = app.list(&rusun, "unit=swadaya").await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0);

    let response = app.get_case(&rusun, &theirs).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app.act(&rusun, &theirs, json!({"action": "accept"})).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let case: Value = app.get_case(&swadaya, &theirs).await.json().await.unwrap();
    assert_eq!(
        case["state"], "dispositioned",
        "the refused action changed nothing"
    );
    // Units can't take coordinator actions on their own cases either.
    let (status, code, _) = error_code(
        app.act(&rusun, &ours, json!({"action": "reject", "reason": "spam"}))
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "role_not_allowed")
    );
    app.finish().await;
}

/// Anonymous reporters' contact data reaches only the coordinator; monitors and admins see no
/// case content at all.
#[tokio::test]
async fn personal_data_follows_role_and_privacy() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let officer = app
        .staff("petugas_rusun", Role::UnitOfficer, Some("rusun"))
        .await;
    let leadership = app
        .staff("sesditjen", Role::Leadership, Some("ditjen"))
        .await;
    let monitor = app.staff("biro_kompu", Role::Monitor, None).await;
    let admin = app.staff("admin2", Role::Admin, None).await;
    let mut anonymous = complaint();
    anonymous["privacy"] = json!("anonymous");
    let (anon, _) = app.submit(&anonymous).await;
    let (open, _) = app.submit(&complaint()).await;
    for ticket in [&anon, &open] {
        app.act_ok(&coordinator, ticket, json!({"action": "verify"}))
            .await;
        app.act_ok(
            &coordinator,
            ticket,
            json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Cek"}),
        )
        .await;
    }
    let seen = |token: String, ticket: String| {
        let app = &app;
        async move {
            app.get_case(&token, &ticket)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let case = seen(coordinator.clone(), anon.clone()).await;
    assert_eq!(case["reporter"]["nik"], "3174015708900001");
    for token in [&officer, &leadership] {
        let case = seen(token.clone(), anon.clone()).await;
        assert!(
            case.get("reporter").is_none(),
            "anonymous reporter shown: {case}"
        );
        assert!(!case.to_string().contains("3174015708900001"));
        let case = seen(token.clone(), open.clone()).await;
        assert_eq!(case["reporter"]["name"], "Siti Aminah");
    }
    for token in [&monitor, &admin] {
        assert_eq!(
            app.get_case(token, &open).await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(app.list(token, "").await.status(), StatusCode::FORBIDDEN);
    }
    // Lists never carry personal data, whoever asks.
    let page = app.list(&coordinator, "").await.text().await.unwrap();
    assert!(
        !page.contains("Siti")
            && !page.contains("3174015708900001")
            && !page.contains("siti@contoh.id")
    );
    app.finish().await;
}

#[tokio::test]
async fn tokens_expire_on_logout_and_bad_logins_lock_the_account() {
    let app = TestApp::spawn().await;
    let token = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    assert_eq!(app.list(&token, "").await.status(), StatusCode::OK);
    let response = app
        .client
        .delete(app.url("/api/v1/auth/token"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, code, _) = error_code(app.list(&token, "").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let (status, _, _) = error_code(app.list("adn_forged", "").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let login = |password: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/token"))
            .json(&json!({"username": "koordinator", "password": password}))
            .send()
    };
    for _ in 0..5 {
        let (status, code, _) = error_code(login("salah-sekali").await.unwrap()).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNAUTHORIZED, "bad_credentials")
        );
    }
    let (status, code, _) = error_code(login(PASSWORD).await.unwrap()).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::LOCKED, "account_locked")
    );
    let (status, _, _) = error_code(login("x").await.unwrap()).await;
    assert_eq!(status, StatusCode::LOCKED);
    // Unknown names answer exactly like known ones, lockout included: no way to probe usernames.
    let nobody = || {
        app.client
            .post(app.url("/api/v1/auth/token"))
            .json(&json!({"username": "nobody", "password": "x"}))
            .send()
    };
    for _ in 0..5 {
        let (status, code, _) = error_code(nobody().await.unwrap()).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNAUTHORIZED, "bad_credentials")
        );
    }
    let (status, code, _) = error_code(nobody().await.unwrap()).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::LOCKED, "account_locked")
    );
    app.finish().await;
}
