//! Open311 GeoReport v2 as a city app or FixMyStreet-like client uses it: discovery, services
//! and definitions, posting with an API key an admin issued, following the public requests; in
//! JSON (checked against the published GeoReport v2 schemas) and XML.

use crate::helpers::*;
use aduan_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!(
        "{}/tests/api/georeport_v2/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

/// A list response: a top-level array whose every item fits the item schema.
fn assert_list_fits(body: &Value, item_schema: &str) {
    let validator = schema(item_schema);
    let items = body
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {body}"));
    for item in items {
        let errors: Vec<String> = validator.iter_errors(item).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{item} breaks {item_schema}: {errors:?}");
    }
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let status = response.status();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    (status, content_type, response.text().await.unwrap())
}

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let (status, content_type, body) = get(app, path).await;
    assert!(
        content_type.starts_with("application/json"),
        "{path}: {content_type}"
    );
    (status, serde_json::from_str(&body).unwrap())
}

struct Posted(reqwest::Response);

impl Posted {
    async fn into_xml(self) -> (StatusCode, String) {
        let status = self.0.status();
        (status, self.0.text().await.unwrap())
    }
}

async fn post_raw(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Posted {
    Posted(
        app.client
            .post(app.url(path))
            .form(form)
            .send()
            .await
            .unwrap(),
    )
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = post_raw(app, path, form).await.0;
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// An error answer: an array of `{code, description}` with the HTTP status as code.
fn assert_errors(status: StatusCode, body: &Value, expected: StatusCode, mentions: &str) {
    assert_eq!(status, expected, "{body}");
    let first = &body
        .as_array()
        .unwrap_or_else(|| panic!("errors must be an array: {body}"))[0];
    assert_eq!(
        first["code"].as_u64(),
        Some(u64::from(expected.as_u16())),
        "{body}"
    );
    let description = first["description"].as_str().unwrap();
    assert!(description.contains(" / "), "both languages: {description}");
    assert!(
        description.contains(mentions),
        "{description} should mention {mentions}"
    );
}

async fn issue_key(app: &TestApp, admin: &str, name: &str) -> (i64, String) {
    let response = app
        .client
        .post(app.url("/api/v1/admin/api-keys"))
        .bearer_auth(admin)
        .json(&json!({"name": name}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    (
        body["id"].as_i64().unwrap(),
        body["key"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn discovery_services_and_definitions_follow_the_specification() {
    let app = TestApp::spawn().await;
    for path in ["/open311/discovery.json", "/open311/v2/discovery.json"] {
        let (status, body) = get_json(&app, path).await;
        assert_eq!(status, StatusCode::OK);
        let endpoint = &body["endpoints"][0];
        assert_eq!(
            endpoint["specification"],
            "http://wiki.open311.org/GeoReport_v2"
        );
        assert!(endpoint["url"].as_str().unwrap().ends_with("/open311/v2"));
        assert_eq!(endpoint["formats"], json!(["text/xml", "application/json"]));
        for key in ["changeset", "contact", "key_service"] {
            assert!(body[key].is_string(), "{key} missing: {body}");
        }
    }
    let (status, content_type, xml) = get(&app, "/open311/discovery.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/xml"));
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "discovery");
    let formats: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("format"))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(formats, ["text/xml", "application/json"]);

    let (status, services) = get_json(&app, "/open311/v2/services.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_list_fits(&services, "service.json");
    let codes: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"rusun") && codes.contains(&"lainnya"),
        "{codes:?}"
    );
    let (_, _, xml) = get(&app, "/open311/v2/services.xml").await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "services");
    let xml_codes: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("service_code"))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(xml_codes, codes);

    let (status, definition) = get_json(&app, "/open311/v2/services/rusun.json").await;
    assert_eq!(status, StatusCode::OK);
    let errors: Vec<String> = schema("service-definition.json")
        .iter_errors(&definition)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{definition}: {errors:?}");
    let kind = definition["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "kind")
        .unwrap();
    assert_eq!(kind["values"][0]["key"], "complaint");
    let (_, _, xml) = get(&app, "/open311/v2/services/rusun.xml").await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "service_definition");
    assert!(
        doc.descendants()
            .filter(|n| n.has_tag_name("attribute"))
            .count()
            >= 3
    );

    let (status, body) = get_json(&app, "/open311/v2/services/jalan_tol.json").await;
    assert_errors(status, &body, StatusCode::NOT_FOUND, "service_code");
    let (status, body) =
        get_json(&app, "/open311/v2/services.json?jurisdiction_id=sfgov.org").await;
    assert_errors(status, &body, StatusCode::NOT_FOUND, "jurisdiction_id");
    let (status, _) = get_json(
        &app,
        "/open311/v2/services.json?jurisdiction_id=perumahan.pu.go.id",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, content_type, xml) = get(&app, "/open311/v2/services/jalan_tol.xml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(content_type.starts_with("text/xml"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "errors");
    let (status, body) = get_json(&app, "/open311/v2/tokens/abc.json").await;
    assert_errors(status, &body, StatusCode::NOT_FOUND, "Token");
    app.finish().await;
}

#[tokio::test]
async fn a_client_posts_with_its_key_and_follows_public_requests() {
    let app = TestApp::spawn().await;
    let admin = app.staff("admin2", Role::Admin, None).await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let (key_id, key) = issue_key(&app, &admin, "Aplikasi Jakarta Kini").await;
    let description = "Atap blok C rusunawa Marunda bocor setiap hujan deras sejak dua minggu.";
    let good: Vec<(&str, &str)> = vec![
        ("api_key", key.as_str()),
        ("service_code", "rusun"),
        ("lat", "-6.1"),
        ("long", "106.9"),
        ("address_string", "Jl. Marunda Baru Blok C No. 7"),
        ("first_name", "Siti"),
        ("last_name", "Aminah"),
        ("email", "siti@contoh.id"),
        ("phone", "081234567890"),
        ("description", description),
        ("media_url", "https://contoh.id/foto/atap.jpg"),
        ("attribute[title]", "Atap rusunawa Marunda bocor"),
    ];

    // Without a key, with a wrong one, and with missing or wrong fields: the specification's errors.
    let without: Vec<(&str, &str)> = good
        .iter()
        .copied()
        .filter(|(k, _)| *k != "api_key")
        .collect();
    let (status, body) = post(&app, "/open311/v2/requests.json", &without).await;
    assert_errors(status, &body, StatusCode::FORBIDDEN, "api_key");
    let mut wrong = good.clone();
    wrong[0] = ("api_key", "o311_bukan");
    let (status, body) = post(&app, "/open311/v2/requests.json", &wrong).await;
    assert_errors(status, &body, StatusCode::FORBIDDEN, "api_key");
    let mut unknown = good.clone();
    unknown[1] = ("service_code", "jalan_tol");
    let (status, body) = post(&app, "/open311/v2/requests.json", &unknown).await;
    assert_errors(status, &body, StatusCode::NOT_FOUND, "service_code");
    let nowhere: Vec<(&str, &str)> = good
        .iter()
        .copied()
        .filter(|(k, _)| !matches!(*k, "lat" | "long" | "address_string"))
        .collect();
    let (status, body) = post(&app, "/open311/v2/requests.json", &nowhere).await;
    assert_errors(status, &body, StatusCode::BAD_REQUEST, "address_string");
    let mut short = good.clone();
    short[9] = ("description", "bocor");
    let (status, body) = post(&app, "/open311/v2/requests.json", &short).await;
    assert_errors(status, &body, StatusCode::BAD_REQUEST, "description");
    let nameless: Vec<(&str, &str)> = good
        .iter()
        .copied()
        .filter(|(k, _)| !matches!(*k, "first_name" | "last_name"))
        .collect();
    let (status, body) = post(&app, "/open311/v2/requests.json", &nameless).await;
    assert_errors(status, &body, StatusCode::BAD_REQUEST, "first_name");
    let response = app
        .client
        .post(app.url("/open311/v2/requests.xml"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(
            [
                format!("api_key={key}&service_code=%ZZ&").as_bytes(),
                b"\xff\xfe=\x00",
            ]
            .concat(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "a mangled code is an unknown service"
    );
    assert!(response.text().await.unwrap().contains("<errors>"));
    let listed: Value = app.list(&coordinator, "").await.json().await.unwrap();
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(0),
        "nothing stored"
    );

    // The good request: its id, and a notice with the access code for the portal.
    let (status, body) = post(&app, "/open311/v2/requests.json", &good).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body[0]["service_request_id"].as_str().unwrap().to_string();
    let notice = body[0]["service_notice"].as_str().unwrap();
    let code = notice.split_whitespace().last().unwrap();
    assert_eq!(
        app.track(&id, code).await.status(),
        StatusCode::OK,
        "{notice}"
    );

    // It is a case in the coordinator's workspace, from the client that holds the key.
    let case: Value = app.get_case(&coordinator, &id).await.json().await.unwrap();
    assert_eq!(case["channel"], "api");
    assert_eq!(case["channel_account"], "Aplikasi Jakarta Kini");
    assert_eq!(case["title"], "Atap rusunawa Marunda bocor");
    assert_eq!(case["reporter"]["name"], "Siti Aminah");
    assert_eq!(case["source"]["link"], "https://contoh.id/foto/atap.jpg");

    // Public requests: by id at once, in the list once verified; never personal data.
    let path = format!("/open311/v2/requests/{id}.json");
    let (status, one) = get_json(&app, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_list_fits(&one, "request.json");
    assert_eq!(one[0]["status"], "open");
    let (_, listed) = get_json(&app, "/open311/v2/requests.json").await;
    assert_eq!(listed, json!([]), "unverified requests are not listed");
    app.act_ok(&coordinator, &id, json!({"action": "verify"}))
        .await;
    let (status, listed) = get_json(&app, "/open311/v2/requests.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_list_fits(&listed, "request.json");
    assert_eq!(listed[0]["service_request_id"].as_str(), Some(id.as_str()));
    assert_eq!(listed[0]["service_code"], "rusun");
    let text = listed.to_string();
    for secret in [
        "Siti",
        "siti@contoh.id",
        "081234567890",
        "Marunda Baru",
        "-6.1",
        "106.9",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let (_, closed) = get_json(&app, "/open311/v2/requests.json?status=closed").await;
    assert_eq!(closed, json!([]));
    let (_, by_code) = get_json(
        &app,
        "/open311/v2/requests.json?service_code=swadaya,rusun&status=open",
    )
    .await;
    assert_eq!(by_code.as_array().map(Vec::len), Some(1));
    let (_, other_code) = get_json(&app, "/open311/v2/requests.json?service_code=swadaya").await;
    assert_eq!(other_code, json!([]));
    let (status, body) = get_json(
        &app,
        "/open311/v2/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
    )
    .await;
    assert_errors(status, &body, StatusCode::BAD_REQUEST, "end_date");
    let (status, body) = get_json(&app, "/open311/v2/requests.json?status=pending").await;
    assert_errors(status, &body, StatusCode::BAD_REQUEST, "status");
    let (_, _, xml) = get(&app, "/open311/v2/requests.xml").await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "service_requests");
    let ids: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("service_request_id"))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(ids, [id.as_str()]);

    // A confidential case is not public through Open311, not even by id.
    let mut confidential = good.clone();
    confidential.push(("attribute[privacy]", "confidential"));
    let (status, body) = post(&app, "/open311/v2/requests.json", &confidential).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let hidden = body[0]["service_request_id"].as_str().unwrap();
    let (status, body) = get_json(&app, &format!("/open311/v2/requests/{hidden}.json")).await;
    assert_errors(status, &body, StatusCode::NOT_FOUND, "service_request_id");
    let (_, both) = get_json(
        &app,
        &format!("/open311/v2/requests.json?service_request_id={id},{hidden}"),
    )
    .await;
    assert_eq!(both.as_array().map(Vec::len), Some(1));

    // A revoked key is refused from then on.
    let revoke = app
        .client
        .delete(app.url(&format!("/api/v1/admin/api-keys/{key_id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    let (status, body) = post(&app, "/open311/v2/requests.json", &good).await;
    assert_errors(status, &body, StatusCode::FORBIDDEN, "api_key");
    let keys: Value = app
        .client
        .get(app.url("/api/v1/admin/api-keys"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(keys[0]["revoked_at"].is_string(), "{keys}");
    assert!(
        !keys.to_string().contains(&key),
        "the key itself is never shown again"
    );
    let by_coordinator = app
        .client
        .post(app.url("/api/v1/admin/api-keys"))
        .bearer_auth(&coordinator)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_coordinator.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn an_admin_issues_and_revokes_a_key_on_the_admin_page() {
    let app = TestApp::spawn().await;
    app.staff("admin2", Role::Admin, None).await;
    let (client, cookie) = staff_session(&app, "admin2").await;
    let page = client
        .get(app.url("/staff/admin"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let issued = client
        .post(app.url("/staff/admin/api-keys"))
        .header("Cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("name", "Aplikasi <Kota>")])
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), StatusCode::OK);
    assert_eq!(issued.headers()["cache-control"], "no-store");
    let html = issued.text().await.unwrap();
    assert!(html.contains("Aplikasi &#60;Kota&#62;"), "escaped: {html}");
    let start = html.find("id=\"issued-key\">").unwrap() + 16;
    let key = &html[start..html[start..].find('<').unwrap() + start];
    assert!(key.starts_with("o311_"), "{key}");
    let form = [
        ("api_key", key),
        ("service_code", "swadaya"),
        ("address_string", "Desa Sukamaju, Garut"),
        ("first_name", "Budi"),
        (
            "description",
            "Bantuan stimulan perumahan swadaya belum cair sejak tiga bulan lalu.",
        ),
    ];
    let (status, body) = post_raw(&app, "/open311/v2/requests.xml", &form)
        .await
        .into_xml()
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.contains("<service_request_id>ADU-"), "{body}");

    // The page lists the key (never the key itself again) and revokes it.
    let page = client
        .get(app.url("/staff/admin"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(key));
    let revoked = client
        .post(app.url("/staff/admin/api-keys/revoke"))
        .header("Cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("id", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    let (status, body) = post_raw(&app, "/open311/v2/requests.xml", &form)
        .await
        .into_xml()
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("<errors><error><code>403</code>"), "{body}");
    app.finish().await;
}
