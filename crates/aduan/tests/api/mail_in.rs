//! Mail in through the SMTP listener, sent by a real SMTP client (lettre): a new mail makes a
//! case with its files and gets the receipt; the reporter's reply joins the case; automatic
//! mail, bounces, our own mail and broken mail wait in the quarantine, whole, for an admin;
//! the same mail delivered twice makes one case.

use crate::helpers::*;
use crate::mail_corpus::*;
use crate::smtp::SmtpServer;
use aduan_domain::Role;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn listener(app: &TestApp) -> std::net::SocketAddr {
    let aduan = app
        .aduan()
        .clone()
        .with_mail_from(&format!("Pengaduan Ditjen Perumahan <{OUR_ADDRESS}>"));
    aduan::mail_listener::start(aduan, "127.0.0.1:0").unwrap()
}

async fn send(addr: std::net::SocketAddr, message: Message) {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .build();
    transport.send(message).await.unwrap();
}

async fn cases_by_email(app: &TestApp, token: &str) -> Vec<Value> {
    let listed: Value = app
        .list(token, "channel=email&limit=100")
        .await
        .json()
        .await
        .unwrap();
    listed["items"].as_array().unwrap().clone()
}

// The listener's threads wait on the runtime, which must run on threads of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_makes_a_case_with_its_files_and_a_reply_joins_it() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let addr = listener(&app);
    let outgoing = SmtpServer::start();

    let mail = Message::builder()
        .from("Siti Aminah <siti@contoh.id>".parse().unwrap())
        .to(OUR_ADDRESS.parse().unwrap())
        .subject("Lift rusunawa Cakung rusak tiga minggu")
        .message_id(Some("<laporan-1@contoh.id>".into()))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(
                    "Lift di blok B rusunawa Cakung sudah tiga minggu tidak berfungsi.\nWarga lansia harus naik tangga."
                        .to_string(),
                ))
                .singlepart(
                    Attachment::new("berita-acara.pdf".into())
                        .body(PDF.to_vec(), ContentType::parse("application/pdf").unwrap()),
                )
                .singlepart(Attachment::new("foto.jpg.exe".into()).body(
                    b"MZ\x90\x00\x03\x00\x00\x00program".to_vec(),
                    ContentType::parse("application/octet-stream").unwrap(),
                )),
        )
        .unwrap();
    send(addr, mail.clone()).await;
    // The sending server delivers the same mail again (it did not see our answer): one case.
    send(addr, mail).await;
    let cases = cases_by_email(&app, &coordinator).await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    let ticket = cases[0]["ticket"].as_str().unwrap().to_string();
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["title"], "Lift rusunawa Cakung rusak tiga minggu");
    assert!(
        case["description"]
            .as_str()
            .unwrap()
            .contains("Warga lansia")
    );
    assert_eq!(case["privacy"], "confidential");
    assert_eq!(case["reporter"]["email"], "siti@contoh.id");
    assert_eq!(case["reporter"]["name"], "Siti Aminah");
    let files: Vec<&str> = case["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["berita-acara.pdf"], "the program is refused");
    let refused = case["source"]["attachments"][0].as_str().unwrap();
    assert!(refused.starts_with("foto.jpg.exe ("), "{refused}");

    // The receipt (the auto-reply) goes to the sender, marked as automatic.
    app.worker(Some(outgoing.url())).run_once().await.unwrap();
    let receipts = outgoing.to("siti@contoh.id");
    assert_eq!(receipts.len(), 1);
    assert!(receipts[0].subject.contains(&ticket));
    assert!(
        receipts[0].auto_submitted.starts_with("auto-"),
        "{}",
        receipts[0].auto_submitted
    );

    // The reporter answers the receipt: the reply joins the case, with its file.
    let reply = Message::builder()
        .from("siti@contoh.id".parse().unwrap())
        .to(OUR_ADDRESS.parse().unwrap())
        .subject(format!("Re: {}", receipts[0].subject))
        .in_reply_to(receipts[0].message_id.clone())
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::html(
                    "<p>Lift <b>masih</b> rusak sampai hari ini.</p><script>alert(1)</script>"
                        .to_string(),
                ))
                .singlepart(
                    Attachment::new("foto-lift.pdf".into())
                        .body(PDF.to_vec(), ContentType::parse("application/pdf").unwrap()),
                ),
        )
        .unwrap();
    send(addr, reply).await;
    let case: Value = app
        .get_case(&coordinator, &ticket)
        .await
        .json()
        .await
        .unwrap();
    let last = case["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["change"]["type"], "message_received", "{last}");
    let text = last["change"]["text"].as_str().unwrap();
    assert!(
        text.contains("masih") && !text.contains("<b>"),
        "HTML became text: {text}"
    );
    assert_eq!(last["channel"], "email");
    assert_eq!(case["attachments"].as_array().map(Vec::len), Some(2));
    assert_eq!(cases_by_email(&app, &coordinator).await.len(), 1);

    // Someone else writing about the same ticket does not speak for the reporter: a new case.
    let stranger = Message::builder()
        .from("orang.lain@contoh.id".parse().unwrap())
        .to(OUR_ADDRESS.parse().unwrap())
        .subject(format!("[{ticket}] saya juga mengalami hal yang sama"))
        .body("Lift di blok C juga rusak, mohon sekalian diperbaiki oleh pengelola.".to_string())
        .unwrap();
    send(addr, stranger).await;
    assert_eq!(cases_by_email(&app, &coordinator).await.len(), 2);
    app.finish().await;
}

