//! Preparing a database, starting `aduan serve` as a separate process, and the measured calls.

use crate::load::{self, Stats};
use aduan_domain::Ticket;
use serde_json::{Value, json};
use sqlx::Connection;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// Whether a response has the expected status, reading its body to the end so that the
/// connection goes back to the pool (otherwise every request would open a new connection).
pub async fn answered(sent: reqwest::Result<reqwest::Response>, expected: u16) -> bool {
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            response.bytes().await.is_ok() && status == expected
        }
        Err(_) => false,
    }
}

pub struct Setup {
    pub backend: String,
    pub cases: u64,
    pub aduan: PathBuf,
    pub data: PathBuf,
    pub postgres: String,
    /// Fill `data/kept-N` (SQLite) or the database `aduan_bench_kept_N` (PostgreSQL) once and
    /// reuse it in later runs, instead of a fresh database removed at the end (for working on
    /// one figure; its demo-data rate is not measured again).
    pub keep: bool,
}

pub struct Prepared {
    pub url: String,
    /// A second database for the insert ceiling, on the same disk or server.
    pub scratch_url: String,
    pub demo_summary: String,
    pub demo_rate: f64,
    /// The PostgreSQL databases this run drops at the end.
    pg_names: Vec<String>,
    postgres_admin: String,
    keep: bool,
}

const SEED: u64 = 20_261_128;
const PASSWORD: &str = "bench-password-123";

fn random_suffix() -> String {
    let mut bytes = [0u8; 4];
    let _ = getrandom::fill(&mut bytes);
    hex::encode(bytes)
}

