//! Likely duplicates across channels: the same person through the portal and LAPOR!, the same
//! matter from a social media account; shown to the coordinator with a score and merged in one
//! action, after which the merged reporter still tracks through their own ticket.

use crate::helpers::*;
use aduan_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn duplicates_of(app: &TestApp, token: &str, ticket: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/cases/{ticket}/duplicates")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn duplicates_across_channels_are_scored_and_merged_in_one_action() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let intake = app.staff("medsos", Role::Intake, Some("hukmas")).await;
    let officer = app.staff("petugas", Role::UnitOfficer, Some("rusun")).await;

    // Through the portal: the lift in Cakung (the shared complaint() has siti@contoh.id).
    let (web, _) = app.submit(&complaint()).await;
    // An unrelated case.
    let mut other = complaint();
    other["category"] = json!("swadaya");
    other["title"] = json!("Dana BSPS Garut belum cair");
    other["description"] = json!(
        "Bantuan stimulan perumahan swadaya untuk desa kami di Garut belum dicairkan sejak Agustus."
    );
    other["reporter"] = json!({"name": "Budi", "email": "budi@contoh.id"});
    let (unrelated, _) = app.submit(&other).await;
    // The same person again through LAPOR!, in other words.
    let lapor = json!([{
        "tracking_id": "LAP-77",
        "title": "Pengaduan fasilitas rusun",
        "body": "Sudah saya laporkan lewat situs, belum ada kabar. Mohon ditindaklanjuti segera.",
        "category": "PERUMAHAN BERSUBSIDI DAN RUMAH SUSUN",
        "reporter_name": "Siti Aminah",
        "reporter_email": "SITI@contoh.id"
    }]);
    let report: Value = app
        .client
        .post(app.url("/api/v1/imports/lapor"))
        .bearer_auth(&coordinator)
        .json(&lapor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let from_lapor = report["rows"][0]["ticket"].as_str().unwrap().to_string();
    // Another resident about the same lift, on Instagram.
    let social = json!([{
        "platform": "instagram", "message_id": "ig-9", "account": "@warga_cakung",
        "text": "Lift blok B rusunawa Cakung rusak sudah tiga minggu, lansia harus naik tangga"
    }]);
    let report: Value = app
        .client
        .post(app.url("/api/v1/imports/social"))
        .bearer_auth(&intake)
        .json(&social)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let from_social = report["rows"][0]["ticket"].as_str().unwrap().to_string();

    let (status, found) = duplicates_of(&app, &coordinator, &from_lapor).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let first = &found[0];
    assert_eq!(first["ticket"].as_str(), Some(web.as_str()), "{found}");
    assert_eq!(first["same_contact"], true);
    assert!(first["score"].as_u64().unwrap() >= 60, "{found}");
    assert!(
        !found.to_string().contains("siti@contoh.id"),
        "no contact in the list"
    );
    assert!(!found.to_string().contains(&unrelated), "{found}");

    let (_, found) = duplicates_of(&app, &coordinator, &from_social).await;
    let web_match = found
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ticket"] == web.as_str())
        .unwrap_or_else(|| panic!("the same lift is found by its words: {found}"));
    assert_eq!(web_match["same_contact"], false);
    assert!(web_match["score"].as_u64().unwrap() >= 20, "{found}");
    assert!(!found.to_string().contains(&unrelated), "{found}");

    // Only the coordinator, who merges, gets the list.
    let (status, _) = duplicates_of(&app, &officer, &from_lapor).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The case page offers the merge; one click merges, and the LAPOR! reporter's ticket
    // then follows the surviving case.
    let (client, cookie) = staff_session(&app, "koordinator").await;
    let page = client
        .get(app.url(&format!("/staff/cases/{from_lapor}")))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"duplicates\""), "{page}");
    assert!(page.contains(&format!("name=\"into\" value=\"{web}\"")));
    let merged = client
        .post(app.url(&format!("/staff/cases/{from_lapor}")))
        .header("Cookie", &cookie)
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("action", "merge"),
            ("into", web.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        merged.status().is_success() || merged.status().is_redirection(),
        "{}",
        merged.status()
    );
    let case: Value = app
        .get_case(&coordinator, &from_lapor)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["state"], "merged");
    // A merged case is not offered as a duplicate any more.
    let (_, found) = duplicates_of(&app, &coordinator, &from_social).await;
    assert!(!found.to_string().contains(&from_lapor), "{found}");
    app.finish().await;
}
