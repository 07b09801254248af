//! The wall-clock backstop: a running evaluation stops when its caller gives up (the request's
//! deadline passed, the client went away) or a deadline passes. It is the one limit that is not
//! deterministic, so it never decides a result: it only turns a run nobody waits for into an
//! error. Rhai checks it every [`CHECK_EVERY`] operations, wasmtime at each epoch tick.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Script operations between two looks at the clock and the flag.
pub const CHECK_EVERY: u64 = 1 << 12;

/// When to stop: a flag the caller sets, and an optional deadline.
#[derive(Debug, Clone, Default)]
pub struct Halt {
    flag: Arc<AtomicBool>,
    deadline: Option<(Instant, Duration)>,
}

impl Halt {
    /// Never halts by itself; [`Halt::stop`] still does.
    pub fn never() -> Self {
        Self::default()
    }

    /// Halts once `budget` has passed from now.
    pub fn after(budget: Duration) -> Self {
        Self { flag: Arc::default(), deadline: Some((Instant::now() + budget, budget)) }
    }

    /// Asks every evaluation that holds a clone of this to stop.
    pub fn stop(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Whether the evaluation should stop now.
    pub fn is_due(&self) -> bool {
        self.is_stopped() || self.deadline.is_some_and(|(at, _)| Instant::now() >= at)
    }

    /// Whether [`Halt::stop`] was called (cheaper than [`Halt::is_due`]: no clock).
    pub fn is_stopped(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// The wall-clock budget in milliseconds, for the error (0: stopped by its caller).
    pub fn budget_ms(&self) -> u64 {
        self.deadline.map_or(0, |(_, budget)| u64::try_from(budget.as_millis()).unwrap_or(u64::MAX))
    }
}

/// Stops its [`Halt`] when dropped: held by a request's handler, it halts the work on the
/// blocking thread when the handler is dropped (the client left, or the timeout fired).
#[derive(Debug, Default)]
pub struct StopOnDrop(pub Halt);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_halt_is_due_when_stopped_or_past_its_deadline() {
        let never = Halt::never();
        assert!(!never.is_due());
        let clone = never.clone();
        drop(StopOnDrop(never));
        assert!(clone.is_due(), "a clone sees the stop");
        let soon = Halt::after(Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        assert!(soon.is_due());
        assert_eq!(soon.budget_ms(), 1);
        assert!(!Halt::after(Duration::from_secs(3600)).is_due());
    }
}