pub async fn prepare(setup: &Setup) -> anyhow::Result<Prepared> {
    let (url, scratch_url, pg_names) = if setup.backend == "postgres" {
        sqlx::any::install_default_drivers();
        let mut admin = sqlx::PgConnection::connect(&setup.postgres).await?;
        let suffix = random_suffix();
        let bench = if setup.keep {
            format!("aduan_bench_kept_{}", setup.cases)
        } else {
            format!("aduan_bench_{suffix}")
        };
        let ceiling = format!("aduan_ceiling_{suffix}");
        for name in [&bench, &ceiling] {
            let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_optional(&mut admin)
                .await?
                .is_some();
            if !exists {
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await?;
            }
        }
        let base = setup
            .postgres
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or_default();
        let url = format!("{base}/{bench}");
        let scratch_url = format!("{base}/{ceiling}");
        // A kept database stays; the ceiling's scratch database never does.
        let dropped = if setup.keep {
            vec![ceiling]
        } else {
            vec![bench, ceiling]
        };
        (url, scratch_url, dropped)
    } else if setup.backend == "sqlite" {
        let name = if setup.keep {
            format!("kept-{}", setup.cases)
        } else {
            format!("run-{}", random_suffix())
        };
        let dir = setup.data.join(name);
        std::fs::create_dir_all(&dir)?;
        let dir = std::fs::canonicalize(&dir)?;
        (
            format!("sqlite://{}/aduan.db", dir.display()),
            format!("sqlite://{}/ceiling.db?mode=rwc", dir.display()),
            vec![],
        )
    } else {
        anyhow::bail!("--backend is sqlite or postgres");
    };
    let kept = setup.keep && filled_before(&url).await;
    if kept {
        return Ok(Prepared {
            url,
            scratch_url,
            demo_summary: "kept from an earlier run".into(),
            demo_rate: 0.0,
            pg_names,
            postgres_admin: setup.postgres.clone(),
            keep: true,
        });
    }
    let output = Command::new(&setup.aduan)
        .args([
            "demo-data",
            &setup.cases.to_string(),
            "--seed",
            &SEED.to_string(),
            "--database",
            &url,
        ])
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "demo-data failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let demo_summary = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let demo_rate = demo_summary
        .split(" s (")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    for (username, role, unit) in [
        ("bench_koordinator", "coordinator", "hukmas"),
        ("bench_petugas", "unit_officer", "rusun"),
    ] {
        let mut child = Command::new(&setup.aduan)
            .args([
                "user",
                "add",
                "--username",
                username,
                "--role",
                role,
                "--unit",
                unit,
                "--database",
                &url,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(PASSWORD.as_bytes())?;
        }
        anyhow::ensure!(child.wait()?.success(), "user add failed");
    }
    Ok(Prepared {
        url,
        scratch_url,
        demo_summary,
        demo_rate,
        pg_names,
        postgres_admin: setup.postgres.clone(),
        keep: setup.keep,
    })
}

/// Whether a kept database was filled by an earlier run: the SQLite file exists, or the
/// PostgreSQL database already holds the bench's users (they are added after the demo data).
async fn filled_before(url: &str) -> bool {
    if let Some(path) = url.strip_prefix("sqlite://") {
        return std::path::Path::new(path).exists();
    }
    let Ok(mut conn) = sqlx::PgConnection::connect(url).await else {
        return false;
    };
    sqlx::query("SELECT 1 FROM users WHERE username = 'bench_petugas'")
        .fetch_optional(&mut conn)
        .await
        .is_ok_and(|row| row.is_some())
}

impl Prepared {
    pub async fn cleanup(&self) {
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.postgres_admin).await {
            for name in &self.pg_names {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await;
            }
        }
        if self.keep {
            return;
        }
        if let Some(path) = self.url.strip_prefix("sqlite://")
            && let Some(dir) = std::path::Path::new(path).parent()
        {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub struct Running {
    pub pid: u32,
    pub base: String,
    child: Child,
}

impl Running {
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Starts a child process and waits for the line announcing its address.
fn spawn_announcing(mut command: Command, prefix: &str) -> anyhow::Result<(Child, String)> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            let _ = child.kill();
            anyhow::bail!("child exited before announcing its address");
        }
        if let Some(rest) = line.trim().strip_prefix(prefix) {
            let addr = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            std::thread::spawn(move || for _ in reader.lines() {});
            return Ok((child, addr));
        }
    }
}

pub async fn start(setup: &Setup, prepared: &Prepared) -> anyhow::Result<Running> {
    let mut command = Command::new(&setup.aduan);
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &prepared.url,
            // No SMTP server here: a worker would only retry the receipts' mail, which
            // measures the retry churn, not the product. The outbox rows are still written.
            "--no-worker",
        ])
        .env("ADUAN_LOG", "warn");
    let (child, addr) = spawn_announcing(command, "Aduan: http://")?;
    Ok(Running {
        pid: child.id(),
        base: format!("http://{addr}"),
        child,
    })
}

pub async fn bare_http_ceiling(clients: usize, duration: Duration) -> anyhow::Result<Stats> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["bare-http", "--listen", "127.0.0.1:0"]);
    let (mut child, addr) = spawn_announcing(command, "listening ")?;
    let client = reqwest::Client::new();
    let url = Arc::new(format!("http://{addr}/ping"));
    let stats = load::run(clients, duration, u64::MAX, move |_, _| {
        let (client, url) = (client.clone(), url.clone());
        async move { answered(client.get(url.as_str()).send().await, 200).await }
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    Ok(stats)
}

/// Resident memory of a process in MB, from /proc (`VmRSS` now, `VmHWM` peak).
pub fn rss_mb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// The server's peak memory per measurement: after each one the peak is read and the kernel's
/// high-water mark is reset to the current size (`clear_refs` 5), so the next measurement's
/// peak is its own. Without a reset (another user's process, an old kernel) each peak is the
/// peak so far, which still bounds the run.
pub struct PeakWatch {
    pid: u32,
}

impl PeakWatch {
    pub fn new(pid: u32) -> Self {
        let watch = Self { pid };
        watch.reset();
        watch
    }

    pub fn measured(&self, mut stats: Stats) -> Stats {
        stats.peak_rss_mb = rss_mb(self.pid, "VmHWM");
        self.reset();
        stats
    }

    fn reset(&self) {
        if let Err(e) = std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5") {
            eprintln!("the server's peak memory cannot be reset ({e}): peaks are cumulative");
        }
    }
}

