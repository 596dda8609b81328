use crate::helpers::*;
use aduan_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::macros::datetime;

fn tickets(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ticket"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn filters_and_cursor_pagination() {
    // Wednesday 4 November 2026, 09:00 WIB, on a simulated clock.
    let app = TestApp::spawn_at(datetime!(2026-11-04 09:00 +7)).await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let intake = app.staff("meja_depan", Role::Intake, Some("hukmas")).await;
    let mut all = Vec::new();
    for i in 0..7 {
        let mut body = complaint();
        if i % 2 == 1 {
            body["category"] = json!("swadaya");
        }
        all.push(app.submit(&body).await.0);
    }
    // One case registered at the desk, by phone.
    let response = app
        .client
        .post(app.url("/api/v1/intake"))
        .bearer_auth(&intake)
        .json(&json!({"channel": "phone", "case": complaint()}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let phoned: Value = response.json().await.unwrap();
    let phoned = phoned["ticket"].as_str().unwrap().to_string();
    app.act_ok(&coordinator, &all[0], json!({"action": "verify"}))
        .await;

    let page: Value = app
        .list(&coordinator, "limit=3")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        tickets(&page),
        vec![phoned.clone(), all[6].clone(), all[5].clone()]
    );
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let page: Value = app
        .list(&coordinator, &format!("limit=3&cursor={cursor}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        tickets(&page),
        vec![all[4].clone(), all[3].clone(), all[2].clone()]
    );
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let page: Value = app
        .list(&coordinator, &format!("limit=3&cursor={cursor}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tickets(&page), vec![all[1].clone(), all[0].clone()]);
    assert!(page["next_cursor"].is_null());

    let page: Value = app
        .list(&coordinator, "category=swadaya")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        tickets(&page),
        vec![all[5].clone(), all[3].clone(), all[1].clone()]
    );
    let page: Value = app
        .list(&coordinator, "state=verified")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tickets(&page), vec![all[0].clone()]);
    let page: Value = app
        .list(&coordinator, "channel=phone&kind=complaint")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tickets(&page), vec![phoned.clone()]);
    let page: Value = app
        .list(&coordinator, "from=2026-11-04&to=2026-11-05")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 8);
    let page: Value = app
        .list(&coordinator, "to=2026-11-04")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    // The desk officer sees what they registered.
    let page: Value = app.list(&intake, "").await.json().await.unwrap();
    assert_eq!(tickets(&page), vec![phoned.clone()]);

    // Nothing is overdue yet; three working days later (Mon 9 Nov, past the verification limit
    // of Mon 9 Nov 23:59) everything still received is.
    let page: Value = app
        .list(&coordinator, "overdue=true")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    app.clock
        .as_ref()
        .unwrap()
        .set(datetime!(2026-11-10 08:00 +7));
    // Tokens last 12 hours: the simulated week has expired the first one.
    assert_eq!(
        app.list(&coordinator, "").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let coordinator = app.login("koordinator").await;
    let page: Value = app
        .list(&coordinator, "overdue=true&state=received")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 7);
    assert!(page["items"][0]["overdue"].as_bool().unwrap());
    let case: Value = app
        .get_case(&coordinator, &all[1])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["timeliness"], "overdue");
    assert_eq!(case["due_at"], "2026-11-09T23:59:59.999999999+07:00");
    app.finish().await;
}
