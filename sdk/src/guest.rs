//! The guest side of the ABI (see [`abi`](crate::abi)): the plumbing that
//! [`export_policy!`](crate::export_policy) calls. Plugin code never touches it.
#![allow(unsafe_code)]

use crate::abi::{PolicyInput, PolicyOutput, Reply};
use crate::view::Out;

/// A policy function: the input, to lines and scores or a reason.
pub type PolicyFn = fn(&PolicyInput) -> Result<PolicyOutput, String>;

/// Hands the host a buffer of `len` bytes in this module's memory.
#[doc(hidden)]
pub fn alloc(len: u32) -> u32 {
    let mut buf = std::mem::ManuallyDrop::new(Vec::<u8>::with_capacity(len as usize));
    buf.as_mut_ptr() as usize as u32
}

/// Reads the input the host wrote at `ptr`, runs `policy`, and returns the reply's buffer as
/// `(ptr << 32) | len`.
#[doc(hidden)]
pub fn evaluate(ptr: u32, len: u32, policy: PolicyFn) -> u64 {
    // SAFETY: the host wrote exactly `len` bytes into the buffer `alloc(len)` returned, which was
    // allocated with capacity `len` and not used since.
    let bytes = unsafe { Vec::from_raw_parts(ptr as usize as *mut u8, len as usize, len as usize) };
    let reply = match serde_json::from_slice::<PolicyInput>(&bytes) {
        Ok(input) => match policy(&input) {
            Ok(output) => Reply::Ok(output),
            Err(why) => Reply::Error(why),
        },
        Err(e) => Reply::Error(format!("the plugin could not read its input: {e}")),
    };
    drop(bytes);
    hand_over(serde_json::to_vec(&reply).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}").into_bytes()))
}

/// Leaves the reply allocated for the host to read (the instance is dropped after) and packs its
/// buffer as `(ptr << 32) | len`.
fn hand_over(reply: Vec<u8>) -> u64 {
    let out = std::mem::ManuallyDrop::new(reply.into_boxed_slice());
    ((out.as_ptr() as usize as u64) << 32) | out.len() as u64
}

/// Reads an ABI version 2 input the host wrote at `ptr`, runs `rule` over it, and returns the
/// binary reply's buffer as `(ptr << 32) | len`.
#[doc(hidden)]
pub fn evaluate_v2(ptr: u32, len: u32, rule: impl FnOnce(&crate::abi::v2::Input<'_>) -> Result<Out, String>) -> u64 {
    use crate::abi::v2;
    // SAFETY: as in `evaluate`.
    let bytes = unsafe { Vec::from_raw_parts(ptr as usize as *mut u8, len as usize, len as usize) };
    let reply = v2::Input::read(&bytes).and_then(|input| rule(&input));
    drop(bytes);
    hand_over(v2::encode_reply(&reply))
}

/// Exports a rule written against [`View`](crate::view::View) as a plugin of ABI version 2
/// ([`abi::v2`](crate::abi::v2)), with the sections it reads besides the participants, teams and
/// groups ([`reads`](crate::abi::v2::reads)):
///
/// ```ignore
/// use payplan_sdk::view::{Out, Params, View};
///
/// pub fn spot_bonus<V: View>(view: &V, params: &Params) -> Result<Out, String> {
///     let mut out = Out::default();
///     // … out.pay(who, "spot", amount, vec![why]) …
///     Ok(out)
/// }
///
/// payplan_sdk::export_rule!(spot_bonus, reads = 0);
/// ```
#[macro_export]
macro_rules! export_rule {
    ($rule:path, reads = $reads:expr) => {
        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn payplan_reads() -> u32 {
            $reads
        }

        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn payplan_abi_version() -> u32 {
            $crate::abi::v2::VERSION
        }

        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn payplan_alloc(len: u32) -> u32 {
            $crate::guest::alloc(len)
        }

        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn payplan_evaluate(ptr: u32, len: u32) -> u64 {
            $crate::guest::evaluate_v2(ptr, len, |input| $rule(input, &input.params))
        }
    };
}

/// Exports a policy function as a payplan plugin:
///
/// ```ignore
/// use payplan_sdk::abi::{PolicyInput, PolicyOutput};
///
/// fn spot_bonus(input: &PolicyInput) -> Result<PolicyOutput, String> {
///     let mut out = PolicyOutput::default();
///     // … out.pay(&p.id, "spot", amount, vec![why]) …
///     Ok(out)
/// }
///
/// payplan_sdk::export_policy!(spot_bonus);
/// ```
///
/// A policy that never reads `input.earlier` says so, and the host sends it empty:
/// `payplan_sdk::export_policy!(spot_bonus, reads_earlier = false);`
#[macro_export]
macro_rules! export_policy {
    ($policy:path) => {
        $crate::export_policy!($policy, reads_earlier = true);
    };
    ($policy:path, reads_earlier = $reads:literal) => {
        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn payplan_reads_earlier() -> u32 {
            u32::from($reads)
        }

        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn payplan_abi_version() -> u32 {
            $crate::abi::ABI_VERSION
        }

        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn payplan_alloc(len: u32) -> u32 {
            $crate::guest::alloc(len)
        }

        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn payplan_evaluate(ptr: u32, len: u32) -> u64 {
            $crate::guest::evaluate(ptr, len, $policy)
        }
    };
}
