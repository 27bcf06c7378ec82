//! The results of systemd's jobs, as `JobRemoved` announces them, read on a task of its
//! own from the moment of subscription, so no job can end unseen and the signal stream
//! never fills up.
//!
//! zbus queues at most 64 messages for a signal stream and stops reading the connection
//! while that queue is full: a stream left unread behind more jobs than that (ours and
//! any other the manager runs meanwhile) would keep the next call's reply unread, and the
//! call waiting for it. Reading on a task of its own rules that out whatever the caller
//! awaits meanwhile (calls, minimum uptimes).

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::Pin;

use futures_core::Stream;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::task::JoinHandle;
use zbus::OwnedObjectPath;

use super::ManagerProxy;

/// Every job ended since [`EndedJobs::follow`], by job path, until the caller takes it.
pub struct EndedJobs {
    incoming: UnboundedReceiver<(OwnedObjectPath, String)>,
    ended: HashMap<OwnedObjectPath, String>,
    reader: JoinHandle<()>,
}

impl EndedJobs {
    /// Subscribes to the manager's signals and starts reading `JobRemoved` on a task of
    /// the current runtime. Call it before the calls whose jobs are awaited.
    pub async fn follow(manager: &ManagerProxy<'_>) -> zbus::Result<Self> {
        super::watch::subscribe(manager).await?;
        let mut removed = manager.receive_job_removed().await?;
        let (send, incoming) = unbounded_channel();
        let reader = tokio::spawn(async move {
            while let Some(signal) = poll_fn(|cx| Pin::new(&mut removed).poll_next(cx)).await {
                let Ok(args) = signal.args() else {
                    tracing::debug!("a JobRemoved signal without its arguments");
                    continue;
                };
                if send
                    .send((args.job().clone(), args.result().clone()))
                    .is_err()
                {
                    return;
                }
            }
        });
        Ok(EndedJobs {
            incoming,
            ended: HashMap::new(),
            reader,
        })
    }

    /// The result of `job` if it has ended (`done`, `failed`, `canceled`, ...), taken out.
    pub fn take(&mut self, job: &OwnedObjectPath) -> Option<String> {
        while let Ok((ended, result)) = self.incoming.try_recv() {
            self.ended.insert(ended, result);
        }
        self.ended.remove(job)
    }

    /// Waits for the next job to end and keeps its result; `false` once the signal
    /// stream has ended.
    pub async fn next(&mut self) -> bool {
        match self.incoming.recv().await {
            Some((ended, result)) => {
                self.ended.insert(ended, result);
                true
            }
            None => false,
        }
    }

    /// The result of `job` once it has ended; `gone` when the signal stream ends first.
    pub async fn result_of(&mut self, job: &OwnedObjectPath) -> String {
        loop {
            if let Some(result) = self.take(job) {
                return result;
            }
            if !self.next().await {
                return "gone".into();
            }
        }
    }
}

impl Drop for EndedJobs {
    fn drop(&mut self) {
        self.reader.abort();
    }
}
