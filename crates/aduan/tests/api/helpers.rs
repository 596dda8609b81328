//! Starts the real server on a random port against a fresh database of the backend under test:
//! SQLite by default, PostgreSQL when ADUAN_TEST_BACKEND=postgres (then it must be reachable,
//! or the test fails: nothing is skipped).

use aduan::server;
use aduan_app::{ManualClock, SystemClock};
use aduan_domain::Role;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use std::sync::Arc;
use time::OffsetDateTime;

pub const PASSWORD: &str = "kata-sandi-uji-coba";

/// A fresh database of the backend under test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

pub fn postgres_admin_url() -> String {
    std::env::var("ADUAN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn backend_is_postgres() -> bool {
    std::env::var("ADUAN_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

impl TestDb {
    pub async fn new() -> Self {
        if backend_is_postgres() {
            let admin = postgres_admin_url();
            let name = format!("aduan_test_{}", hex::encode(rand_bytes()));
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("ADUAN_TEST_BACKEND=postgres but PostgreSQL at {admin} is not reachable: {e}"));
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            TestDb {
                url: format!("{base}/{name}"),
                _dir: None,
                pg_name: Some(name),
            }
        } else {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/aduan.db", dir.path().display());
            TestDb {
                url,
                _dir: Some(dir),
                pg_name: None,
            }
        }
    }
}

/// A PostgreSQL test database is dropped with its handle, however the test ends. `Drop` runs
/// inside the test's runtime, which cannot wait for async work itself, so the database is
/// dropped from a thread with a runtime of its own.
impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let admin = postgres_admin_url();
        let dropping = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        });
        let _ = dropping.join();
    }
}

fn rand_bytes() -> [u8; 6] {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).unwrap();
    b
}

