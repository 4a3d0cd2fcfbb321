//! Opening inputs and reading them as numbered lines.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

/// An input that could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: cannot open: {source}")]
    Open { path: String, source: io::Error },
    #[error("{path}: read failed after line {line}: {source}")]
    Read {
        path: String,
        line: u64,
        source: io::Error,
    },
}

/// Counts the compressed or plain bytes taken from the underlying file, for progress bars.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An opened input: its lines, its size when known, and a counter of bytes consumed.
pub struct OpenedInput {
    /// What the user called it (`-` for stdin).
    pub name: String,
    /// Size on disk, when it is a regular file.
    pub size: Option<u64>,
    /// Bytes of the file consumed so far (before decompression).
    pub consumed: Arc<AtomicU64>,
    /// The decoded content.
    pub reader: Box<dyn BufRead + Send>,
}

/// Opens `name`: `-` is standard input; a name ending in `.gz` is decompressed.
pub fn open_input(name: &str) -> Result<OpenedInput, InputError> {
    let consumed = Arc::new(AtomicU64::new(0));
    let (raw, size): (Box<dyn Read + Send>, Option<u64>) = if name == "-" {
        (Box::new(io::stdin()), None)
    } else {
        let file = File::open(Path::new(name)).map_err(|source| InputError::Open {
            path: name.to_owned(),
            source,
        })?;
        let meta = file.metadata().map_err(|source| InputError::Open {
            path: name.to_owned(),
            source,
        })?;
        if meta.is_dir() {
            return Err(InputError::Open {
                path: name.to_owned(),
                source: io::Error::other("is a directory"),
            });
        }
        (Box::new(file), Some(meta.len()))
    };
    let counted = Counting {
        inner: raw,
        read: Arc::clone(&consumed),
    };
    let reader: Box<dyn BufRead + Send> = if name.ends_with(".gz") {
        Box::new(BufReader::with_capacity(
            1 << 20,
            MultiGzDecoder::new(BufReader::new(counted)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, counted))
    };
    Ok(OpenedInput {
        name: name.to_owned(),
        size,
        consumed,
        reader,
    })
}

/// Reads an input line by line, keeping the line number; `\r\n` and `\n` both end a line.
pub struct LineReader<R> {
    reader: R,
    name: String,
    line: u64,
    unterminated: bool,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps `reader`; `name` is used in error messages.
    pub fn new(reader: R, name: &str) -> Self {
        Self {
            reader,
            name: name.to_owned(),
            line: 0,
            unterminated: false,
        }
    }

    /// Reads the next line into `buf` (without its line ending) and returns its 1-based
    /// number, or `None` at the end of the input.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<u64>, InputError> {
        buf.clear();
        Ok(self.append_line(buf)?.map(|(n, _)| n))
    }

    /// Appends the next line to `buf` (without its line ending) and returns its number and
    /// where it starts in `buf`, or `None` at the end of the input. Lets a reader fill one
    /// buffer with many lines.
    pub fn append_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<(u64, usize)>, InputError> {
        let start = buf.len();
        let n = self
            .reader
            .read_until(b'\n', buf)
            .map_err(|source| InputError::Read {
                path: self.name.clone(),
                line: self.line,
                source,
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.unterminated = buf.last() != Some(&b'\n');
        if !self.unterminated {
            buf.pop();
            if buf.len() > start && buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        self.line += 1;
        Ok(Some((self.line, start)))
    }

    /// Whether the line read last had no line ending: the last line of a file that is
    /// still being written, or cut short.
    pub fn last_unterminated(&self) -> bool {
        self.unterminated
    }
}

/// Where and why a CSV read failed: at its position, or (a read with none: a gzip file cut
/// short) on the line after `last`, the last one read.
pub(crate) fn csv_read_error(e: &csv::Error, last: u64) -> (u64, String) {
    match e.position() {
        Some(p) => (p.line(), e.to_string()),
        None => (
            last + 1,
            format!("the file cannot be read past line {last}: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lines_and_strips_endings() {
        let mut r = LineReader::new(&b"a\r\nb\n\nlast"[..], "x");
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some(n) = r.next_line(&mut buf).expect("read") {
            got.push((n, String::from_utf8(buf.clone()).expect("utf8")));
        }
        assert_eq!(
            got,
            vec![
                (1, "a".to_owned()),
                (2, "b".to_owned()),
                (3, String::new()),
                (4, "last".to_owned())
            ]
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = open_input("/nonexistent/x.jsonl").err().expect("error");
        assert!(err
            .to_string()
            .starts_with("/nonexistent/x.jsonl: cannot open"));
    }
}
