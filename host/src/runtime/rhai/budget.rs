//! What a script call may still do, kept per thread for Rhai's progress callback: the operations
//! budget with the work charged beside it, the memory it may hold, and its [`Halt`].

use crate::allocator;
use crate::halt::{CHECK_EVERY, Halt};
use rhai::Dynamic;

/// What the script call running on this thread may still do (outside a policy's call, as in
/// `fn params()`, Rhai's own operations limit alone).
pub(super) struct Call {
    /// The wall-clock backstop.
    pub(super) halt: Halt,
    /// The call's operations limit.
    pub(super) budget: u64,
    /// Work the operations count does not see, charged by [`charge`].
    pub(super) charged: u64,
    /// What the thread held when the call began ([`allocator::held`]).
    pub(super) held_before: i64,
    /// The bytes the call may hold beyond that.
    pub(super) memory: u64,
}

impl Default for Call {
    fn default() -> Self {
        Self { halt: Halt::never(), budget: u64::MAX, charged: 0, held_before: 0, memory: u64::MAX }
    }
}

thread_local! {
    /// The script call running on this thread, for [`progress`] and [`charge`]. A call sets it
    /// and puts back what was there, so a call nested by work stealing restores its caller's.
    static CALL: std::cell::RefCell<Call> = std::cell::RefCell::default();
}

/// The token a script stops with when its [`Halt`] is due.
const HALTED: &str = "payplan: halted";
/// The token a script stops with when its operations and charged work pass its budget.
pub(super) const OVER_BUDGET: &str = "payplan: over budget";
/// The token a script stops with when it holds more memory than its limit.
pub(super) const OVER_MEMORY: &str = "payplan: over memory";

/// Rhai's progress callback, before each operation: stops the script when its [`Halt`] is due
/// (the deadline is read every [`CHECK_EVERY`] operations), when its operations and the work
/// charged to it pass the operations limit, or when it holds more memory than its limit.
pub(super) fn progress(operations: u64) -> Option<Dynamic> {
    CALL.with(|call| {
        let call = call.borrow();
        let token = if call.halt.is_stopped() || (operations.is_multiple_of(CHECK_EVERY) && call.halt.is_due()) {
            HALTED
        } else if operations.saturating_add(call.charged) > call.budget {
            OVER_BUDGET
        } else if u64::try_from(allocator::held().saturating_sub(call.held_before)).is_ok_and(|m| m > call.memory) {
            OVER_MEMORY
        } else {
            return None;
        };
        Some(Dynamic::from(token))
    })
}

/// Charges `work` operations to the running call: Rhai measures a list again after every change
/// to it, so a push costs as much as the list is long, and the operations count alone does not
/// see it.
pub(crate) fn charge(work: usize) {
    CALL.with(|call| {
        let mut call = call.borrow_mut();
        call.charged = call.charged.saturating_add(work as u64);
    });
}

/// Runs `f` as the call `call` on this thread, then puts back the call that was running.
pub(super) fn within<T>(call: Call, f: impl FnOnce() -> T) -> T {
    let outer = CALL.with(|running| running.replace(call));
    let result = f();
    CALL.with(|running| running.replace(outer));
    result
}
