//! Money: the currency's minor unit and the plan's rounding mode (formats.md, policies.md).

use rust_decimal::Decimal;

pub use payplan_sdk::rounding::{Rounding, fixed};

/// A currency's money rules: its code and minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    code: iso_currency::Currency,
    places: u32,
}

impl Currency {
    /// Looks up an ISO 4217 code; `None` for an unknown code or one without a minor unit (XAU).
    pub fn from_code(code: &str) -> Option<Self> {
        let currency = iso_currency::Currency::from_code(code)?;
        let places = u32::from(currency.exponent()?);
        Some(Self { code: currency, places })
    }

    /// Decimal places of the minor unit: 2 for CNY, 0 for JPY, 3 for BHD.
    pub fn places(self) -> u32 {
        self.places
    }

    /// The ISO code.
    pub fn code(self) -> &'static str {
        self.code.code()
    }

    /// The smallest amount: 0.01 for CNY.
    pub fn minor_unit(self) -> Decimal {
        Decimal::new(1, self.places)
    }
}

/// A ratio as a percentage with 2 places, rounded half up (`0.96` → `96.00%`): scripts' `pct`.
pub fn pct(ratio: Decimal) -> String {
    format!("{}%", Rounding::HalfUp.round(ratio * Decimal::ONE_HUNDRED, 2))
}

/// A ratio as the number of a percentage, always 2 places, rounded half up (`1` → `100.00`).
pub fn percent(ratio: Decimal) -> Decimal {
    fixed(Rounding::HalfUp.round(ratio * Decimal::ONE_HUNDRED, 2), 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_follow_iso_4217() {
        for (code, places) in [("CNY", 2), ("USD", 2), ("JPY", 0), ("KRW", 0), ("BHD", 3)] {
            assert_eq!(Currency::from_code(code).unwrap().places(), places, "{code}");
        }
        assert!(Currency::from_code("XXY").is_none());
        assert!(Currency::from_code("cny").is_none());
    }
}