pub struct TestApp {
    pub db: TestDb,
    pub base: String,
    pub client: Client,
    pub running: Option<server::Running>,
    pub clock: Option<ManualClock>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_on(TestDb::new().await, None).await
    }

    /// With a simulated clock starting at `start`.
    pub async fn spawn_at(start: OffsetDateTime) -> Self {
        Self::spawn_on(TestDb::new().await, Some(ManualClock::new(start))).await
    }

    pub async fn spawn_on(db: TestDb, clock: Option<ManualClock>) -> Self {
        let clock_dyn: Arc<dyn aduan_app::Clock> = match &clock {
            Some(c) => Arc::new(c.clone()),
            None => Arc::new(SystemClock),
        };
        let aduan = server::open(&db.url, None, clock_dyn).await.unwrap();
        let running = server::spawn(aduan, "127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", running.addr);
        TestApp {
            db,
            base,
            client: Client::new(),
            running: Some(running),
            clock,
        }
    }

    /// With the organisation `toml` (the shipped one edited) and a simulated clock.
    pub async fn spawn_with_organisation(toml: &str, start: OffsetDateTime) -> Self {
        let db = TestDb::new().await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("organisation.toml");
        std::fs::write(&path, toml).unwrap();
        let clock = ManualClock::new(start);
        let aduan = server::open(&db.url, Some(&path), Arc::new(clock.clone()))
            .await
            .unwrap();
        let running = server::spawn(aduan, "127.0.0.1:0").await.unwrap();
        TestApp {
            base: format!("http://{}", running.addr),
            db,
            client: Client::new(),
            running: Some(running),
            clock: Some(clock),
        }
    }

    /// Stops the server and starts a new one on the same database.
    pub async fn restart(mut self) -> Self {
        if let Some(running) = self.running.take() {
            running.stop().await.unwrap();
        }
        let clock = self.clock.take();
        let db = std::mem::replace(
            &mut self.db,
            TestDb {
                url: String::new(),
                _dir: None,
                pg_name: None,
            },
        );
        Self::spawn_on(db, clock).await
    }

    pub async fn finish(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.unwrap();
        }
    }

    pub fn aduan(&self) -> &aduan_app::Aduan {
        &self.running.as_ref().unwrap().aduan
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Adds a staff account and returns a bearer token for it.
    pub async fn staff(&self, username: &str, role: Role, unit: Option<&str>) -> String {
        self.aduan()
            .add_user(username, role, unit, None, PASSWORD)
            .await
            .unwrap();
        self.login(username).await
    }

    /// Adds a staff account that receives notifications at `email`.
    pub async fn staff_with_email(
        &self,
        username: &str,
        role: Role,
        unit: Option<&str>,
        email: &str,
    ) {
        self.aduan()
            .add_user(username, role, unit, Some(email), PASSWORD)
            .await
            .unwrap();
    }

    /// The background worker of this server, sending through `smtp_url`.
    pub fn worker(&self, smtp_url: Option<String>) -> aduan_app::worker::Worker {
        let settings = server::WorkerSettings {
            smtp_url,
            mail_from: "Pengaduan Ditjen Perumahan <pengaduan@perumahan.test>".into(),
            public_url: Some("https://aduan.test".into()),
            interval: std::time::Duration::from_secs(1),
        };
        server::worker(self.aduan().clone(), &settings).unwrap()
    }

    pub fn clock(&self) -> &ManualClock {
        self.clock.as_ref().expect("started with spawn_at")
    }

    pub async fn login(&self, username: &str) -> String {
        let response = self
            .client
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn post_case(&self, body: &Value) -> Response {
        self.client
            .post(self.url("/api/v1/cases"))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Submits a valid complaint and returns (ticket, access code).
    pub async fn submit(&self, body: &Value) -> (String, String) {
        let response = self.post_case(body).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{:?}",
            response.text().await
        );
        let body: Value = response.json().await.unwrap();
        (
            body["ticket"].as_str().unwrap().into(),
            body["access_code"].as_str().unwrap().into(),
        )
    }

    pub async fn track(&self, ticket: &str, code: &str) -> Response {
        self.client
            .get(self.url(&format!("/api/v1/track/{ticket}")))
            .header("X-Access-Code", code)
            .send()
            .await
            .unwrap()
    }

    pub async fn act(&self, token: &str, ticket: &str, action: Value) -> Response {
        self.client
            .post(self.url(&format!("/api/v1/cases/{ticket}/actions")))
            .bearer_auth(token)
            .json(&action)
            .send()
            .await
            .unwrap()
    }

    /// Applies an action that must succeed and returns the case afterwards.
    pub async fn act_ok(&self, token: &str, ticket: &str, action: Value) -> Value {
        let response = self.act(token, ticket, action.clone()).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        body
    }

    pub async fn get_case(&self, token: &str, ticket: &str) -> Response {
        self.client
            .get(self.url(&format!("/api/v1/cases/{ticket}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn list(&self, token: &str, query: &str) -> Response {
        self.client
            .get(self.url(&format!("/api/v1/cases?{query}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

pub fn complaint() -> Value {
    json!({
        "kind": "complaint",
        "category": "rusun",
        "title": "Lift rusunawa tidak berfungsi",
        "description": "Lift di blok B rusunawa Cakung sudah tiga minggu tidak berfungsi. Warga lansia harus naik tangga.",
        "event_date": "2026-11-01",
        "location": {"province": "DKI Jakarta", "city": "Jakarta Timur", "district": "Cakung", "address": "Jl. Rusun No. 1", "lat": -6.18, "lon": 106.95},
        "privacy": "public",
        "language": "id",
        "reporter": {"name": "Siti Aminah", "nik": "3174015708900001", "phone": "0812-3456-7890", "email": "siti@contoh.id", "address": "Blok B 12"}
    })
}

/// The error body's code, after checking its shape.
pub async fn error_code(response: Response) -> (StatusCode, String, Vec<String>) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    for key in ["code", "message_id", "message_en", "fields"] {
        assert!(body.get(key).is_some(), "error body lacks {key}: {body}");
    }
    assert_ne!(
        body["message_id"], body["message_en"],
        "messages must be translated: {body}"
    );
    let fields = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    (status, body["code"].as_str().unwrap().to_string(), fields)
}

/// Logs in through the staff page; returns the session cookie.
pub async fn staff_session(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(app.url("/staff/login"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("next", "/staff"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    (client, cookie.split(';').next().unwrap().to_string())
}

/// The CSRF token of a staff page's first form.
pub fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    page[start..start + 64].to_string()
}
