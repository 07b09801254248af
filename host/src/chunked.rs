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
/// in the current rayon pool; a list of one chunk stays on the caller's thread.
pub fn write_in_chunks<T: Sync>(
    out: &mut impl Write,
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
    for (b, batch) in items.chunks(CHUNK * BATCH).enumerate() {
        let start = b * CHUNK * BATCH;
        let parts: Vec<io::Result<Vec<u8>>> = if batch.len() <= CHUNK {
            vec![chunk(start, batch)]
        } else {
            batch.par_chunks(CHUNK).enumerate().map(|(c, part)| chunk(start + c * CHUNK, part)).collect()
        };
        for part in parts {
            out.write_all(&part?)?;
        }
    }
    Ok(())
}
