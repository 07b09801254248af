//! The result's JSON with its long lists serialised in parallel chunks: the pretty form payplan
//! writes, and the canonical form `result_hash` covers. Both are byte for byte what serde_json
//! writes for the same value (the tests hold this); only the work is cut up.

use crate::chunked::write_in_chunks;
use payplan_sdk::result::EvalResult;
use serde::Serialize;
use std::io::{self, Write};

/// Which JSON of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// Every field, indented by two spaces, as payplan writes a result.
    Pretty,
    /// The fields `result_hash` covers, without white space (formats.md, "Result").
    Canonical,
}

/// Writes `result` in `form` (without a final new line).
pub(super) fn write(out: &mut (impl Write + Send), result: &EvalResult, form: Form) -> io::Result<()> {
    let pretty = form == Form::Pretty;
    out.write_all(b"{")?;
    let mut object = Object { out: &mut *out, form, first: true };
    // Keys in sorted order, as the result's fields are declared; empty balances and basis are
    // left out.
    if !result.balances.is_empty() {
        object.value("balances", &result.balances)?;
    }
    if !result.basis.is_empty() {
        object.value("basis", &result.basis)?;
    }
    if pretty {
        object.value("engine", &result.engine)?;
    }
    object.value("input_hash", &result.input_hash)?;
    object.list("payouts", &result.payouts)?;
    object.value("period", &result.period)?;
    object.value("plan", &result.plan)?;
    if pretty {
        object.value("result_hash", &result.result_hash)?;
    }
    object.list("scores", &result.scores)?;
    object.value("totals", &result.totals)?;
    out.write_all(if pretty { b"\n}" } else { b"}" })
}

/// The top-level object being written.
struct Object<'w, W> {
    out: &'w mut W,
    form: Form,
    first: bool,
}

impl<W: Write + Send> Object<'_, W> {
    fn key(&mut self, key: &str) -> io::Result<()> {
        let comma = if std::mem::replace(&mut self.first, false) { "" } else { "," };
        match self.form {
            Form::Pretty => write!(self.out, "{comma}\n  \"{key}\": "),
            Form::Canonical => write!(self.out, "{comma}\"{key}\":"),
        }
    }

    fn value(&mut self, key: &str, value: &impl Serialize) -> io::Result<()> {
        self.key(key)?;
        serialise(self.out, value, self.form, b"\n  ")
    }

    fn list<T: Serialize + Sync>(&mut self, key: &str, items: &[T]) -> io::Result<()> {
        self.key(key)?;
        if items.is_empty() {
            return self.out.write_all(b"[]");
        }
        self.out.write_all(b"[")?;
        let form = self.form;
        write_in_chunks(self.out, items, |buf, i, item| {
            if i > 0 {
                buf.push(b',');
            }
            if form == Form::Pretty {
                buf.extend_from_slice(b"\n    ");
            }
            serialise(buf, item, form, b"\n    ")
        })?;
        self.out.write_all(if form == Form::Pretty { b"\n  ]" } else { b"]" })
    }
}

/// `value` as serde_json writes it; pretty, each new line is followed by `pad` (its depth).
fn serialise(out: &mut impl Write, value: &impl Serialize, form: Form, pad: &[u8]) -> io::Result<()> {
    match form {
        Form::Canonical => serde_json::to_writer(out, value),
        Form::Pretty => serde_json::to_writer_pretty(Padded { out, pad }, value),
    }
    .map_err(io::Error::from)
}

/// Writes `pad` in place of each `\n` (a new line and the indentation of a depth). JSON strings
/// hold no raw new line, so only the layout's are touched.
struct Padded<'a, W> {
    out: &'a mut W,
    pad: &'a [u8],
}

impl<W: Write> Write for Padded<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut lines = buf.split(|&b| b == b'\n');
        if let Some(first) = lines.next() {
            self.out.write_all(first)?;
        }
        for line in lines {
            self.out.write_all(self.pad)?;
            self.out.write_all(line)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunked::{BATCH, CHUNK};
    use payplan_sdk::result::{Money, Payout, PlanRef, Score, Totals};
    use rust_decimal::Decimal;

    fn result(payouts: usize, scores: usize) -> EvalResult {
        let who = |i: usize| format!("p{i:06}");
        EvalResult {
            balances: (0..scores % 2).map(|i| (who(i), Money(Decimal::new(150, 2)))).collect(),
            // A history for some: the field is left out when empty.
            basis: (0..payouts % 3)
                .map(|i| payplan_sdk::result::Basis {
                    period: format!("2026-0{}", i + 1),
                    result_hash: "sha256:h".into(),
                })
                .collect(),
            engine: "payplan test".into(),
            input_hash: "sha256:in".into(),
            payouts: (0..payouts)
                .map(|i| Payout {
                    amount: Decimal::new(i as i64 * 101, 2),
                    component: "commission".into(),
                    explain: (0..i % 3).map(|k| format!("line {k} \"quoted\"\n")).collect(),
                    participant: who(i),
                    policy: "commission".into(),
                })
                .collect(),
            period: "2026-03".into(),
            plan: PlanRef { hash: "sha256:plan".into(), id: "plan".into(), version: "1".into() },
            result_hash: "sha256:out".into(),
            scores: (0..scores)
                .map(|i| Score {
                    explain: vec![format!("score of {i}")],
                    grade: "A".into(),
                    participant: who(i),
                    policy: "scorecard".into(),
                    score: Decimal::new(i as i64, 1),
                })
                .collect(),
            totals: Totals {
                amount: Decimal::new(12345, 2),
                participants: (0..3).map(|i| (who(i), Money(Decimal::new(i as i64, 0)))).collect(),
            },
        }
    }

    #[test]
    fn both_forms_are_what_serde_json_writes() {
        // Empty lists, one short chunk, and several batches of chunks.
        for (payouts, scores) in [(0, 0), (1, 0), (0, 3), (5, 2), (CHUNK * BATCH * 2 + 7, CHUNK + 1)] {
            let result = result(payouts, scores);
            let (mut pretty, mut canonical) = (Vec::new(), Vec::new());
            write(&mut pretty, &result, Form::Pretty).unwrap();
            write(&mut canonical, &result, Form::Canonical).unwrap();
            assert!(pretty == serde_json::to_vec_pretty(&result).unwrap(), "pretty, {payouts} payouts");
            assert!(canonical == serde_json::to_vec(&result.hashed()).unwrap(), "canonical, {payouts} payouts");
        }
    }
}