#[tokio::test]
async fn automatic_broken_and_hostile_mail_waits_in_the_quarantine() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let admin = app.staff("admin2", Role::Admin, None).await;
    let aduan = app.aduan().clone().with_mail_from(OUR_ADDRESS);
    let corpus = quarantine_corpus();
    for (name, mail, reason) in &corpus {
        let outcome = aduan.receive_mail(mail, "test").await.unwrap();
        assert_eq!(
            serde_json::to_value(&outcome).unwrap()["reason"],
            *reason,
            "{name}: {outcome:?}"
        );
    }
    // Wrong charsets and an HTML-only body still make a readable case.
    let latin1 = latin1_mail();
    let outcome = serde_json::to_value(aduan.receive_mail(&latin1, "test").await.unwrap()).unwrap();
    assert_eq!(outcome["outcome"], "created", "{outcome}");
    let ticket = outcome["ticket"].as_str().unwrap();
    let case: Value = app
        .get_case(&coordinator, ticket)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["title"], "Rumah rétak");
    assert!(case["description"].as_str().unwrap().contains("rétak"));
    // A zip (a possible bomb) is not a file a case keeps: refused, noted, the case made.
    let zip = zip_mail();
    let outcome = serde_json::to_value(aduan.receive_mail(&zip, "test").await.unwrap()).unwrap();
    assert_eq!(outcome["outcome"], "created", "{outcome}");
    let case: Value = app
        .get_case(&coordinator, outcome["ticket"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["attachments"].as_array().map(Vec::len), Some(0));
    assert!(
        case["source"]["attachments"][0]
            .as_str()
            .unwrap()
            .starts_with("data.zip (")
    );

    // The admin sees every kept mail, without its content, and decides.
    let list = |state: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.client
                .get(app.url(&format!("/api/v1/admin/quarantine?state={state}")))
                .bearer_auth(&admin)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let held = list("held").await;
    assert_eq!(held.as_array().map(Vec::len), Some(corpus.len()), "{held}");
    let automatic = held
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == "Sedang cuti")
        .unwrap()
        .clone();
    let retried = app
        .client
        .post(app.url(&format!(
            "/api/v1/admin/quarantine/{}/retry",
            automatic["id"]
        )))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), StatusCode::OK);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(
        retried["outcome"], "created",
        "the admin judged it genuine: {retried}"
    );
    let noise = held
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["size"] == json!(7))
        .unwrap()
        .clone();
    // Retrying what still cannot be read leaves the same entry held, not a copy.
    let still: Value = app
        .client
        .post(app.url(&format!("/api/v1/admin/quarantine/{}/retry", noise["id"])))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&still["outcome"], &still["id"]),
        (&json!("quarantined"), &noise["id"])
    );
    assert_eq!(
        list("held").await.as_array().map(Vec::len),
        Some(corpus.len() - 1)
    );
    let discarded = app
        .client
        .post(app.url(&format!("/api/v1/admin/quarantine/{}/discard", noise["id"])))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(discarded.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        list("held").await.as_array().map(Vec::len),
        Some(corpus.len() - 2)
    );
    assert_eq!(list("discarded").await.as_array().map(Vec::len), Some(1));
    let again = app
        .client
        .post(app.url(&format!("/api/v1/admin/quarantine/{}/discard", noise["id"])))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let forbidden = app
        .client
        .get(app.url("/api/v1/admin/quarantine"))
        .bearer_auth(&coordinator)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_refuses_oversized_mail_and_stays_up() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .staff("koordinator", Role::Coordinator, Some("hukmas"))
        .await;
    let addr =
        aduan::mail_listener::start_with_limit(app.aduan().clone(), "127.0.0.1:0", 64 * 1024)
            .unwrap();
    let huge = Message::builder()
        .from("besar@contoh.id".parse().unwrap())
        .to(OUR_ADDRESS.parse().unwrap())
        .subject("Berkas sangat besar")
        .singlepart(Attachment::new("besar.pdf".into()).body(
            vec![b'A'; 100 * 1024],
            ContentType::parse("application/pdf").unwrap(),
        ))
        .unwrap();
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .build();
    let refused = transport.send(huge).await;
    assert!(
        refused.is_err(),
        "a permanent refusal for a mail over the limit"
    );
    drop(transport);
    // The next mail on a new connection is taken as usual.
    let fine = Message::builder()
        .from("kecil@contoh.id".parse().unwrap())
        .to(OUR_ADDRESS.parse().unwrap())
        .subject("Atap rusun bocor")
        .body("Atap blok C rusunawa bocor setiap hujan deras sejak dua minggu.".to_string())
        .unwrap();
    send(addr, fine).await;
    assert_eq!(cases_by_email(&app, &coordinator).await.len(), 1);
    app.finish().await;
}
