//! Every write goes through [`Writer`]. On SQLite one task owns the only write connection and
//! batches concurrent writes into one transaction (group commit): one fsync acknowledges many
//! submissions, and each write that shares its transaction runs inside its own savepoint so
//! that one failure does not undo the others. Nobody is answered before the commit is durable.
//! On PostgreSQL, which does its own group commit across connections, each write is a plain
//! transaction from the pool, except new cases: those waiting at the same time are written
//! together by one task, with one statement per table, on a connection it takes from the pool
//! for each batch. A SQLite bulk import writes through a connection of its own; the task runs
//! it alone, between batches ([`Writer::alone`]).

use super::cases::{OwnedNewCase, create, create_many};
use crate::{CaseRecord, Result, StoreError};
use futures_util::future::BoxFuture;
use sqlx::{AnyConnection, AnyPool, Connection, Executor};
use tokio::sync::{mpsc, oneshot};

/// Most writes batched into one transaction.
const MAX_BATCH: usize = 128;

/// A unit of work run inside a transaction.
pub type WriteFn<T> =
    Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T>> + Send>;

#[derive(Clone)]
pub enum Writer {
    /// SQLite: every write through the one batching task.
    Batched(mpsc::Sender<Queued>),
    /// PostgreSQL: new cases through the batching task, everything else from the pool.
    Pool {
        pool: AnyPool,
        creates: mpsc::Sender<Queued>,
    },
}

/// Where the batching task writes.
enum BatchConnection {
    /// The only connection that writes (SQLite).
    Own(AnyConnection),
    /// A connection taken from the pool for each batch (PostgreSQL), so that a broken one is
    /// replaced by the pool.
    Pool(AnyPool),
}

/// What waits in the SQLite writer's queue. New cases are kept apart from other writes so
/// that the submissions of one batch can be written with one statement per table.
pub enum Queued {
    Work(Box<dyn Job>),
    Create(Box<CreateJob>),
    /// Work that writes through a connection of its own, run with nothing else in flight:
    /// after the writes queued before it have committed, before those queued after it start.
    Alone(BoxFuture<'static, ()>),
}

pub struct CreateJob {
    new: OwnedNewCase,
    outcome: Option<Result<CaseRecord>>,
    reply: oneshot::Sender<Result<CaseRecord>>,
}

impl CreateJob {
    fn finish(self: Box<Self>, committed: &std::result::Result<(), String>) {
        let CreateJob { outcome, reply, .. } = *self;
        let answer = match (committed, outcome) {
            (Ok(()), Some(outcome)) => outcome,
            (Err(e), Some(Ok(_))) => Err(StoreError::CommitFailed(e.clone())),
            (_, Some(Err(e))) => Err(e),
            (_, None) => Err(StoreError::WriterGone),
        };
        let _ = reply.send(answer);
    }
}

impl Writer {
    /// Starts the batching task on `conn`, which must be the only connection that writes.
    pub fn batched(conn: AnyConnection) -> Self {
        let (tx, rx) = mpsc::channel::<Queued>(4096);
        tokio::spawn(run_batches(
            BatchConnection::Own(conn),
            rx,
            "BEGIN IMMEDIATE",
        ));
        Writer::Batched(tx)
    }

    /// Writes from `pool`, with new cases batched by a task of their own.
    pub fn pooled(pool: AnyPool) -> Self {
        let (tx, rx) = mpsc::channel::<Queued>(4096);
        tokio::spawn(run_batches(
            BatchConnection::Pool(pool.clone()),
            rx,
            "BEGIN",
        ));
        Writer::Pool { pool, creates: tx }
    }

