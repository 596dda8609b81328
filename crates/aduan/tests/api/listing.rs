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

#[tokio::test]
async fn search_backlog_and_monthly_figures() {
    let app = TestApp::spawn_at(datetime!(2026-11-02 09:00 +7)).await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    app.staff("pemantau", Role::Monitor, None).await;
    let officer = app
        .staff("petugas_swadaya", Role::UnitOfficer, Some("swadaya"))
        .await;
    let mut road = complaint();
    road["title"] = json!("Jalan lingkungan berlubang");
    road["description"] =
        json!("Jalan menuju rusun berlubang besar dan membahayakan pengendara motor.");
    let road = app.submit(&road).await.0;
    let lift = app.submit(&complaint()).await.0;
    let mut bsps = complaint();
    bsps["category"] = json!("swadaya");
    bsps["title"] = json!("Pembangunan rumah BSPS terhenti");
    bsps["description"] = json!("Pembangunan rumah bantuan stimulan terhenti sejak bulan lalu.");
    let bsps = app.submit(&bsps).await.0;
    app.act_ok(&coordinator, &bsps, json!({"action": "verify"}))
        .await;
    app.act_ok(
        &coordinator,
        &bsps,
        json!({"action": "dispose", "lead_unit": "swadaya", "instruction": "Cek"}),
    )
    .await;

    let found = |query: &'static str| {
        let app = &app;
        let token = coordinator.clone();
        async move {
            tickets(
                &app.list(&token, &format!("q={query}"))
                    .await
                    .json::<Value>()
                    .await
                    .unwrap(),
            )
        }
    };
    assert_eq!(found("lubang").await, vec![road.clone()]);
    assert_eq!(found("LIFT%20rusunawa").await, vec![lift.clone()]);
    assert_eq!(
        found("membangun").await,
        vec![bsps.clone()],
        "pembangunan and membangun share a stem"
    );
    assert_eq!(
        found("rusun").await,
        vec![road.clone()],
        "rusunawa is another word"
    );
    assert!(found("tidak-ada-kata-ini").await.is_empty());
    let page: Value = app
        .list(&coordinator, "q=rusun&category=rusun&limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (status, _, fields) = error_code(app.list(&coordinator, "q=%22%2A%28%29").await).await;
    assert_eq!(
        (status, fields),
        (StatusCode::BAD_REQUEST, vec!["q".to_string()])
    );
    // Search stays inside the caller's units.
    let page: Value = app.list(&officer, "q=rusun").await.json().await.unwrap();
    assert!(tickets(&page).is_empty());

    app.clock
        .as_ref()
        .unwrap()
        .set(datetime!(2026-11-06 08:00 +7));
    let coordinator = app.login("koordinator").await;
    let monitor_token = app.login("pemantau").await;
    let backlog: Value = app
        .client
        .get(app.url("/api/v1/backlog"))
        .bearer_auth(&coordinator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(backlog["open"], 3);
    // Received Mon 2 Nov: verification was due Thu 5 Nov, so the two received cases are overdue;
    // the dispositioned one is due Mon 9 Nov.
    assert_eq!(backlog["overdue"], 2, "{backlog}");
    let line = |unit: Value, state: &str| {
        backlog["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["unit"] == unit && l["state"] == state)
            .cloned()
            .unwrap()
    };
    assert_eq!(line(Value::Null, "received")["open"], 2);
    assert_eq!(line(json!("swadaya"), "dispositioned")["overdue"], 0);
    // The monitor sees figures but no case; a unit sees its own figures.
    let response = app
        .client
        .get(app.url("/api/v1/backlog"))
        .bearer_auth(&monitor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.text().await.unwrap().contains("Siti"));
    let officer = app.login("petugas_swadaya").await;
    let own: Value = app
        .client
        .get(app.url("/api/v1/backlog"))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own["open"], 1);

    let stats = |month: &'static str| {
        app.client
            .get(app.url(&format!("/api/v1/stats/monthly?month={month}")))
            .bearer_auth(&monitor_token)
            .send()
    };
    let november: Value = stats("2026-11").await.unwrap().json().await.unwrap();
    assert_eq!(november["received"], 3);
    assert_eq!(november["by_category"]["rusun"], 2);
    assert_eq!(november["by_state"]["dispositioned"], 1);
    assert_eq!(november["by_channel"]["api"], 3);
    let october: Value = stats("2026-10").await.unwrap().json().await.unwrap();
    assert_eq!(october["received"], 0);
    let (status, _, fields) = error_code(stats("2026-13").await.unwrap()).await;
    assert_eq!(
        (status, fields),
        (StatusCode::BAD_REQUEST, vec!["month".to_string()])
    );

    // Backlogs and monthly counts are shared between requests; they must still move the
    // moment they should. Time alone, with no change to any case: the dispositioned case falls
    // due at the end of Mon 9 Nov.
    let clock = app.clock.as_ref().unwrap();
    clock.set(datetime!(2026-11-09 23:59:57 +7));
    let monitor_token = app.login("pemantau").await;
    let backlog = || async {
        app.client
            .get(app.url("/api/v1/backlog?from=2026-11-01&to=2026-11-30"))
            .bearer_auth(&monitor_token)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(backlog().await["overdue"], 2);
    clock.set(datetime!(2026-11-09 23:59:58 +7));
    let shared = backlog().await;
    assert_eq!(shared["overdue"], 2);
    assert_eq!(shared["at"], "2026-11-09T23:59:58+07:00", "{shared}");
    clock.set(datetime!(2026-11-10 00:00:01 +7));
    let later = backlog().await;
    assert_eq!(
        (later["open"].clone(), later["overdue"].clone()),
        (json!(3), json!(3))
    );
    // A change: a new case shows at once in both.
    app.submit(&complaint()).await;
    let changed = backlog().await;
    assert_eq!(
        (changed["open"].clone(), changed["overdue"].clone()),
        (json!(4), json!(3))
    );
    let november: Value = app
        .client
        .get(app.url("/api/v1/stats/monthly?month=2026-11"))
        .bearer_auth(&monitor_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(november["received"], 4, "{november}");
    app.finish().await;
}

/// Walks every page of `query` and returns the tickets in order.
async fn walk(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let q = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_string(),
        };
        let response = app.list(token, &q).await;
        assert_eq!(response.status(), StatusCode::OK, "{q}");
        let page: Value = response.json().await.unwrap();
        seen.extend(tickets(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return seen,
        }
    }
    panic!("pagination of {query} did not end");
}

#[tokio::test]
async fn the_list_sorts_by_received_or_due_time_and_pages_each_order() {
    let app = TestApp::spawn_at(datetime!(2026-11-02 09:00 +7)).await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let mut all = Vec::new();
    for _ in 0..5 {
        all.push(app.submit(&complaint()).await.0);
        app.clock().advance(time::Duration::hours(1));
    }
    // The oldest case gets a due date far ahead; the newest is rejected (no due time left).
    app.act_ok(&coordinator, &all[0], json!({"action": "verify"}))
        .await;
    app.act_ok(&coordinator, &all[0], json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Cek", "due_date": "2026-12-30"}))
        .await;
    app.act_ok(
        &coordinator,
        &all[4],
        json!({"action": "reject", "reason": "spam"}),
    )
    .await;

    let newest = walk(&app, &coordinator, "limit=2").await;
    assert_eq!(newest, all.iter().rev().cloned().collect::<Vec<_>>());
    let oldest = walk(&app, &coordinator, "limit=2&sort=oldest").await;
    assert_eq!(oldest, all);
    let due = walk(&app, &coordinator, "limit=2&sort=due").await;
    assert_eq!(
        due,
        vec![
            all[1].clone(),
            all[2].clone(),
            all[3].clone(),
            all[0].clone()
        ],
        "soonest due first, the case without a due time left out"
    );

    // A list of a period is ordered by received time and pages the same cases.
    let period = "limit=2&from=2026-11-01&to=2026-11-03";
    assert_eq!(
        walk(&app, &coordinator, period).await,
        all.iter().rev().cloned().collect::<Vec<_>>()
    );
    assert_eq!(
        walk(&app, &coordinator, &format!("{period}&sort=oldest")).await,
        all
    );
    let first: Value = app.list(&coordinator, period).await.json().await.unwrap();
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    assert!(cursor.contains('_'), "time and id: {cursor}");
    // A cursor of an id alone, as such lists had before, still marks the place.
    let (_, id) = cursor.split_once('_').unwrap();
    let next: Value = app
        .list(&coordinator, &format!("{period}&cursor={id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tickets(&next), vec![all[2].clone(), all[1].clone()]);

    for bad in [
        "sort=random",
        "sort=due&cursor=12",
        "cursor=abc",
        "sort=due&cursor=x_1",
        "from=2026-11-01&cursor=x_1",
        "from=2026-11-01&cursor=1_x",
    ] {
        let (status, _, fields) = error_code(app.list(&coordinator, bad).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            fields.iter().any(|f| f == "sort" || f == "cursor"),
            "{bad}: {fields:?}"
        );
    }

    // The page offers the same orders and keeps the filters on the next page's link.
    let (client, cookie) = staff_session(&app, "koordinator").await;
    let page = client
        .get(app.url("/staff/cases?sort=oldest&kind=complaint&limit=2"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<option value=\"oldest\" selected>"),
        "sort kept in the form"
    );
    let next = page
        .split("href=\"/staff/cases?")
        .find(|rest| rest.contains("cursor="))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    assert!(
        next.replace("&#38;", "&")
            .starts_with("sort=oldest&kind=complaint&limit=2&cursor="),
        "next link keeps the filters: {next}"
    );
    let first_row = page.find(&all[0]).unwrap();
    let second_row = page.find(&all[1]).unwrap();
    assert!(first_row < second_row);
}

/// The part of a page from the element with `id` to the end of its section.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &page[start..];
    &rest[..rest.find("</section>").unwrap()]
}

#[tokio::test]
async fn the_unit_dashboard_shows_overdue_and_soonest_due_cases_apart() {
    // Monday 2 November 2026, 09:00 WIB.
    let app = TestApp::spawn_at(datetime!(2026-11-02 09:00 +7)).await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    app.staff("petugas_rusun", Role::UnitOfficer, Some("rusun"))
        .await;
    let mut cases = Vec::new();
    for due in ["2026-11-03", "2026-11-20", "2026-11-10"] {
        let (ticket, _) = app.submit(&complaint()).await;
        app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
            .await;
        app.act_ok(&coordinator, &ticket, json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Cek", "due_date": due}))
            .await;
        cases.push(ticket);
    }
    // Thursday: the first is overdue, the others are still ahead.
    app.clock().advance(time::Duration::days(3));
    let (client, cookie) = staff_session(&app, "petugas_rusun").await;
    let page = client
        .get(app.url("/staff"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let overdue = section(&page, "queue-overdue");
    assert!(overdue.contains(&cases[0]));
    assert!(!overdue.contains(&cases[1]) && !overdue.contains(&cases[2]));
    let soon = section(&page, "queue-due-soon");
    assert!(
        !soon.contains(&cases[0]),
        "an overdue case is not 'due soon'"
    );
    let (tenth, twentieth) = (soon.find(&cases[2]).unwrap(), soon.find(&cases[1]).unwrap());
    assert!(tenth < twentieth, "the soonest due comes first");
}
