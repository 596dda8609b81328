//! What the bare machine reaches, measured in the same run as Aduan so that Aduan's figures can
//! be read as ratios: a bare HTTP handler, and bare durable inserts with group commit.

use crate::load::{self, Stats};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, Connection, Executor};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// A bare axum handler answering a small JSON body, run as its own process by `aduan-bench bare-http`.
pub async fn serve_bare_http(listen: &str) -> anyhow::Result<()> {
    let app = axum::Router::new().route(
        "/ping",
        axum::routing::get(|| async {
            axum::Json(serde_json::json!({"status": "ok", "ticket": "ADU-2026-000001"}))
        }),
    );
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("listening {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

fn table(postgres: bool) -> &'static str {
    if postgres {
        "CREATE TABLE ceiling (id BIGSERIAL PRIMARY KEY, ticket TEXT NOT NULL, category TEXT NOT NULL, \
         created_at BIGINT NOT NULL, body TEXT NOT NULL)"
    } else {
        "CREATE TABLE ceiling (id INTEGER PRIMARY KEY, ticket TEXT NOT NULL, category TEXT NOT NULL, \
         created_at BIGINT NOT NULL, body TEXT NOT NULL)"
    }
}

fn payload(i: u64) -> String {
    format!("{i:020}").repeat(100)
}

/// Durable inserts of ~2 KB rows with three indexes. SQLite: one writer batching whatever is
/// waiting into one transaction (synchronous = FULL); PostgreSQL: 16 connections, one
/// transaction per row (PostgreSQL groups their commits itself).
pub async fn durable_insert(
    url: &str,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Stats> {
    sqlx::any::install_default_drivers();
    if url.starts_with("sqlite:") {
        let mut conn = AnyConnection::connect(url).await?;
        for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"] {
            conn.execute(pragma).await?;
        }
        prepare(&mut conn, false).await?;
        let (tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<bool>)>(4096);
        let writer = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while let Ok(next) = rx.try_recv() {
                    batch.push(next);
                    if batch.len() == 128 {
                        break;
                    }
                }
                let mut ok = conn.execute("BEGIN IMMEDIATE").await.is_ok();
                for (i, _) in &batch {
                    ok &= insert(&mut conn, *i).await;
                }
                ok &= conn.execute("COMMIT").await.is_ok();
                for (_, reply) in batch {
                    let _ = reply.send(ok);
                }
            }
        });
        let stats = load::run(clients, duration, u64::MAX, move |client, i| {
            let tx = tx.clone();
            async move {
                let (reply, answer) = oneshot::channel();
                let id = (client as u64) << 32 | i;
                tx.send((id, reply)).await.is_ok() && answer.await.unwrap_or(false)
            }
        })
        .await;
        writer.abort();
        Ok(stats)
    } else {
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await?;
        let mut conn = pool.acquire().await?;
        prepare(&mut conn, true).await?;
        drop(conn);
        let stats = load::run(16, duration, u64::MAX, move |client, i| {
            let pool = pool.clone();
            async move {
                let Ok(mut conn) = pool.acquire().await else {
                    return false;
                };
                insert(&mut conn, (client as u64) << 32 | i).await
            }
        })
        .await;
        Ok(stats)
    }
}

async fn prepare(conn: &mut AnyConnection, postgres: bool) -> anyhow::Result<()> {
    conn.execute("DROP TABLE IF EXISTS ceiling").await?;
    conn.execute(table(postgres)).await?;
    conn.execute("CREATE INDEX ceiling_ticket ON ceiling (ticket)")
        .await?;
    conn.execute("CREATE INDEX ceiling_category ON ceiling (category, id)")
        .await?;
    conn.execute("CREATE INDEX ceiling_created ON ceiling (created_at)")
        .await?;
    Ok(())
}

async fn insert(conn: &mut AnyConnection, i: u64) -> bool {
    sqlx::query("INSERT INTO ceiling (ticket, category, created_at, body) VALUES ($1, $2, $3, $4)")
        .bind(format!("ADU-2026-{i}"))
        .bind(["rusun", "swadaya", "lainnya"][(i % 3) as usize])
        .bind(i as i64)
        .bind(payload(i))
        .execute(conn)
        .await
        .is_ok()
}