    /// Runs `work` in a transaction and returns its result once the transaction is durable.
    pub async fn write<T: Send + 'static>(&self, work: WriteFn<T>) -> Result<T> {
        match self {
            Writer::Pool { pool, .. } => {
                let mut tx = pool.begin().await?;
                let value = work(&mut tx).await?;
                tx.commit().await?;
                Ok(value)
            }
            Writer::Batched(queue) => {
                let (reply, answer) = oneshot::channel();
                let job: Box<dyn Job> = Box::new(TypedJob {
                    work: Some(work),
                    outcome: None,
                    reply: Some(reply),
                });
                queue
                    .send(Queued::Work(job))
                    .await
                    .map_err(|_| StoreError::WriterGone)?;
                answer.await.map_err(|_| StoreError::WriterGone)?
            }
        }
    }

    /// Creates a case; it may share its statements with other submissions waiting at the same
    /// time.
    pub async fn create(&self, new: OwnedNewCase) -> Result<CaseRecord> {
        match self {
            Writer::Batched(queue) | Writer::Pool { creates: queue, .. } => {
                let (reply, answer) = oneshot::channel();
                let job = Box::new(CreateJob {
                    new,
                    outcome: None,
                    reply,
                });
                queue
                    .send(Queued::Create(job))
                    .await
                    .map_err(|_| StoreError::WriterGone)?;
                answer.await.map_err(|_| StoreError::WriterGone)?
            }
        }
    }

    /// Runs `work` while no other write is in progress (SQLite), so that it may write through
    /// a connection of its own; on PostgreSQL it simply runs. `work` makes and commits its own
    /// transaction.
    pub async fn alone<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        match self {
            Writer::Pool { .. } => work.await,
            Writer::Batched(queue) => {
                let (reply, answer) = oneshot::channel();
                let job = Box::pin(async move {
                    // The caller may have gone away; the write stands either way.
                    let _ = reply.send(work.await);
                });
                queue
                    .send(Queued::Alone(job))
                    .await
                    .map_err(|_| StoreError::WriterGone)?;
                answer.await.map_err(|_| StoreError::WriterGone)?
            }
        }
    }

    /// Waits until the batching task has drained and closed its connection.
    pub async fn close(&self) {
        if let Writer::Pool { pool, .. } = self {
            pool.close().await;
        }
    }
}

/// A write with its reply, type-erased so that writes of any result type share one queue.
pub trait Job: Send {
    /// Runs the work; returns whether it succeeded.
    fn run<'c>(&'c mut self, conn: &'c mut AnyConnection) -> BoxFuture<'c, bool>;
    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, committed: std::result::Result<(), String>);
}

struct TypedJob<T> {
    work: Option<WriteFn<T>>,
    outcome: Option<Result<T>>,
    reply: Option<oneshot::Sender<Result<T>>>,
}

impl<T: Send + 'static> Job for TypedJob<T> {
    fn run<'c>(&'c mut self, conn: &'c mut AnyConnection) -> BoxFuture<'c, bool> {
        Box::pin(async move {
            let Some(work) = self.work.take() else {
                return false;
            };
            let outcome = work(conn).await;
            let ok = outcome.is_ok();
            self.outcome = Some(outcome);
            ok
        })
    }

    fn finish(mut self: Box<Self>, committed: std::result::Result<(), String>) {
        let answer = match (committed, self.outcome.take()) {
            (Ok(()), Some(outcome)) => outcome,
            (Err(e), Some(Ok(_))) => Err(StoreError::CommitFailed(e)),
            (_, Some(Err(e))) => Err(e),
            (_, None) => Err(StoreError::WriterGone),
        };
        if let Some(reply) = self.reply.take() {
            // The caller may have gone away (request cancelled); the write stands either way.
            let _ = reply.send(answer);
        }
    }
}

