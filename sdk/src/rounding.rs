//! Rounding: the plan's mode, applied once to each line (policies.md, `round`). Shared by the
//! host and by plugins, so both round alike.

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

/// How a line is rounded to the minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Half away from zero (the default).
    #[default]
    HalfUp,
    /// Half to even (banker's rounding).
    HalfEven,
}

impl Rounding {
    /// Reads the plan's `rounding` value: `half_up` or `half_even`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "half_up" => Some(Self::HalfUp),
            "half_even" => Some(Self::HalfEven),
            _ => None,
        }
    }

    fn strategy(self) -> RoundingStrategy {
        match self {
            Self::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Self::HalfEven => RoundingStrategy::MidpointNearestEven,
        }
    }

    /// Rounds `x` to `places` decimal places and writes it with exactly that many places
    /// (never a negative zero).
    pub fn round(self, x: Decimal, places: u32) -> Decimal {
        fixed(x.round_dp_with_strategy(places, self.strategy()), places)
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::HalfUp => "half_up",
            Self::HalfEven => "half_even",
        })
    }
}

/// `x` (already at most `places` places) written with exactly `places` places.
pub fn fixed(mut x: Decimal, places: u32) -> Decimal {
    x.rescale(places);
    if x.is_zero() {
        x.set_sign_positive(true);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn half_up_and_half_even_differ_only_on_midpoints() {
        let cases = [
            ("2.345", "2.35", "2.34"),
            ("2.355", "2.36", "2.36"),
            ("-2.345", "-2.35", "-2.34"),
            ("2.3449", "2.34", "2.34"),
            ("7", "7.00", "7.00"),
            ("-0.001", "0.00", "0.00"),
        ];
        for (x, up, even) in cases {
            assert_eq!(Rounding::HalfUp.round(d(x), 2).to_string(), up, "{x}");
            assert_eq!(Rounding::HalfEven.round(d(x), 2).to_string(), even, "{x}");
        }
        assert_eq!(Rounding::HalfEven.round(d("2.5"), 0).to_string(), "2");
        assert_eq!(Rounding::HalfUp.round(d("2.5"), 0).to_string(), "3");
    }
}
