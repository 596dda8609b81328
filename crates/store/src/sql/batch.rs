//! Gathers reads of one kind that wait at the same moment into one statement. On PostgreSQL
//! each statement is a round trip to another process, and on two cores the wake-ups and task
//! switches of those round trips, not the reads themselves, were most of a tracking lookup's
//! cost (BENCHMARKS.md, sessions 14 and 15). A few statements run at once; the reads that
//! arrive while they run are sent together in the next one, so batches grow with the load and
//! a lone read still goes out at once.

use crate::{Result, StoreError};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Reads waiting for their turn; past this, callers wait to queue.
const QUEUE: usize = 1024;

struct Pending<K, V> {
    key: K,
    reply: oneshot::Sender<Result<V>>,
}

/// The queue of one kind of read; [`Batcher::get`] answers one key.
pub struct Batcher<K, V> {
    queue: mpsc::Sender<Pending<K, V>>,
}

impl<K: Send + 'static, V: Send + 'static> Batcher<K, V> {
    /// Starts the task that sends the waiting keys to `read`, at most `max_batch` at a time and
    /// at most `in_flight` statements at once. `read` answers one value per key, in their order.
    /// The task stops when the batcher is dropped.
    pub fn start<F, Fut>(in_flight: usize, max_batch: usize, read: F) -> Self
    where
        F: Fn(Vec<K>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<V>>> + Send + 'static,
    {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(dispatch(waiting, in_flight.max(1), max_batch.max(1), read));
        Batcher { queue }
    }

    pub async fn get(&self, key: K) -> Result<V> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { key, reply })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Reads queued and not yet taken into a statement.
    #[cfg(test)]
    fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }
}

async fn dispatch<K, V, F, Fut>(
    mut waiting: mpsc::Receiver<Pending<K, V>>,
    in_flight: usize,
    max_batch: usize,
    read: F,
) where
    K: Send + 'static,
    V: Send + 'static,
    F: Fn(Vec<K>) -> Fut,
    Fut: Future<Output = Result<Vec<V>>> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(in_flight));
    loop {
        // A free slot first: while every slot is busy, the reads that arrive keep queueing and
        // go out together.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = waiting.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match waiting.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (keys, replies): (Vec<K>, Vec<_>) = batch.into_iter().map(|p| (p.key, p.reply)).unzip();
        let count = keys.len();
        let reading = read(keys);
        tokio::spawn(async move {
            let answered = reading.await;
            drop(slot);
            answer(replies, answered, count);
        });
    }
}

/// Sends each caller its value, or each the batch's error.
fn answer<V>(replies: Vec<oneshot::Sender<Result<V>>>, answered: Result<Vec<V>>, count: usize) {
    match answered {
        Ok(values) if values.len() == count => {
            for (reply, value) in replies.into_iter().zip(values) {
                // A caller that gave up (its client went away) no longer listens.
                let _ = reply.send(Ok(value));
            }
        }
        Ok(values) => {
            let error = format!("{} answers to {count} reads", values.len());
            for reply in replies {
                let _ = reply.send(Err(StoreError::Corrupt(error.clone())));
            }
        }
        Err(error) => {
            tracing::warn!(%error, reads = count, "a batched read failed");
            for reply in replies {
                let _ = reply.send(Err(shared(&error)));
            }
        }
    }
}

/// The error of a read shared by several callers, for each of them: overload stays overload.
fn shared(error: &StoreError) -> StoreError {
    match error {
        StoreError::Busy => StoreError::Busy,
        other => StoreError::SharedReadFailed(other.to_string()),
    }
}

