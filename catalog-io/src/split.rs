//! Cutting a byte stream into records as it arrives: NDJSON lines, or CSV records (quoted cells
//! may hold commas and line breaks). Memory is bounded by the longest record, never the file.

use csv_core::{ReadRecordResult, Reader};

use crate::row::RowError;

/// The longest record taken: a product with a few hundred specs is ~20 KiB; a longer record is
/// a file that is not what it claims to be.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// The most cells a CSV record may have.
const MAX_CELLS: usize = 4096;

/// How a file's rows are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Ndjson,
    Csv,
}

impl Encoding {
    /// The encoding a `Content-Type` names; none for a type that names neither.
    pub fn of_content_type(content_type: &str) -> Option<Encoding> {
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" | "application/json-seq" => {
                Some(Encoding::Ndjson)
            }
            "text/csv" | "application/csv" => Some(Encoding::Csv),
            _ => None,
        }
    }

    /// The encoding a file's first bytes show: a JSON object, or a CSV header whose first cell
    /// is `kind`. Empty (or only whitespace) is NDJSON with no rows.
    pub fn sniff(start: &[u8]) -> Option<Encoding> {
        let start = start.strip_prefix(b"\xef\xbb\xbf").unwrap_or(start);
        let first = start.iter().position(|b| !b.is_ascii_whitespace());
        match first.map(|at| &start[at..]) {
            None => Some(Encoding::Ndjson),
            Some(text) if text.starts_with(b"{") => Some(Encoding::Ndjson),
            Some(text) if text.starts_with(b"kind,") || text.starts_with(b"\"kind\",") => Some(Encoding::Csv),
            Some(_) => None,
        }
    }
}

/// One record: an NDJSON line's bytes, or a CSV record's cells. `number` counts data rows from 1
/// (NDJSON: the line number; CSV: the record after the header, which is number 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub number: u64,
    pub bytes: Vec<u8>,
    pub cells: Vec<String>,
}

/// A problem that ends the file: the records after it cannot be found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("record {0} is over {MAX_RECORD_BYTES} bytes: is this a catalog file?")]
    TooLong(u64),
    #[error("record {0} has over {MAX_CELLS} cells")]
    TooManyCells(u64),
}

/// Cuts pushed chunks into records.
pub struct Splitter {
    encoding: Encoding,
    /// The record being read: an NDJSON line so far, or CSV cell bytes.
    pending: Vec<u8>,
    csv: Reader,
    ends: Vec<usize>,
    filled: (usize, usize),
    /// The next record's number.
    next: u64,
}

/// What a push gives: each record, or why the record cannot be a row (it still counts).
pub type Split = Vec<Result<Record, RowError>>;

impl Splitter {
    pub fn new(encoding: Encoding) -> Splitter {
        let first = if encoding == Encoding::Csv { 0 } else { 1 };
        Splitter { encoding, pending: Vec::new(), csv: Reader::new(), ends: vec![0; 64], filled: (0, 0), next: first }
    }

    /// The records completed by `chunk`.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Split, SplitError> {
        let mut out = Vec::new();
        match self.encoding {
            Encoding::Ndjson => self.lines(chunk, &mut out)?,
            Encoding::Csv => self.records(chunk, &mut out)?,
        }
        Ok(out)
    }

    /// The last record, unterminated at the end of the file.
    pub fn finish(mut self) -> Result<Split, SplitError> {
        let mut out = Vec::new();
        match self.encoding {
            Encoding::Ndjson if !self.pending.is_empty() => {
                let line = std::mem::take(&mut self.pending);
                self.line(line, &mut out);
            }
            Encoding::Ndjson => {}
            Encoding::Csv => self.records(&[], &mut out)?,
        }
        Ok(out)
    }

    fn lines(&mut self, mut chunk: &[u8], out: &mut Split) -> Result<(), SplitError> {
        while let Some(end) = chunk.iter().position(|&b| b == b'\n') {
            self.pending.extend_from_slice(&chunk[..end]);
            chunk = &chunk[end + 1..];
            let line = std::mem::take(&mut self.pending);
            self.check_length(line.len())?;
            self.line(line, out);
        }
        self.pending.extend_from_slice(chunk);
        self.check_length(self.pending.len())
    }

    fn line(&mut self, mut line: Vec<u8>, out: &mut Split) {
        let number = self.next;
        self.next += 1;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if number == 1 && line.starts_with(b"\xef\xbb\xbf") {
            line.drain(..3);
        }
        // Blank lines count (the numbers stay line numbers) but are no rows.
        if !line.iter().all(u8::is_ascii_whitespace) {
            out.push(Ok(Record { number, bytes: line, cells: Vec::new() }));
        }
    }

    fn check_length(&self, length: usize) -> Result<(), SplitError> {
        if length > MAX_RECORD_BYTES {
            return Err(SplitError::TooLong(self.next));
        }
        Ok(())
    }

    /// CSV through csv-core: an empty `input` ends the file.
    fn records(&mut self, mut input: &[u8], out: &mut Split) -> Result<(), SplitError> {
        let at_end = input.is_empty();
        loop {
            if self.pending.len() < 1024 {
                self.pending.resize(1024, 0);
            }
            let (cells, ends) = self.filled;
            let (result, read, written, ended) =
                self.csv.read_record(input, &mut self.pending[cells..], &mut self.ends[ends..]);
            input = &input[read..];
            self.filled = (cells + written, ends + ended);
            match result {
                ReadRecordResult::InputEmpty if !at_end => return Ok(()),
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let grown = self.pending.len() * 2;
                    if grown > 2 * MAX_RECORD_BYTES {
                        return Err(SplitError::TooLong(self.next));
                    }
                    self.pending.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_CELLS {
                        return Err(SplitError::TooManyCells(self.next));
                    }
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                ReadRecordResult::Record => self.csv_record(out),
                ReadRecordResult::End => return Ok(()),
            }
        }
    }

    fn csv_record(&mut self, out: &mut Split) {
        let number = self.next;
        self.next += 1;
        let (_, ends) = std::mem::take(&mut self.filled);
        let mut start = 0;
        let mut cells = Vec::with_capacity(ends);
        let mut invalid = None;
        for (i, &end) in self.ends[..ends].iter().enumerate() {
            let mut bytes = &self.pending[start..end];
            if number == 0 && i == 0 {
                bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
            }
            match std::str::from_utf8(bytes) {
                Ok(text) => cells.push(text.to_owned()),
                Err(_) => invalid = invalid.or(Some(i)),
            }
            start = end;
        }
        // A record of one empty cell is a blank line.
        if cells.len() == 1 && cells[0].is_empty() && invalid.is_none() {
            self.next = number;
            return;
        }
        out.push(match invalid {
            None => Ok(Record { number, bytes: Vec::new(), cells }),
            Some(cell) => Err(RowError::new(number, format!("column {}", cell + 1), "invalid_utf8", "not UTF-8 text")),
        });
    }
}