pub struct Measures {
    base: Arc<String>,
    client: reqwest::Client,
    token: Arc<String>,
    /// Demo cases and their access codes, spread over the whole table.
    tracked: Arc<Vec<(String, String)>>,
    months: Arc<Vec<String>>,
}

impl Measures {
    pub async fn new(running: &Running, setup: &Setup) -> anyhow::Result<Self> {
        let client = reqwest::Client::new();
        let login: Value = client
            .post(format!("{}/api/v1/auth/token", running.base))
            .json(&json!({"username": "bench_koordinator", "password": PASSWORD}))
            .send()
            .await?
            .json()
            .await?;
        let token = login["token"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("login failed: {login}"))?
            .to_string();
        // Sample tickets across the id range through keyset cursors.
        let mut tracked = Vec::new();
        let mut months = Vec::new();
        let pages = 20u64;
        for page in 0..pages {
            let cursor = 1 + setup.cases * (page + 1) / pages;
            let list: Value = client
                .get(format!(
                    "{}/api/v1/cases?limit=100&cursor={cursor}",
                    running.base
                ))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            for item in list["items"].as_array().into_iter().flatten() {
                let Some(ticket) = item["ticket"].as_str() else {
                    continue;
                };
                let parsed = Ticket::parse(ticket).map_err(|e| anyhow::anyhow!("{e}"))?;
                tracked.push((
                    ticket.to_string(),
                    aduan::demo::demo_access_code(SEED, &parsed).display(),
                ));
                if let Some(month) = item["received_at"].as_str().map(|t| t[..7].to_string())
                    && !months.contains(&month)
                {
                    months.push(month);
                }
            }
        }
        anyhow::ensure!(!tracked.is_empty(), "no demo cases found to track");
        Ok(Self {
            base: Arc::new(running.base.clone()),
            client,
            token: Arc::new(token),
            tracked: Arc::new(tracked),
            months: Arc::new(months),
        })
    }

    async fn get_many(&self, clients: usize, duration: Duration, paths: Vec<String>) -> Stats {
        let (client, base, token) = (self.client.clone(), self.base.clone(), self.token.clone());
        let paths = Arc::new(paths);
        load::run(clients, duration, u64::MAX, move |c, i| {
            let (client, base, token, paths) =
                (client.clone(), base.clone(), token.clone(), paths.clone());
            async move {
                let path = &paths[(c + i as usize * 7) % paths.len()];
                answered(
                    client
                        .get(format!("{base}{path}"))
                        .bearer_auth(token.as_str())
                        .send()
                        .await,
                    200,
                )
                .await
            }
        })
        .await
    }