async fn run_batches(
    mut target: BatchConnection,
    mut queue: mpsc::Receiver<Queued>,
    begin: &'static str,
) {
    let mut batch: Vec<Queued> = Vec::with_capacity(MAX_BATCH);
    let mut next: Option<Queued> = None;
    loop {
        let first = match next.take() {
            Some(job) => job,
            None => match queue.recv().await {
                Some(job) => job,
                None => break,
            },
        };
        if let Queued::Alone(work) = first {
            work.await;
            continue;
        }
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                // It waits until this batch is committed.
                Ok(alone @ Queued::Alone(_)) => {
                    next = Some(alone);
                    break;
                }
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let committed = match &mut target {
            BatchConnection::Own(conn) => run_one_batch(conn, &mut batch, begin).await,
            BatchConnection::Pool(pool) => match pool.acquire().await {
                Ok(mut conn) => run_one_batch(&mut conn, &mut batch, begin).await,
                Err(e) => Err(e.to_string()),
            },
        };
        if let Err(e) = &committed {
            tracing::error!(error = %e, writes = batch.len(), "a batch of writes failed to commit");
        }
        for job in batch.drain(..) {
            match job {
                Queued::Work(job) => job.finish(committed.clone()),
                Queued::Create(job) => job.finish(&committed),
                Queued::Alone(_) => {}
            }
        }
    }
    if let BatchConnection::Own(conn) = target {
        let _ = conn.close().await;
    }
}

async fn run_one_batch(
    conn: &mut AnyConnection,
    batch: &mut [Queued],
    begin: &'static str,
) -> std::result::Result<(), String> {
    conn.execute(begin).await.map_err(|e| e.to_string())?;
    // A write alone in its batch needs no savepoint: if it fails, the transaction is rolled
    // back whole. A savepoint makes SQLite copy aside every page first changed under it, which
    // cost a bulk import (one large write) a tenth of its time.
    let alone = matches!(batch, [Queued::Work(_)]);
    let mut failed_alone = false;
    let step = async {
        let mut creates: Vec<&mut CreateJob> = Vec::new();
        let mut work: Vec<&mut Box<dyn Job>> = Vec::new();
        for queued in batch.iter_mut() {
            match queued {
                Queued::Create(job) => creates.push(job),
                Queued::Work(job) => work.push(job),
                Queued::Alone(_) => {}
            }
        }
        // The new cases first: none of the other writes can depend on a case whose ticket has
        // not been answered yet.
        run_creates(conn, creates).await?;
        for job in work {
            if alone {
                failed_alone = !job.run(conn).await;
                continue;
            }
            conn.execute("SAVEPOINT job").await?;
            let ok = job.run(conn).await;
            if !ok {
                conn.execute("ROLLBACK TO job").await?;
            }
            conn.execute("RELEASE job").await?;
        }
        Ok::<(), sqlx::Error>(())
    };
    if let Err(e) = step.await {
        let _ = conn.execute("ROLLBACK").await;
        return Err(e.to_string());
    }
    if failed_alone {
        // The write answers with its own error; nothing else was in the transaction.
        return conn
            .execute("ROLLBACK")
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    if let Err(e) = conn.execute("COMMIT").await {
        let _ = conn.execute("ROLLBACK").await;
        return Err(e.to_string());
    }
    Ok(())
}

/// All new cases of the batch together; if that fails, each alone, so that one bad submission
/// fails alone.
async fn run_creates(
    conn: &mut AnyConnection,
    mut creates: Vec<&mut CreateJob>,
) -> std::result::Result<(), sqlx::Error> {
    if creates.len() > 1 {
        conn.execute("SAVEPOINT creates").await?;
        let news: Vec<OwnedNewCase> = creates.iter().map(|c| c.new.clone()).collect();
        match create_many(conn, &news).await {
            Ok(records) => {
                conn.execute("RELEASE creates").await?;
                for (job, record) in creates.iter_mut().zip(records) {
                    job.outcome = Some(Ok(record));
                }
                return Ok(());
            }
            Err(e) => {
                tracing::warn!(error = %e, cases = creates.len(), "new cases written one by one");
                conn.execute("ROLLBACK TO creates").await?;
                conn.execute("RELEASE creates").await?;
            }
        }
    }
    for job in creates {
        conn.execute("SAVEPOINT job").await?;
        let outcome = create(conn, job.new.clone()).await;
        if outcome.is_err() {
            conn.execute("ROLLBACK TO job").await?;
        }
        conn.execute("RELEASE job").await?;
        job.outcome = Some(outcome);
    }
    Ok(())
}
