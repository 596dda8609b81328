//! A submission acknowledged with 201 is on disk: kill the server with SIGKILL under load,
//! start it again, and every acknowledged case is there.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn start(database: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aduan"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .env("ADUAN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            panic!("server exited before listening");
        }
        if let Some(rest) = line.trim().strip_prefix("Aduan: http://") {
            let base = format!("http://{}", rest.split_whitespace().next().unwrap());
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in reader.lines() {});
            return (child, base);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_submissions_survive_sigkill() {
    let db = TestDb::new().await;
    let (mut child, base) = start(&db.url);
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_millis(1500);
    let mut clients = Vec::new();
    for _ in 0..16 {
        let (client, base, acknowledged) = (client.clone(), base.clone(), acknowledged.clone());
        clients.push(tokio::spawn(async move {
            // Bounded: at most 2,000 requests per client, and only until the kill.
            for _ in 0..2_000 {
                let sent = client
                    .post(format!("{base}/api/v1/cases"))
                    .json(&complaint())
                    .send()
                    .await;
                let Ok(response) = sent else { break };
                if response.status() != StatusCode::CREATED {
                    break;
                }
                let Ok(body) = response.json::<Value>().await else {
                    break;
                };
                let pair = (
                    body["ticket"].as_str().unwrap().to_string(),
                    body["access_code"].as_str().unwrap().to_string(),
                );
                acknowledged.lock().unwrap().push(pair);
            }
        }));
    }
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush.
    child.wait().unwrap();
    for task in clients {
        task.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 10,
        "too few submissions under load: {}",
        acknowledged.len()
    );

    let (mut child, base) = start(&db.url);
    let mut missing = Vec::new();
    for (ticket, code) in &acknowledged {
        let response = client
            .get(format!("{base}/api/v1/track/{ticket}"))
            .header("X-Access-Code", code)
            .send()
            .await
            .unwrap();
        if response.status() != StatusCode::OK {
            missing.push(ticket.clone());
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged cases lost: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
}
