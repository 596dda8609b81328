//! Mail in from a real mailbox: dovecot (Debian's IMAP server) is started by the suite, mails
//! are placed in its INBOX, and Aduan's fetcher reads them over TLS and STARTTLS. New mail
//! makes cases with their files, replies join their case, broken and hostile mail waits in the
//! quarantine while the mailbox goes on, and a fetcher killed mid-run loses and duplicates
//! nothing. Built only with `--features imap-tests`; `.ci/run` installs dovecot and runs it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::zombie_processes
)]

mod dovecot;
#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "../api/mail_corpus.rs"]
mod mail_corpus;
#[path = "../api/smtp.rs"]
#[allow(dead_code)]
mod smtp;

use aduan::mail_fetcher::{DEFAULT_DONE_FOLDER, FetchReport, ImapSettings, fetch_once};
use aduan_domain::Role;
use dovecot::{Dovecot, PASSWORD};
use helpers::*;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use mail_corpus::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn settings(dovecot: &Dovecot, starttls: bool) -> ImapSettings {
    let mut settings = ImapSettings::from_url(&dovecot.url(starttls), Some(PASSWORD)).unwrap();
    settings.ca_file = Some(dovecot.ca_file());
    settings
}

fn report(created: usize, joined: usize, already: usize, quarantined: usize) -> FetchReport {
    FetchReport {
        created,
        joined,
        already,
        quarantined,
    }
}

async fn email_cases(app: &TestApp, token: &str) -> Vec<Value> {
    let listed: Value = app
        .list(token, "channel=email&limit=100")
        .await
        .json()
        .await
        .unwrap();
    listed["items"].as_array().unwrap().clone()
}

