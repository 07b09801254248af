//! Work that takes longer than a page may wait, done in the background: a page asks for a key's
//! value; the first ask starts making it on a blocking thread and waits a little, and when it is
//! not ready by then the page says so and asks again. A value made is handed to the next ask and
//! no longer kept (what may be kept for longer is kept by the caller's own cache).

use super::problem::Problem;
use axum::http::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

/// A key's job: `None` while it runs, then what it made.
type Outcome<V> = watch::Receiver<Option<Result<Arc<V>, Problem>>>;

/// Jobs by key, at most `max` at once (a job made and not yet taken counts).
pub struct Jobs<V> {
    max: usize,
    /// What the jobs make, for the busy answer.
    what: &'static str,
    jobs: Mutex<HashMap<String, Outcome<V>>>,
}

/// What an ask finds.
pub enum Asked<V> {
    /// The value, or why it could not be made.
    Done(Result<Arc<V>, Problem>),
    /// Still being made: ask again.
    Running,
}

impl<V: Send + Sync + 'static> Jobs<V> {
    /// Jobs making `what` (for the busy answer), at most `max` at once.
    pub fn new(max: usize, what: &'static str) -> Self {
        Self { max, what, jobs: Mutex::default() }
    }

    fn jobs(&self) -> MutexGuard<'_, HashMap<String, Outcome<V>>> {
        self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value of `key` if it is made within `wait`, starting `make` on a blocking thread
    /// when no job has the key; a busy answer when `max` jobs are running already.
    pub async fn ask(
        &self,
        key: &str,
        wait: Duration,
        make: impl FnOnce() -> Result<Arc<V>, Problem> + Send + 'static,
    ) -> Asked<V> {
        let mut outcome = {
            let mut jobs = self.jobs();
            match jobs.get(key) {
                Some(outcome) => outcome.clone(),
                None => {
                    if jobs.len() >= self.max {
                        // Values made and never taken go first.
                        jobs.retain(|_, outcome| outcome.borrow().is_none());
                    }
                    if jobs.len() >= self.max {
                        return Asked::Done(Err(Problem::new(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "busy",
                            format!("{} {} are being made already; ask again in a moment", self.max, self.what),
                        )));
                    }
                    let (made, outcome) = watch::channel(None);
                    jobs.insert(key.to_owned(), outcome.clone());
                    tokio::task::spawn_blocking(move || made.send_replace(Some(make())));
                    outcome
                }
            }
        };
        // Made within `wait` (the sender gone without a value is a job that panicked).
        let waited = tokio::time::timeout(wait, outcome.wait_for(Option::is_some)).await;
        match waited {
            Err(_) => Asked::Running,
            Ok(Ok(done)) => {
                let done = done.clone().expect("waited for a value");
                self.jobs().remove(key);
                Asked::Done(done)
            }
            Ok(Err(_)) => {
                self.jobs().remove(key);
                let failed = format!("the task making one of the {} failed", self.what);
                Asked::Done(Err(Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", failed)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(asked: Asked<u32>) -> Option<u32> {
        match asked {
            Asked::Done(done) => Some(*done.unwrap()),
            Asked::Running => None,
        }
    }

    #[tokio::test]
    async fn a_slow_job_is_running_until_made_then_handed_over_once() {
        let jobs = Jobs::new(4, "values");
        let (go, gate) = std::sync::mpsc::channel::<()>();
        let slow = move || {
            gate.recv().unwrap();
            Ok(Arc::new(7))
        };
        assert_eq!(value(jobs.ask("a", Duration::from_millis(1), slow).await), None, "not made yet");
        // Asked again while it runs: the same job, not a second one.
        assert_eq!(value(jobs.ask("a", Duration::from_millis(1), || Ok(Arc::new(8))).await), None);
        go.send(()).unwrap();
        assert_eq!(value(jobs.ask("a", Duration::from_secs(60), || Ok(Arc::new(9))).await), Some(7));
        // Taken: the next ask starts again.
        assert_eq!(value(jobs.ask("a", Duration::from_secs(60), || Ok(Arc::new(10))).await), Some(10));
    }

    #[tokio::test]
    async fn a_failed_job_says_why_and_a_panicked_one_is_an_internal_error() {
        let jobs: Jobs<u32> = Jobs::new(4, "values");
        let failed =
            jobs.ask("a", Duration::from_secs(60), || Err(Problem::new(StatusCode::CONFLICT, "x", "no"))).await;
        assert!(matches!(failed, Asked::Done(Err(p)) if p.details().status == 409));
        let panicked = jobs.ask("b", Duration::from_secs(60), || panic!("a bug")).await;
        assert!(matches!(panicked, Asked::Done(Err(p)) if p.details().status == 500));
        assert!(jobs.jobs().is_empty());
    }

    #[tokio::test]
    async fn past_max_running_jobs_an_ask_is_refused_and_made_values_make_room() {
        let jobs = Jobs::new(2, "values");
        let held = |gate: std::sync::mpsc::Receiver<()>| {
            move || {
                let _ = gate.recv();
                Ok(Arc::new(1))
            }
        };
        let (go_a, gate_a) = std::sync::mpsc::channel::<()>();
        let (go_c, gate_c) = std::sync::mpsc::channel::<()>();
        assert!(value(jobs.ask("a", Duration::ZERO, held(gate_a)).await).is_none());
        // b is made and never taken (asked with no wait).
        let _ = jobs.ask("b", Duration::ZERO, || Ok(Arc::new(2))).await;
        while jobs.jobs().get("b").is_some_and(|b| b.borrow().is_none()) {
            tokio::task::yield_now().await;
        }
        // b makes room for c; with a and c running, d is refused.
        assert!(value(jobs.ask("c", Duration::ZERO, held(gate_c)).await).is_none());
        assert!(!jobs.jobs().contains_key("b"));
        let refused = jobs.ask("d", Duration::ZERO, || Ok(Arc::new(4))).await;
        assert!(matches!(refused, Asked::Done(Err(p)) if p.details().status == 503));
        drop((go_a, go_c));
    }
}
