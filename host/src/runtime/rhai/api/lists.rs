//! Lists: `filter`, `map`, `some` and `all` with an argument for the function (scripts cannot
//! capture), and the ways to grow a list in place, charged for the work Rhai does after each.

use super::super::budget::charge;
use super::Fallible;
use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, INT, NativeCallContext};

/// Calls `f(item, with)` for each item of `array`, in order, until `keep` says stop; what it
/// returned for each. Scripts cannot capture variables in closures (see `engine`), so what the
/// function needs besides the item comes as `with`.
fn each_with(
    ctx: &NativeCallContext,
    array: &Array,
    f: &FnPtr,
    with: &Dynamic,
    mut keep: impl FnMut(&Dynamic, Dynamic) -> bool,
) -> Fallible<()> {
    for item in array {
        let answer = f.call_raw(ctx, None, [item.clone(), with.clone()])?;
        if !keep(item, answer) {
            break;
        }
    }
    Ok(())
}

fn is_true(value: &Dynamic) -> bool {
    value.as_bool().unwrap_or(false)
}

/// `filter`, `map`, `some` and `all` with a second argument passed to the function.
pub(super) fn register_lists(engine: &mut Engine) {
    engine
        .register_fn("filter", |ctx: NativeCallContext, array: &mut Array, f: FnPtr, with: Dynamic| {
            let mut kept = Array::new();
            each_with(&ctx, array, &f, &with, |item, answer| {
                if is_true(&answer) {
                    kept.push(item.clone());
                }
                true
            })?;
            Ok::<_, Box<EvalAltResult>>(kept)
        })
        .register_fn("map", |ctx: NativeCallContext, array: &mut Array, f: FnPtr, with: Dynamic| {
            let mut mapped = Array::with_capacity(array.len());
            each_with(&ctx, array, &f, &with, |_, answer| {
                mapped.push(answer);
                true
            })?;
            Ok::<_, Box<EvalAltResult>>(mapped)
        })
        .register_fn("some", |ctx: NativeCallContext, array: &mut Array, f: FnPtr, with: Dynamic| {
            let mut found = false;
            each_with(&ctx, array, &f, &with, |_, answer| {
                found = is_true(&answer);
                !found
            })?;
            Ok::<_, Box<EvalAltResult>>(found)
        })
        .register_fn("all", |ctx: NativeCallContext, array: &mut Array, f: FnPtr, with: Dynamic| {
            let mut every = true;
            each_with(&ctx, array, &f, &with, |_, answer| {
                every = is_true(&answer);
                every
            })?;
            Ok::<_, Box<EvalAltResult>>(every)
        });
}

/// The ways to grow a list in place, as Rhai's own but charged: after each, Rhai measures the
/// whole list again, so each costs as much as the list is long ([`charge`]). Shadows the standard
/// library's (the engine's own functions are looked up first).
pub(super) fn register_charged(engine: &mut Engine) {
    engine
        .register_fn("push", |array: &mut Array, item: Dynamic| {
            charge(array.len());
            array.push(item);
        })
        .register_fn("append", |array: &mut Array, more: Array| {
            charge(array.len() + more.len());
            array.extend(more);
        })
        .register_fn("insert", |array: &mut Array, index: INT, item: Dynamic| {
            charge(array.len());
            // As Rhai's: a negative index counts from the end; out of range, the nearer end.
            let len = INT::try_from(array.len()).unwrap_or(INT::MAX);
            let at = if index < 0 { len.saturating_add(index).max(0) } else { index.min(len) };
            array.insert(usize::try_from(at).unwrap_or(array.len()), item);
        });
}