fn complaint_mail(from: &str, subject: &str, message_id: &str) -> Message {
    Message::builder()
        .from(from.parse().unwrap())
        .to(OUR_ADDRESS.parse().unwrap())
        .subject(subject)
        .message_id(Some(message_id.into()))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(format!(
                    "{subject}.\nSudah kami laporkan ke pengelola tetapi belum ada tindak lanjut."
                )))
                .singlepart(
                    Attachment::new("denah.pdf".into())
                        .body(PDF.to_vec(), ContentType::parse("application/pdf").unwrap()),
                )
                .singlepart(Attachment::new("setup.exe".into()).body(
                    b"MZ\x90\x00\x03\x00\x00\x00program".to_vec(),
                    ContentType::parse("application/octet-stream").unwrap(),
                )),
        )
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_in_a_real_mailbox_becomes_a_case_and_the_reply_joins_it() {
    let dovecot = Dovecot::start();
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let aduan = app
        .aduan()
        .clone()
        .with_mail_from(&format!("Pengaduan Ditjen Perumahan <{OUR_ADDRESS}>"));
    let imaps = settings(&dovecot, false);

    let first = complaint_mail(
        "Siti Aminah <siti@contoh.id>",
        "Air PDAM rusunawa Marunda mati seminggu",
        "<marunda-1@contoh.id>",
    )
    .formatted();
    dovecot.deliver(&first).await;
    assert_eq!(
        fetch_once(&aduan, &imaps).await.unwrap(),
        report(1, 0, 0, 0)
    );
    assert!(dovecot.folder("INBOX").await.is_empty());
    assert_eq!(dovecot.folder(DEFAULT_DONE_FOLDER).await.len(), 1);

    let cases = email_cases(&app, &coordinator).await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    let ticket = cases[0]["ticket"].as_str().unwrap().to_string();
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["title"], "Air PDAM rusunawa Marunda mati seminggu");
    assert_eq!(case["channel"], "email");
    assert_eq!(case["reporter"]["email"], "siti@contoh.id");
    let files: Vec<&str> = case["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["denah.pdf"], "the program is refused");
    assert!(
        case["source"]["attachments"][0]
            .as_str()
            .unwrap()
            .starts_with("setup.exe (")
    );

    // The auto-reply carries the ticket and the access code.
    let outgoing = smtp::SmtpServer::start();
    app.worker(Some(outgoing.url())).run_once().await.unwrap();
    let receipts = outgoing.to("siti@contoh.id");
    assert_eq!(receipts.len(), 1);
    assert!(receipts[0].subject.contains(&ticket));

    // The coordinator handles it like any case.
    app.act_ok(&coordinator, &ticket, json!({"action": "verify"}))
        .await;
    let case = app
        .act_ok(
            &coordinator,
            &ticket,
            json!({"action": "dispose", "lead_unit": "rusun", "instruction": "Mohon dicek"}),
        )
        .await;
    assert_eq!(case["state"], "dispositioned");

    // The reporter replies; and the first mail is back in the INBOX, as when the fetcher died
    // after committing its case but before moving it.
    let reply = Message::builder()
        .from("siti@contoh.id".parse().unwrap())
        .to(OUR_ADDRESS.parse().unwrap())
        .subject(format!("Re: {}", receipts[0].subject))
        .in_reply_to(receipts[0].message_id.clone())
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(
                    "Air masih mati, warga membeli air galon setiap hari.".to_string(),
                ))
                .singlepart(
                    Attachment::new("kuitansi.pdf".into())
                        .body(PDF.to_vec(), ContentType::parse("application/pdf").unwrap()),
                ),
        )
        .unwrap()
        .formatted();
    dovecot.deliver_all(&[reply, first]).await;
    assert_eq!(
        fetch_once(&aduan, &imaps).await.unwrap(),
        report(0, 1, 1, 0)
    );
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    let last = case["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["change"]["type"], "message_received", "{last}");
    assert!(
        last["change"]["text"]
            .as_str()
            .unwrap()
            .contains("air galon")
    );
    assert_eq!(case["attachments"].as_array().map(Vec::len), Some(2));
    assert_eq!(email_cases(&app, &coordinator).await.len(), 1);
    assert!(dovecot.folder("INBOX").await.is_empty());
    assert_eq!(dovecot.folder(DEFAULT_DONE_FOLDER).await.len(), 3);

    // An empty mailbox is a quiet pass.
    assert_eq!(
        fetch_once(&aduan, &imaps).await.unwrap(),
        report(0, 0, 0, 0)
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_and_hostile_mail_waits_in_the_quarantine_and_the_mailbox_goes_on() {
    let dovecot = Dovecot::start();
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let admin = app.staff("admin2", Role::Admin, None).await;
    let aduan = app.aduan().clone().with_mail_from(OUR_ADDRESS);
    let starttls = settings(&dovecot, true);

    // IMAP cannot hold an empty message; everything else in the corpus can.
    let corpus: Vec<_> = quarantine_corpus()
        .into_iter()
        .filter(|(_, raw, _)| !raw.is_empty())
        .collect();
    // Over the 30 MB limit: only its header is fetched and kept; the mail stays on the server.
    let mut huge = raw(
        "From: besar@contoh.id\r\nSubject: Video rumah\r\nMessage-ID: <huge@x>",
        LONG,
    );
    huge.extend(std::iter::repeat_n(b'x', 31 * 1024 * 1024));
    let mut mails: Vec<Vec<u8>> = corpus.iter().map(|(_, raw, _)| raw.clone()).collect();
    mails.push(huge);
    mails.push(latin1_mail());
    mails.push(zip_mail());
    dovecot.deliver_all(&mails).await;

    let first = fetch_once(&aduan, &starttls).await.unwrap();
    assert_eq!(first, report(2, 0, 0, corpus.len() + 1));
    assert!(dovecot.folder("INBOX").await.is_empty());

    let held: Value = app
        .client
        .get(app.url("/api/v1/admin/quarantine?state=held"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let held = held.as_array().unwrap().clone();
    let mut reasons: Vec<&str> = held.iter().map(|m| m["reason"].as_str().unwrap()).collect();
    reasons.sort_unstable();
    let mut expected: Vec<&str> = corpus.iter().map(|(_, _, reason)| *reason).collect();
    expected.push("too_large");
    expected.sort_unstable();
    assert_eq!(reasons, expected);
    let too_large = held.iter().find(|m| m["reason"] == "too_large").unwrap();
    assert!(
        too_large["detail"]
            .as_str()
            .unwrap()
            .contains(DEFAULT_DONE_FOLDER),
        "{too_large}"
    );
    assert_eq!(too_large["subject"], "Video rumah");
    assert!(held.iter().all(|m| m["origin"] == "imap:INBOX"));

    // The good mail among them made readable cases.
    let cases = email_cases(&app, &coordinator).await;
    let mut titles: Vec<&str> = cases.iter().map(|c| c["title"].as_str().unwrap()).collect();
    titles.sort_unstable();
    assert_eq!(titles, ["Lampiran data", "Rumah rétak"]);

    // Everything again, as if no mail had been moved: nothing is made or kept twice.
    dovecot.deliver_all(&mails).await;
    let again = fetch_once(&aduan, &starttls).await.unwrap();
    assert_eq!(again, report(0, 0, 2, corpus.len() + 1));
    let held_again: Value = app
        .client
        .get(app.url("/api/v1/admin/quarantine?state=held"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(held_again.as_array().unwrap().len(), held.len());
    assert_eq!(email_cases(&app, &coordinator).await.len(), 2);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_or_an_untrusted_certificate_is_a_clear_error() {
    let dovecot = Dovecot::start();
    let app = TestApp::spawn().await;
    let aduan = app.aduan().clone();
    dovecot
        .deliver(&raw(
            "From: warga@contoh.id\r\nSubject: Atap bocor\r\nMessage-ID: <w1@x>",
            LONG,
        ))
        .await;

    let mut wrong = settings(&dovecot, false);
    wrong.password = "bukan-sandinya".into();
    let error = format!("{:#}", fetch_once(&aduan, &wrong).await.unwrap_err());
    assert!(error.contains("login"), "{error}");
    assert!(!error.contains("bukan-sandinya"), "no password in messages");

    let mut untrusted = settings(&dovecot, true);
    untrusted.ca_file = None;
    let error = format!("{:#}", fetch_once(&aduan, &untrusted).await.unwrap_err());
    assert!(error.contains("TLS"), "{error}");

    // Nothing was taken from the mailbox meanwhile.
    assert_eq!(dovecot.folder("INBOX").await.len(), 1);
    app.finish().await;
}

/// Runs `aduan fetch-mail` as its own process on the test database.
fn fetch_mail(dovecot: &Dovecot, database: &str, once: bool) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aduan"));
    command
        .arg("fetch-mail")
        .args(["--database", database])
        .args(["--imap-url", &dovecot.url(false)])
        .args(["--imap-ca-file", dovecot.ca_file().to_str().unwrap()])
        .args(["--imap-interval", "5"])
        .env("ADUAN_IMAP_PASSWORD", PASSWORD)
        .env("ADUAN_LOG", "info");
    if once {
        command.arg("--once");
    }
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetcher_killed_mid_run_loses_and_duplicates_nothing() {
    const MAILS: usize = 60;
    let dovecot = Dovecot::start();
    let db = TestDb::new().await;
    let mails: Vec<Vec<u8>> = (1..=MAILS)
        .map(|n| {
            raw(
                &format!(
                    "From: warga{n}@contoh.id\r\nSubject: Laporan rumah nomor {n}\r\nMessage-ID: <kill-{n}@contoh.id>"
                ),
                LONG,
            )
        })
        .collect();
    dovecot.deliver_all(&mails).await;

    // Polling: killed with SIGKILL after its fifth case, before the first batch is moved.
    let mut child = fetch_mail(&dovecot, &db.url, false)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut made = 0;
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        if line.unwrap().contains("mail made a case") {
            made += 1;
            if made == 5 {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(made, 5, "the fetcher stopped before its fifth case");
    assert!(
        !dovecot.folder("INBOX").await.is_empty(),
        "killed mid-run, mail is left"
    );

    // Run again to the end: the committed but unmoved mail is recognised, the rest is read.
    let output = fetch_mail(&dovecot, &db.url, true).output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let before: usize = printed
        .split(" received before")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected report: {printed}"));
    assert!(
        before >= 5,
        "the killed run's cases were found again: {printed}"
    );
    assert!(dovecot.folder("INBOX").await.is_empty());
    assert_eq!(dovecot.folder(DEFAULT_DONE_FOLDER).await.len(), MAILS);

    // Exactly one case per mail.
    let app = TestApp::spawn_on(db, None).await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let cases = email_cases(&app, &coordinator).await;
    let mut titles: Vec<String> = cases
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort_unstable();
    let mut expected: Vec<String> = (1..=MAILS)
        .map(|n| format!("Laporan rumah nomor {n}"))
        .collect();
    expected.sort_unstable();
    assert_eq!(titles, expected);
    app.finish().await;
}
