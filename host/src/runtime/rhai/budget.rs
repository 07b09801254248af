//! What a script call may still do, kept per thread for Rhai's progress callback: the operations
//! budget with the work charged beside it, the memory it may hold, and its [`Halt`].

use crate::allocator;
use crate::halt::{CHECK_EVERY, Halt};
use rhai::Dynamic;
use std::cell::{Cell, RefCell};

/// What the script call running on this thread may still do (outside a policy's call, as in
/// `fn params()`, Rhai's own operations limit alone).
pub(super) struct Call {
    /// The wall-clock backstop.
    pub(super) halt: Halt,
    /// The call's operations limit.
    pub(super) budget: u64,
    /// What the thread held when the call began ([`allocator::held`]).
    pub(super) held_before: i64,
    /// The bytes the call may hold beyond that.
    pub(super) memory: u64,
}

thread_local! {
    /// The operations the running call may reach: its limit, less the work charged to it by
    /// [`charge`]. Read before every operation, so a plain cell (a call's [`Halt`], read every
    /// [`CHECK_EVERY`] operations, is kept apart).
    static OPERATIONS: Cell<u64> = const { Cell::new(u64::MAX) };
    /// The most the thread may hold while the call runs ([`allocator::held`]).
    static MEMORY: Cell<i64> = const { Cell::new(i64::MAX) };
    /// The running call's [`Halt`].
    static HALT: RefCell<Halt> = RefCell::default();
}

/// The token a script stops with when its [`Halt`] is due.
const HALTED: &str = "payplan: halted";
/// The token a script stops with when its operations and charged work pass its budget.
pub(super) const OVER_BUDGET: &str = "payplan: over budget";
/// The token a script stops with when it holds more memory than its limit.
pub(super) const OVER_MEMORY: &str = "payplan: over memory";

/// Rhai's progress callback, before each operation: stops the script when its [`Halt`] is due
/// (looked at every [`CHECK_EVERY`] operations), when its operations and the work charged to it
/// pass the operations limit, or when it holds more memory than its limit.
pub(super) fn progress(operations: u64) -> Option<Dynamic> {
    let token = if operations.is_multiple_of(CHECK_EVERY) && HALT.with(|halt| halt.borrow().is_due()) {
        HALTED
    } else if operations > OPERATIONS.get() {
        OVER_BUDGET
    } else if allocator::held() > MEMORY.get() {
        OVER_MEMORY
    } else {
        return None;
    };
    Some(Dynamic::from(token))
}

/// Charges `work` operations to the running call: Rhai measures a list again after every change
/// to it, so a push costs as much as the list is long, and the operations count alone does not
/// see it.
pub(crate) fn charge(work: usize) {
    OPERATIONS.set(OPERATIONS.get().saturating_sub(u64::try_from(work).unwrap_or(u64::MAX)));
}

/// Runs `f` as the call `call` on this thread, then puts back the call that was running (a call
/// nested by work stealing restores its caller's).
pub(super) fn within<T>(call: Call, f: impl FnOnce() -> T) -> T {
    let memory = call.held_before.saturating_add(i64::try_from(call.memory).unwrap_or(i64::MAX));
    let outer = (OPERATIONS.replace(call.budget), MEMORY.replace(memory), HALT.replace(call.halt));
    let result = f();
    OPERATIONS.set(outer.0);
    MEMORY.set(outer.1);
    HALT.set(outer.2);
    result
}
