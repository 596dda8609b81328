//! A bounded, self-stopping load generator: `clients` concurrent loops, each stopping at the
//! deadline or after `max_per_client` requests, recording every latency.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The server's peak resident memory during this measurement, in MB (0 when not read).
    pub peak_rss_mb: f64,
}

impl Stats {
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Runs `call(client, i)` in `clients` loops for `duration`. `call` answers whether the request
/// succeeded.
pub async fn run<F, Fut>(clients: usize, duration: Duration, max_per_client: u64, call: F) -> Stats
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            for i in 0..max_per_client {
                if Instant::now() >= deadline {
                    break;
                }
                let sent = Instant::now();
                let ok = call(client, i).await;
                latencies.push(sent.elapsed().as_micros() as u64);
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((latencies, e)) = task.await {
            all.extend(latencies);
            errors += e;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pick = |q: f64| -> f64 {
        if all.is_empty() {
            return 0.0;
        }
        let index = ((all.len() as f64 - 1.0) * q).round() as usize;
        all[index.min(all.len() - 1)] as f64 / 1000.0
    };
    Stats {
        requests: all.len() as u64,
        errors,
        seconds,
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        peak_rss_mb: 0.0,
    }
}
