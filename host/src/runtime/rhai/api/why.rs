//! `why(template, a, b, …)`: an explanation's text made natively. Each `{}` of the template is
//! replaced by the next value, written as `${value}` would write it in an interpolated string
//! (a string as it is, `()` as nothing, anything else by its `to_string`), so a script can swap
//! one for the other without a byte of its explanations changing. Interpolating in the
//! interpreter calls `to_string` and appends once per piece; this is one call.

use super::{Fallible, fail};
use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, NativeCallContext};
use std::fmt::Write;

/// The template with its `{}` filled by `values`, in order; as many values as `{}`.
fn why(ctx: &NativeCallContext, template: &str, values: &mut [Dynamic]) -> Fallible<ImmutableString> {
    let mut text = String::with_capacity(template.len() + 12 * values.len());
    let mut values = values.iter_mut();
    let mut rest = template;
    // One pass, a byte search for `{` (a pattern of two bytes is searched for far more slowly).
    while let Some(at) = rest.find('{') {
        if rest.as_bytes().get(at + 1) != Some(&b'}') {
            text.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            continue;
        }
        text.push_str(&rest[..at]);
        let Some(value) = values.next() else { return miscount(template) };
        write_value(ctx, &mut text, value);
        rest = &rest[at + 2..];
    }
    text.push_str(rest);
    if values.next().is_some() {
        return miscount(template);
    }
    // The limit Rhai puts on the strings it makes (`string_size`), with its message.
    let max = ctx.engine().max_string_size();
    if max > 0 && text.len() > max {
        return Err(EvalAltResult::ErrorDataTooLarge("Length of string".into(), ctx.call_position()).into());
    }
    Ok(text.into())
}

/// The error of a template whose `{}` are not as many as the values after it.
fn miscount<T>(template: &str) -> Fallible<T> {
    fail(format!(
        "why: the template {template:?} has {} {{}}, not as many as the values after it",
        template.matches("{}").count()
    ))
}

/// `value` as interpolation writes it. Numbers and flags are written by their `Display`, which
/// is what Rhai's `to_string` for them does; other kinds go through `to_string` itself.
pub(super) fn write_value(ctx: &NativeCallContext, text: &mut String, value: &mut Dynamic) {
    if let Ok(s) = value.as_immutable_string_ref() {
        text.push_str(&s);
    } else if value.is_unit() {
    } else if value.is_decimal() || value.is_int() || value.is_bool() || value.is_char() {
        write!(text, "{value}").expect("writing to a String");
    } else {
        match ctx.call_native_fn_raw("to_string", true, &mut [value]) {
            Ok(written) if written.is_string() => text.push_str(&written.into_immutable_string().unwrap_or_default()),
            _ => write!(text, "{value}").expect("writing to a String"),
        }
    }
}

/// Registers `why` for a template and 1 to 8 values (Rhai has no variadic functions: one
/// registration per count).
pub(super) fn register(engine: &mut Engine) {
    macro_rules! arity {
        ($($v:ident),+) => {
            engine.register_fn("why", |ctx: NativeCallContext, template: &str, $($v: Dynamic),+| {
                why(&ctx, template, &mut [$($v),+])
            });
        };
    }
    arity!(a);
    arity!(a, b);
    arity!(a, b, c);
    arity!(a, b, c, d);
    arity!(a, b, c, d, e);
    arity!(a, b, c, d, e, f);
    arity!(a, b, c, d, e, f, g);
    arity!(a, b, c, d, e, f, g, h);
}
