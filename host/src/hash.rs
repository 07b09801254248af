//! SHA-256 digests written as `sha256:<hex>`, the form every hash in payplan takes.

use sha2::{Digest, Sha256};
use std::io::{self, Write};

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

/// `sha256:<hex>` of what `write` writes, streamed into the hasher: a large period or result is
/// hashed without ever being held in memory as text.
pub fn sha256_streamed(write: impl FnOnce(&mut io::BufWriter<Hasher>) -> io::Result<()>) -> String {
    let mut out = io::BufWriter::with_capacity(1 << 16, Hasher(Sha256::new()));
    write(&mut out).expect("writing into a hasher cannot fail");
    let hasher = out.into_inner().map_err(|_| ()).expect("flushing into a hasher cannot fail");
    hex_digest(hasher.0)
}

/// A SHA-256 hasher as an [`io::Write`].
pub struct Hasher(Sha256);

impl Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
