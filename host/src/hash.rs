//! SHA-256 digests written as `sha256:<hex>`, the form every hash in payplan takes.

use sha2::{Digest, Sha256};

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 * bytes.len());
    for byte in bytes {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// `sha256:<hex>` of a finished hasher.
pub fn hex_digest(hasher: Sha256) -> String {
    format!("sha256:{}", hex(&hasher.finalize()))
}

/// `sha256:<hex>` of some bytes.
pub fn sha256(bytes: &[u8]) -> String {
    hex_digest(Sha256::new_with_prefix(bytes))
}
