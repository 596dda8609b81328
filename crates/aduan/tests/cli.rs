//! The binary as an operator uses it: first start, `user add` from standard input, `--help`,
//! `migrate`, `demo-data`, and a clean stop on SIGTERM.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::zombie_processes
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn aduan() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aduan"));
    command
        .env_remove("ADUAN_DATABASE_URL")
        .env_remove("ADUAN_LISTEN")
        .env_remove("ADUAN_CONFIG")
        .env("ADUAN_LOG", "warn");
    command
}

/// Starts `aduan serve` on a free port; returns the child, its base URL and what it printed first.
fn serve(database: &str) -> (Child, String, Vec<String>) {
    let mut child = aduan()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "server exited early: {lines:?}"
        );
        if let Some(rest) = line.trim().strip_prefix("Aduan: http://") {
            let addr = rest.split_whitespace().next().unwrap().to_string();
            return (child, format!("http://{addr}"), lines);
        }
        lines.push(line.trim().to_string());
    }
}

fn stop(mut child: Child) {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "server exited with {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    panic!("server did not stop on SIGTERM");
}

fn add_user(database: &str, args: &[&str], password: &str) -> std::process::Output {
    let mut child = aduan()
        .args(["user", "add", "--database", database])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(password.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn first_start_prints_a_one_time_admin_password_and_users_are_added_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/data/aduan.db", dir.path().display());
    let (child, base, printed) = serve(&database);
    let password = printed
        .iter()
        .find_map(|l| l.strip_prefix("Password: "))
        .expect("admin password printed")
        .to_string();
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let login = |username: &'static str, password: String| {
        client
            .post(format!("{base}/api/v1/auth/token"))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
    };
    assert_eq!(
        login("admin", password.clone()).await.unwrap().status(),
        200
    );

    let output = add_user(
        &database,
        &[
            "--username",
            "petugas_rusun",
            "--role",
            "unit_officer",
            "--unit",
            "rusun",
        ],
        "rahasia-sekali-123\n",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        login("petugas_rusun", "rahasia-sekali-123".into())
            .await
            .unwrap()
            .status(),
        200
    );

    let output = add_user(
        &database,
        &["--username", "orang1", "--role", "juragan"],
        "rahasia-sekali-123",
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown role"));
    let output = add_user(
        &database,
        &["--username", "orang2", "--role", "unit_head"],
        "rahasia-sekali-123",
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("unit (required)"));
    let output = add_user(
        &database,
        &[
            "--username",
            "orang3",
            "--role",
            "coordinator",
            "--unit",
            "hukmas",
        ],
        "pendek",
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("password (too_short)"));
    let output = add_user(
        &database,
        &["--username", "petugas_rusun", "--role", "coordinator"],
        "rahasia-sekali-123",
    );
    assert!(!output.status.success(), "duplicate usernames are refused");
    stop(child);

    // The second start finds the administrator and prints no password.
    let (child, _, printed) = serve(&database);
    assert!(
        !printed.iter().any(|l| l.starts_with("Password:")),
        "{printed:?}"
    );
    stop(child);
}

#[test]
fn help_documents_every_command_and_setting() {
    let output = aduan().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for command in [
        "serve",
        "worker",
        "backlog",
        "calendar",
        "migrate",
        "user",
        "demo-data",
        "organisation",
        "import",
        "export",
        "report",
        "fetch-mail",
    ] {
        assert!(help.contains(command), "{command} missing from --help");
    }
    let output = aduan().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for setting in [
        "ADUAN_LISTEN",
        "ADUAN_DATABASE_URL",
        "ADUAN_ORGANISATION",
        "ADUAN_CONFIG",
        "ADUAN_SMTP_URL",
        "ADUAN_MAIL_FROM",
        "ADUAN_PUBLIC_URL",
        "ADUAN_IMAP_URL",
        "ADUAN_IMAP_PASSWORD",
    ] {
        assert!(
            help.contains(setting),
            "{setting} missing from serve --help"
        );
    }
}

#[test]
fn migrate_demo_data_and_a_bad_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/aduan.db", dir.path().display());
    let output = aduan()
        .args(["migrate", "--database", &database])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = aduan()
        .args(["demo-data", "40", "--database", &database])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(summary.starts_with("40 demo cases created"), "{summary}");
    assert!(summary.contains("closed:"), "{summary}");
    let output = aduan()
        .args(["migrate", "--database", "mysql://localhost/x"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("sqlite:// or postgres://"));
    // A custom organisation file is validated before anything is stored.
    let bad = dir.path().join("org.toml");
    std::fs::write(
        &bad,
        "[agency]\nname = \"X\"\ncoordinator_unit = \"none\"\nunits = []\ncategories = []\n",
    )
    .unwrap();
    let output = aduan()
        .args([
            "migrate",
            "--database",
            &database,
            "--organisation",
            bad.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("organisation"));
}

#[test]
fn backlog_calendar_and_a_worker_pass_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/aduan.db", dir.path().display());
    let run = |args: &[&str]| {
        let output = aduan()
            .args(args)
            .args(["--database", &database])
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    let (ok, _, err) = run(&["demo-data", "3000"]);
    assert!(ok, "{err}");
    let (ok, table, err) = run(&["backlog", "--from", "2020-01-01"]);
    assert!(ok, "{err}");
    assert!(table.contains("Tunggakan / backlog"), "{table}");
    assert!(table.contains("Jumlah / total"), "{table}");
    assert!(table.contains("Direktorat "), "units are named: {table}");
    assert!(
        table.contains("Tepat waktu / on time 2020-01-01"),
        "{table}"
    );
    // Demo data has late cases: the table lists them, longest overdue first.
    assert!(table.contains("hari kerja / working days"), "{table}");
    let (ok, _, err) = run(&["backlog", "--from", "tomorrow"]);
    assert!(!ok && err.contains("YYYY-MM-DD"), "{err}");

    let (ok, text, err) = run(&["calendar", "list"]);
    assert!(ok, "{err}");
    assert!(
        text.contains("Holiday data for: 2025, 2026, 2027"),
        "{text}"
    );
    let (ok, text, err) = run(&[
        "calendar",
        "add",
        "2026-12-31",
        "--day-off",
        "--reason",
        "Keppres cuti tambahan",
    ]);
    assert!(ok, "{err}");
    assert!(
        text.contains("2026-12-31  day off      Keppres cuti tambahan"),
        "{text}"
    );
    // 25 December is already a holiday; a Saturday is already not a working day.
    let (ok, _, err) = run(&[
        "calendar",
        "add",
        "2026-12-25",
        "--day-off",
        "--reason",
        "x",
    ]);
    assert!(!ok && err.contains("already_a_day_off"), "{err}");
    let (ok, text, err) = run(&[
        "calendar",
        "add",
        "2026-12-19",
        "--working-day",
        "--reason",
        "Sabtu pengganti",
    ]);
    assert!(ok, "{err}");
    assert!(text.contains("2026-12-19  working day"), "{text}");
    let (ok, text, err) = run(&["calendar", "remove", "2026-12-31"]);
    assert!(ok, "{err}");
    assert!(!text.contains("2026-12-31"), "{text}");
    let (ok, _, err) = run(&["calendar", "remove", "2026-12-31"]);
    assert!(!ok && err.contains("not found"), "{err}");

    // One worker pass: the demo data's deadlines are up to date; the receipts of new cases
    // would wait for SMTP. Nothing fails.
    let (ok, text, err) = run(&["worker", "--once"]);
    assert!(ok, "{err}");
    assert!(text.contains("failed 0"), "{text}");
}

#[test]
fn import_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/aduan.db", dir.path().display());
    let file = dir.path().join("lapor.csv");
    std::fs::write(
        &file,
        "tracking_id,title,body,classification,category,reporter_name\n\
         L-1,Atap rusun bocor,Atap blok C rusunawa bocor setiap hujan deras sejak dua minggu.,Pengaduan,PERUMAHAN BERSUBSIDI DAN RUMAH SUSUN,Siti\n\
         L-2,x,pendek,Pujian,,\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let output = aduan().args(args).output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    let path = file.to_str().unwrap();
    let (ok, out, err) = run(&["import", "lapor", path, "--database", &database]);
    assert!(!ok, "a refused row makes the command fail: {out} {err}");
    assert!(
        out.contains("created 1, joined 0, imported before 0, refused 1"),
        "{out}"
    );
    assert!(
        out.contains("line 3: refused: classification (unknown)"),
        "{out}"
    );
    assert!(err.contains("1 rows were not imported"), "{err}");
    let (_, out, _) = run(&["import", "lapor", path, "--database", &database]);
    assert!(
        out.contains("created 0, joined 0, imported before 1, refused 1"),
        "{out}"
    );

    let social = dir.path().join("dm.json");
    std::fs::write(
        &social,
        r#"[{"platform":"whatsapp","message_id":"w1","account":"6281234567890","text":"Mohon bantuan, rumah kami rusak berat akibat banjir kemarin."}]"#,
    )
    .unwrap();
    let (ok, out, err) = run(&[
        "import",
        "social",
        social.to_str().unwrap(),
        "--database",
        &database,
    ]);
    assert!(ok, "{out} {err}");
    assert!(out.contains("created 1"), "{out}");

    let (ok, _, err) = run(&[
        "import",
        "lapor",
        path,
        "--format",
        "xml",
        "--database",
        &database,
    ]);
    assert!(
        !ok && err.contains("--format json or --format csv"),
        "{err}"
    );

    let (ok, out, err) = run(&[
        "export",
        "lapor",
        "--since",
        "2020-01-01",
        "--database",
        &database,
    ]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("\u{feff}tracking_id,ticket,at,status,text"),
        "{out}"
    );
    assert!(
        err.contains("0 updates"),
        "nothing was done on the case yet: {err}"
    );

    // This month's report counts the two cases the imports made, in every format.
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7));
    let month = format!("{:04}-{:02}", now.year(), u8::from(now.month()));
    let (ok, out, err) = run(&[
        "report",
        "monthly",
        &month,
        "--format",
        "json",
        "--database",
        &database,
    ]);
    assert!(ok, "{err}");
    let figures: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(figures["figures"]["received"], 2, "{out}");
    assert!(err.contains("2 received"), "{err}");
    let xlsx = dir.path().join("laporan.xlsx");
    let (ok, _, err) = run(&[
        "report",
        "monthly",
        &month,
        "--output",
        xlsx.to_str().unwrap(),
        "--database",
        &database,
    ]);
    assert!(ok, "{err}");
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let summary = book.worksheet_range("Ringkasan").unwrap();
    let received = summary
        .rows()
        .find(|row| row[0] == Data::String("Diterima / Received".into()))
        .map(|row| row[1].clone());
    assert_eq!(received, Some(Data::Float(2.0)));
    let (ok, _, err) = run(&["report", "monthly", "2026-13", "--database", &database]);
    assert!(!ok && err.contains("month"), "{err}");
}
