//! Writing a long list's elements in parallel, in order: each chunk of elements is written into
//! its own buffer by a task, and the buffers are written out in list order. The output is the
//! same bytes as writing the elements one by one, for any number of threads.

use rayon::prelude::*;
use std::io::{self, Write};

/// Elements written by one task.
pub const CHUNK: usize = 2048;
/// Chunks written before they are written out: this bounds what is held besides the output.
pub const BATCH: usize = 16;

/// Writes every element of `items` to `out` with `write(buffer, index, element)`, in order,
/// in the current rayon pool; a list of one chunk stays on the caller's thread. A batch is
/// written out (into a hasher, say) while the next is being written.
pub fn write_in_chunks<T: Sync>(
    out: &mut (impl Write + Send),
    items: &[T],
    write: impl Fn(&mut Vec<u8>, usize, &T) -> io::Result<()> + Sync,
) -> io::Result<()> {
    let chunk = |start: usize, chunk: &[T]| -> io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        for (i, item) in chunk.iter().enumerate() {
            write(&mut buf, start + i, item)?;
        }
        Ok(buf)
    };
    let batch = |b: usize, batch: &[T]| -> Vec<io::Result<Vec<u8>>> {
        let start = b * CHUNK * BATCH;
        if batch.len() <= CHUNK {
            vec![chunk(start, batch)]
        } else {
            batch.par_chunks(CHUNK).enumerate().map(|(c, part)| chunk(start + c * CHUNK, part)).collect()
        }
    };
    let write_out = |out: &mut (dyn Write + Send), parts: Vec<io::Result<Vec<u8>>>| -> io::Result<()> {
        for part in parts {
            out.write_all(&part?)?;
        }
        Ok(())
    };
    // The batch written but not yet written out (none before the first: a list of one batch
    // never leaves the caller's thread for that).
    let mut written: Vec<io::Result<Vec<u8>>> = Vec::new();
    for (b, items) in items.chunks(CHUNK * BATCH).enumerate() {
        if written.is_empty() {
            written = batch(b, items);
            continue;
        }
        let (out_now, next) = rayon::join(|| write_out(&mut *out, std::mem::take(&mut written)), || batch(b, items));
        out_now?;
        written = next;
    }
    write_out(out, written)
}