    pub async fn submissions(&self, clients: usize, duration: Duration) -> Stats {
        let (client, base) = (self.client.clone(), self.base.clone());
        load::run(clients, duration, u64::MAX, move |c, i| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                // Each client writes its own reports, as the people of a real flood would.
                let report = aduan::demo::sample_report(((c as u64) << 32) + i);
                let (province, city, district) = report.place;
                let (name, phone, email) = report.reporter;
                let body = json!({
                    "kind": "complaint", "category": report.category,
                    "title": report.title,
                    "description": report.description,
                    "location": {"province": province, "city": city, "district": district},
                    "privacy": "public",
                    "reporter": {"name": name, "phone": phone, "email": email}
                });
                answered(
                    client
                        .post(format!("{base}/api/v1/cases"))
                        .json(&body)
                        .send()
                        .await,
                    201,
                )
                .await
            }
        })
        .await
    }

    pub async fn tracking(&self, clients: usize, duration: Duration) -> Stats {
        let (client, base, tracked) =
            (self.client.clone(), self.base.clone(), self.tracked.clone());
        load::run(clients, duration, u64::MAX, move |c, i| {
            let (client, base, tracked) = (client.clone(), base.clone(), tracked.clone());
            async move {
                let (ticket, code) = &tracked[(c * 131 + i as usize * 17) % tracked.len()];
                answered(
                    client
                        .get(format!("{base}/api/v1/track/{ticket}"))
                        .header("X-Access-Code", code)
                        .send()
                        .await,
                    200,
                )
                .await
            }
        })
        .await
    }

    pub async fn list(&self, clients: usize, duration: Duration) -> Stats {
        let paths = vec![
            "/api/v1/cases?limit=50".to_string(),
            "/api/v1/cases?state=in_progress&limit=50".into(),
            "/api/v1/cases?category=rusun&state=closed&limit=50".into(),
            "/api/v1/cases?unit=swadaya&limit=50".into(),
            "/api/v1/cases?channel=lapor&kind=complaint&limit=50".into(),
            "/api/v1/cases?overdue=true&limit=50".into(),
        ];
        self.get_many(clients, duration, paths).await
    }

    pub async fn search(&self, clients: usize, duration: Duration) -> Stats {
        let paths = [
            "lift",
            "bocor",
            "sertifikat",
            "pengembang",
            "pungutan",
            "air%20bersih",
            "berlubang",
        ]
        .iter()
        .map(|q| format!("/api/v1/cases?q={q}&limit=20"))
        .collect();
        self.get_many(clients, duration, paths).await
    }

    pub async fn backlog(&self, clients: usize, duration: Duration) -> Stats {
        self.get_many(clients, duration, vec!["/api/v1/backlog".into()])
            .await
    }

    pub async fn monthly(&self, clients: usize, duration: Duration) -> Stats {
        let paths = self
            .months
            .iter()
            .map(|m| format!("/api/v1/stats/monthly?month={m}"))
            .collect::<Vec<_>>();
        let paths = if paths.is_empty() {
            vec!["/api/v1/stats/monthly?month=2026-10".into()]
        } else {
            paths
        };
        self.get_many(clients, duration, paths).await
    }

    /// The statistics of a whole month computed from the case facts (`/api/v1/stats`), the
    /// figures behind the dashboard and every report file.
    pub async fn period_statistics(&self, clients: usize, duration: Duration) -> Stats {
        let paths = self.month_paths(|m| format!("/api/v1/stats?from={m}-01&to={}", last_day(m)));
        self.get_many(clients, duration, paths).await
    }

    /// The same computation with nothing to reuse: one client asks each month under filters
    /// it has not asked before (channel × kind), so every answer is computed from the facts.
    pub async fn period_statistics_cold(&self, duration: Duration) -> Stats {
        let channels = [
            "web", "email", "walk_in", "phone", "letter", "lapor", "social", "api",
        ];
        let kinds = ["complaint", "info_request", "aspiration"];
        let mut paths = Vec::new();
        for channel in channels {
            for kind in kinds {
                paths.extend(self.month_paths(|m| {
                    format!(
                        "/api/v1/stats?from={m}-01&to={}&channel={channel}&kind={kind}",
                        last_day(m)
                    )
                }));
            }
        }
        self.get_many(1, duration, paths).await
    }

    /// The monthly report as a workbook and as a PDF, one at a time (leadership downloads
    /// them; nobody asks for hundreds at once).
    pub async fn report_files(&self, duration: Duration) -> Stats {
        let mut paths = self.month_paths(|m| format!("/api/v1/reports/monthly/{m}?format=xlsx"));
        paths.extend(self.month_paths(|m| format!("/api/v1/reports/monthly/{m}?format=pdf")));
        self.get_many(1, duration, paths).await
    }

    fn month_paths(&self, path: impl Fn(&str) -> String) -> Vec<String> {
        if self.months.is_empty() {
            vec![path("2026-10")]
        } else {
            self.months.iter().map(|m| path(m)).collect()
        }
    }
}

/// The last day of `YYYY-MM`, as `YYYY-MM-DD`.
fn last_day(month: &str) -> String {
    let (year, number) = month.split_once('-').unwrap_or(("2026", "10"));
    let year: i32 = year.parse().unwrap_or(2026);
    let number: u8 = number.parse().unwrap_or(10);
    let days = time::Month::try_from(number).map_or(30, |m| m.length(year));
    format!("{month}-{days:02}")
}
