//! `allocate`: split a pool among recipients by weight, exactly (policies.md, "Shared definitions").
//!
//! Each recipient first gets `floor(P * w_i / W)` minor units (toward zero), computed with big
//! integers; the units left over go one each to the largest exact remainders, ties to the smaller
//! recipient id in byte order. The shares always add up to `P`.

use num_bigint::BigInt;
use rust_decimal::Decimal;

/// Splits `pool` (already at most `places` decimal places) among `recipients` by `weights`
/// (all >= 0; all 0 means equal). Returns the shares in recipient order, each with `places`
/// places. An error says why the call is wrong.
pub fn allocate(pool: Decimal, places: u32, recipients: &[&str], weights: &[Decimal]) -> Result<Vec<Decimal>, String> {
    if recipients.len() != weights.len() {
        return Err(format!("allocate: {} recipients but {} weights", recipients.len(), weights.len()));
    }
    if pool.round_dp(places) != pool {
        return Err(format!("allocate: the pool {pool} has more than {places} decimal places; round it first"));
    }
    if let Some(w) = weights.iter().find(|w| w.is_sign_negative() && !w.is_zero()) {
        return Err(format!("allocate: weight {w} is negative"));
    }
    let mut sorted: Vec<&str> = recipients.to_vec();
    sorted.sort_unstable();
    if let Some(pair) = sorted.windows(2).find(|p| p[0] == p[1]) {
        return Err(format!("allocate: recipient {:?} appears twice", pair[0]));
    }
    if recipients.is_empty() {
        return Ok(Vec::new());
    }

    let scale = weights.iter().map(|w| w.scale()).max().unwrap_or(0);
    let mut ints: Vec<BigInt> = weights.iter().map(|w| integer_at_scale(*w, scale)).collect();
    if ints.iter().all(|w| *w == BigInt::ZERO) {
        ints.iter_mut().for_each(|w| *w = BigInt::from(1));
    }
    let total: BigInt = ints.iter().sum();
    let units = integer_at_scale(pool.abs(), places);

    let mut shares = Vec::with_capacity(ints.len());
    let mut remainders = Vec::with_capacity(ints.len());
    for w in &ints {
        let numerator = &units * w;
        shares.push(&numerator / &total);
        remainders.push(numerator % &total);
    }
    let given: BigInt = shares.iter().sum();
    let left = usize::try_from(units - given).expect("fewer units are left over than there are recipients");
    let mut order: Vec<usize> = (0..recipients.len()).collect();
    order.sort_by(|&a, &b| remainders[b].cmp(&remainders[a]).then_with(|| recipients[a].cmp(recipients[b])));
    for &i in order.iter().take(left) {
        shares[i] += 1;
    }
    Ok(shares
        .into_iter()
        .map(|s| {
            let units = i128::try_from(s).expect("a share is no larger than the pool");
            let share = Decimal::from_i128_with_scale(units, places);
            if pool.is_sign_negative() { -share } else { share }
        })
        .collect())
}

/// `d * 10^scale` as an integer, for `scale >= d.scale()`.
fn integer_at_scale(d: Decimal, scale: u32) -> BigInt {
    BigInt::from(d.mantissa()) * BigInt::from(10).pow(scale - d.scale())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn split(pool: &str, places: u32, recipients: &[&str], weights: &[&str]) -> Vec<String> {
        let weights: Vec<Decimal> = weights.iter().map(|w| d(w)).collect();
        allocate(d(pool), places, recipients, &weights).unwrap().iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn remainder_units_go_to_largest_remainders_then_smaller_id() {
        // 100.00 / 3: 33.33 each, one cent left; equal remainders, so the smallest id gets it.
        assert_eq!(split("100.00", 2, &["c", "a", "b"], &["1", "1", "1"]), ["33.33", "33.34", "33.33"]);
        // Weights 1:2 of 10.00 → 3.333… and 6.666…: the larger remainder (b) gets the cent.
        assert_eq!(split("10.00", 2, &["a", "b"], &["1", "2"]), ["3.33", "6.67"]);
        // Yen: no minor unit below 1.
        assert_eq!(split("1000", 0, &["x", "y", "z"], &["1", "1", "1"]), ["334", "333", "333"]);
    }

    #[test]
    fn zero_weights_mean_equal_and_negative_pools_mirror() {
        assert_eq!(split("0.05", 2, &["a", "b"], &["0", "0"]), ["0.03", "0.02"]);
        assert_eq!(split("-0.05", 2, &["a", "b"], &["0", "0"]), ["-0.03", "-0.02"]);
        assert_eq!(split("9.00", 2, &["a", "b"], &["0", "2.5"]), ["0.00", "9.00"]);
    }

    #[test]
    fn wrong_calls_are_errors() {
        assert!(allocate(d("1.005"), 2, &["a"], &[d("1")]).is_err());
        assert!(allocate(d("1.00"), 2, &["a"], &[d("-1")]).is_err());
        assert!(allocate(d("1.00"), 2, &["a", "a"], &[d("1"), d("1")]).is_err());
        assert!(allocate(d("1.00"), 2, &["a"], &[]).is_err());
        assert_eq!(allocate(d("1.00"), 2, &[], &[]).unwrap(), Vec::<Decimal>::new());
    }

    #[test]
    fn huge_weights_stay_exact() {
        let big = "79228162514264337593543950335";
        let shares = split("0.03", 2, &["a", "b", "c"], &[big, big, "0.0000000000000000000000000001"]);
        assert_eq!(shares, ["0.02", "0.01", "0.00"]);
    }

    proptest::proptest! {
        /// Shares add up to the pool exactly and each is within one minor unit of its exact share.
        #[test]
        fn shares_always_add_up_to_the_pool(
            cents in -10_000_000i64..10_000_000,
            places in 0u32..4,
            weights in proptest::collection::vec(0u64..1_000_000, 1..12),
            scale in 0u32..4,
        ) {
            let pool = Decimal::new(cents, places);
            let weights: Vec<Decimal> = weights.into_iter().map(|w| Decimal::new(w as i64, scale)).collect();
            let ids: Vec<String> = (0..weights.len()).map(|i| format!("r{i:02}")).collect();
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let shares = allocate(pool, places, &ids, &weights).unwrap();
            proptest::prop_assert_eq!(shares.iter().sum::<Decimal>(), pool);
            let total: Decimal = weights.iter().sum();
            let unit = Decimal::new(1, places);
            for (share, w) in shares.iter().zip(&weights) {
                let exact = if total.is_zero() { pool / Decimal::from(weights.len()) } else { pool * w / total };
                proptest::prop_assert!((*share - exact).abs() < unit, "share {} of exact {}", share, exact);
            }
        }
    }
}
