//! A deterministic generator of realistic periods, for benchmarks and large tests: teams of about
//! fifty, groups of about ten, new hires with mentors, targets (a few missing), metrics, a
//! four-level hierarchy (the top, region heads over ten teams, team leads, members), 5% of
//! participants active part of the month, and deals with about 3% refunds, 10% split with
//! another member of the team, segments and kinds, as compact JSON. The same (participants, deals per participant, seed) always
//! writes the same bytes.

use chrono::Datelike;
use std::io::{self, Write};

/// SplitMix64: small, fast, and the same on every platform (the random tests use it too).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.bits() % n
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Participants.
    pub participants: u64,
    /// Deals per participant, on average (each has 0 to twice this many).
    pub deals_per: u64,
    /// Seed.
    pub seed: u64,
}

/// Writes a March 2026 CNY period of this shape as JSON.
pub fn write_period(out: &mut impl Write, shape: Shape) -> io::Result<()> {
    write_month(out, shape, 3, false)
}

/// Writes month `month` of 2026 (1 to 12) of this shape: with `series`, as a period of the
/// series FY2026 (from 2026-01-01), its deal ids unique across the months and its new hires on
/// a recoverable draw. The same people every month; their deals differ by month.
pub fn write_month(out: &mut impl Write, shape: Shape, month: u32, series: bool) -> io::Result<()> {
    let mut r = Rng(shape.seed.wrapping_add(u64::from(month).wrapping_sub(3) << 32));
    // Deal ids carry the month in a series, where they must be unique across the months.
    let prefix = if series { format!("{month:02}") } else { String::new() };
    let n = shape.participants.max(1);
    let teams = n.div_ceil(50);
    let first = chrono::NaiveDate::from_ymd_opt(2026, month, 1).expect("a month of 2026");
    let last = first + chrono::Months::new(1) - chrono::Days::new(1);
    let days = u64::from(last.day());
    let series_field = if series { ",\"series\":{\"id\":\"FY2026\",\"start\":\"2026-01-01\"}" } else { "" };
    writeln!(
        out,
        "{{\"period\":{{\"id\":\"2026-{month:02}\",\"start\":\"{first}\",\"end\":\"{last}\",\"currency\":\"CNY\"{series_field}}},"
    )?;
    writeln!(out, "\"teams\": [")?;
    for t in 0..teams {
        let sep = if t + 1 < teams { "," } else { "" };
        let target = 50 * (300_000 + r.below(400_000)) / 1000 * 1000;
        writeln!(out, "{{\"id\":\"t{t:05}\",\"name\":\"Team {t}\",\"target\":\"{target}.00\"}}{sep}")?;
    }
    writeln!(out, "],\n\"participants\": [")?;
    for p in 0..n {
        let team = p / 50;
        let group = p / 10;
        let new_hire = p % 50 != 0 && r.below(10) == 0;
        write!(out, "{{\"id\":\"p{p:07}\",\"name\":\"Person {p}\",\"team\":\"t{team:05}\",\"group\":\"g{group:06}\"")?;
        // The top (p0), region heads (the lead of every tenth team), team leads, members.
        let (lead, head) = (team * 50, team / 10 * 500);
        let manager = if p == 0 {
            None
        } else if p == head {
            Some(0)
        } else if p == lead {
            Some(head)
        } else {
            Some(lead)
        };
        if let Some(m) = manager {
            write!(out, ",\"manager\":\"p{m:07}\"")?;
        }
        if r.below(20) == 0 {
            write!(out, ",\"active_from\":\"2026-{month:02}-{:02}\"", 2 + r.below(days - 1))?;
        }
        if new_hire {
            // Hired in the 120 days before the period; mentored by the team's first member.
            let day = 120 - r.below(120);
            let hired = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("a date") - chrono::Days::new(day);
            write!(out, ",\"hired_on\":\"{hired}\",\"mentor\":\"p{:07}\",\"prior_deals\":0", team * 50)?;
            if series {
                write!(out, ",\"draw\":{{\"kind\":\"recoverable\",\"amount\":\"5000.00\"}}")?;
            }
        } else {
            write!(
                out,
                ",\"hired_on\":\"2024-0{}-1{}\",\"prior_deals\":{}",
                1 + r.below(9),
                r.below(10),
                5 + r.below(50)
            )?;
        }
        if r.below(20) != 0 {
            write!(out, ",\"target\":\"{}.00\"", (2 + r.below(18)) * 50_000 * shape.deals_per.max(1) / 20)?;
        }
        write!(
            out,
            ",\"metrics\":{{\"visits\":\"{}\",\"csat\":\"{}.{}\"}}}}",
            10 + r.below(50),
            70 + r.below(30),
            r.below(10)
        )?;
        writeln!(out, "{}", if p + 1 < n { "," } else { "" })?;
    }
    writeln!(out, "],\n\"deals\": [")?;
    let mut opening = true;
    let mut id = 0u64;
    for p in 0..n {
        for _ in 0..r.below(2 * shape.deals_per + 1) {
            let refund = r.below(33) == 0;
            let amount = 1_000 + r.below(99_000);
            let cents = r.below(100);
            let segment = ["A", "B", "C"][r.below(3) as usize];
            let kind = if refund { "refund" } else { ["new", "repeat", "upgrade"][r.below(3) as usize] };
            let sign = if refund { "-" } else { "" };
            // A tenth of the deals are split 60/40 with the next member of the team.
            let partner = p / 50 * 50 + (p % 50 + 1) % 50;
            let splits = if r.below(10) == 0 && partner < n && partner != p {
                format!(
                    ",\"splits\":[{{\"participant\":\"p{p:07}\",\"share\":\"0.6\"}},{{\"participant\":\"p{partner:07}\",\"share\":\"0.4\"}}]"
                )
            } else {
                String::new()
            };
            write!(
                out,
                "{}{{\"id\":\"d{prefix}{id:09}\",\"participant\":\"p{p:07}\"{splits},\"amount\":\"{sign}{amount}.{cents:02}\",\"closed_on\":\"2026-{month:02}-{:02}\",\"segment\":\"{segment}\",\"kind\":\"{kind}\"}}",
                if opening { "" } else { ",\n" },
                1 + r.below(days),
            )?;
            opening = false;
            id += 1;
        }
    }
    writeln!(out, "\n]}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_shape_gives_the_same_valid_period() {
        let shape = Shape { participants: 120, deals_per: 5, seed: 9 };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_period(&mut a, shape).unwrap();
        write_period(&mut b, shape).unwrap();
        assert_eq!(a, b);
        let input = crate::input::parse_period(&a).expect("a valid period");
        assert_eq!(input.period.participants.len(), 120);
        assert_eq!(input.period.teams.len(), 3);
        let deals = input.period.deals.len();
        assert!((300..900).contains(&deals), "{deals} deals");
        assert!(input.period.deals.iter().any(|d| d.amount.is_sign_negative()), "some refunds");
        assert!(input.period.participants.iter().any(|p| p.mentor.is_some()), "some mentees");
        assert!(input.period.deals.iter().any(|d| !d.splits.is_empty()), "some split deals");
        assert!(input.period.participants.iter().any(|p| p.active_from.is_some()), "some mid-month starts");
        assert!(input.period.participants.iter().filter(|p| p.manager.is_none()).count() == 1, "one top");
        let mut c = Vec::new();
        write_period(&mut c, Shape { seed: 10, ..shape }).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn months_of_a_series_are_valid_periods_with_their_own_deals() {
        let shape = Shape { participants: 120, deals_per: 5, seed: 9 };
        let mut ids = std::collections::HashSet::new();
        for month in [1, 2, 12] {
            let mut text = Vec::new();
            write_month(&mut text, shape, month, true).unwrap();
            let period = crate::input::parse_period(&text).expect("a valid month").period;
            assert_eq!(period.period.series.as_ref().unwrap().id, "FY2026");
            assert_eq!(period.period.end.day(), [31, 28, 31][(month as usize).min(3) - 1]);
            assert!(period.deals.iter().all(|d| ids.insert(d.id.clone())), "deal ids unique across months");
            assert!(period.participants.iter().any(|p| p.draw.is_some()), "new hires on a draw");
        }
    }
}