fn gone() -> StoreError {
    StoreError::SharedReadFailed("the batched reads have stopped".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::sync::Notify;

    type Sizes = Arc<Mutex<Vec<usize>>>;

    /// A batcher whose statements double each key, record their batch's size, and wait for
    /// `gate` before answering.
    fn doubling(
        in_flight: usize,
        max_batch: usize,
    ) -> (Arc<Batcher<i64, i64>>, Sizes, Arc<Notify>) {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let gate = Arc::new(Notify::new());
        let (seen, opened) = (sizes.clone(), gate.clone());
        let batcher = Batcher::start(in_flight, max_batch, move |keys: Vec<i64>| {
            seen.lock().unwrap().push(keys.len());
            let opened = opened.clone();
            async move {
                opened.notified().await;
                opened.notify_one();
                if keys.contains(&-1) {
                    return Err(StoreError::Corrupt("minus one".into()));
                }
                Ok(keys.iter().map(|k| k * 2).collect())
            }
        });
        (Arc::new(batcher), sizes, gate)
    }

    /// Lets the other tasks run until `done`; a test that waits for what never happens fails
    /// instead of spinning.
    async fn until(done: impl Fn() -> bool) {
        for _ in 0..100_000 {
            if done() {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("waited for what did not happen");
    }

    /// Starts a read of `key` on its own task, as a request would.
    fn read(batcher: &Arc<Batcher<i64, i64>>, key: i64) -> tokio::task::JoinHandle<Result<i64>> {
        let batcher = batcher.clone();
        tokio::spawn(async move { batcher.get(key).await })
    }

    fn started(sizes: &Sizes) -> usize {
        sizes.lock().unwrap().len()
    }

    #[tokio::test]
    async fn reads_that_wait_together_go_out_together_and_each_gets_its_own_answer() {
        let (batcher, sizes, gate) = doubling(1, 16);
        let first = read(&batcher, 1);
        // The first read goes out alone; the next 20 queue while its statement runs.
        until(|| started(&sizes) == 1).await;
        let rest: Vec<_> = (2..=21).map(|k| read(&batcher, k)).collect();
        until(|| batcher.queued() == 20).await;
        gate.notify_one();
        assert_eq!(first.await.unwrap().unwrap(), 2);
        for (k, read) in (2..=21).zip(rest) {
            assert_eq!(read.await.unwrap().unwrap(), k * 2);
        }
        // One alone, then the twenty in batches of at most 16.
        assert_eq!(*sizes.lock().unwrap(), vec![1, 16, 4]);
    }

    #[tokio::test]
    async fn a_failed_statement_fails_each_of_its_reads_and_not_the_next() {
        let (batcher, sizes, gate) = doubling(1, 8);
        let blocker = read(&batcher, 5);
        until(|| started(&sizes) == 1).await;
        let failing: Vec<_> = [-1, 3].into_iter().map(|k| read(&batcher, k)).collect();
        until(|| batcher.queued() == 2).await;
        gate.notify_one();
        assert_eq!(blocker.await.unwrap().unwrap(), 10);
        for read in failing {
            assert!(matches!(
                read.await.unwrap(),
                Err(StoreError::SharedReadFailed(message)) if message.contains("minus one")
            ));
        }
        assert_eq!(batcher.get(4).await.unwrap(), 8);
    }

    #[tokio::test]
    async fn several_statements_run_at_once_up_to_the_limit() {
        let (batcher, sizes, gate) = doubling(3, 8);
        let mut reads = Vec::new();
        // Three statements start before any answers: each read goes out alone.
        for k in 1..=3 {
            reads.push(read(&batcher, k));
            until(|| started(&sizes) == k as usize).await;
        }
        let fourth = read(&batcher, 4);
        until(|| batcher.queued() == 1).await;
        assert_eq!(started(&sizes), 3, "a fourth statement started");
        gate.notify_one();
        for (k, read) in (1..=3).zip(reads) {
            assert_eq!(read.await.unwrap().unwrap(), k * 2);
        }
        assert_eq!(fourth.await.unwrap().unwrap(), 8);
        assert_eq!(*sizes.lock().unwrap(), vec![1, 1, 1, 1]);
    }
}
