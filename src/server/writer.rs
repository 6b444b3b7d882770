//! The push writer: one thread that applies kiosks' pushes in group commits.
//!
//! With 50 kiosks pushing at once, a blocking thread per request queued up on the one SQLite
//! writer and the machine spent its time switching between them. Here requests wait on a channel
//! instead, and the writer takes every push that is waiting into one transaction: the same work
//! per mutation, one commit for all of them. No answer is sent before its commit.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::mpsc;

use tokio::sync::oneshot;

use super::store::{PushAnswer, PushJob, Store, StoreError};

/// Most pushes in one group commit (each holds at most `MAX_MUTATIONS_PER_PUSH` mutations).
const MAX_GROUP: usize = 64;

type Waiting = (PushJob, oneshot::Sender<PushAnswer>);

#[derive(Clone)]
pub struct PushWriter {
    jobs: mpsc::Sender<Waiting>,
}

impl PushWriter {
    /// Start the writer thread; it ends when the last `PushWriter` clone is dropped.
    pub fn start(store: Arc<Store>) -> std::io::Result<PushWriter> {
        let (tx, rx) = mpsc::channel::<Waiting>();
        std::thread::Builder::new().name("push-writer".into()).spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut group = vec![first];
                while group.len() < MAX_GROUP {
                    match rx.try_recv() {
                        Ok(w) => group.push(w),
                        Err(_) => break,
                    }
                }
                let (jobs, replies): (Vec<PushJob>, Vec<_>) = group.into_iter().unzip();
                // A bug in one mutation must not take the writer, and every later push, down.
                let answers =
                    std::panic::catch_unwind(AssertUnwindSafe(|| store.push_group(&jobs))).unwrap_or_else(|_| {
                        tracing::error!(pushes = jobs.len(), "a group of pushes failed unexpectedly; none was applied");
                        jobs.iter().map(|_| Err(StoreError::Invalid("the push could not be applied".into()))).collect()
                    });
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(answer);
                }
            }
        })?;
        Ok(PushWriter { jobs: tx })
    }

    /// Queue a push and wait for its answer, given after the commit that holds it.
    pub async fn push(&self, job: PushJob) -> PushAnswer {
        let (reply, answer) = oneshot::channel();
        if self.jobs.send((job, reply)).is_err() {
            return Err(StoreError::Busy);
        }
        answer.await.unwrap_or(Err(StoreError::Busy))
    }
}
