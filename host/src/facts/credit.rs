//! Who a deal credits, and with how much (crediting.md, "Credit splits").

use crate::money::{Currency, Rounding};
use payplan_sdk::allocate::allocate;
use payplan_sdk::period::Deal;
use rust_decimal::Decimal;

/// The credits of one deal, as (participant id, credit), split participants (or the deal's
/// participant) first, then overlay participants; validation made them distinct.
pub(super) fn credits(deal: &Deal, currency: Currency, rounding: Rounding) -> Result<Vec<(&str, Decimal)>, String> {
    let places = currency.places();
    let mut out = Vec::with_capacity(deal.splits.len().max(1) + deal.overlay.len());
    if deal.splits.is_empty() {
        let who = deal.participant.as_deref().ok_or("a deal without splits names its participant")?;
        out.push((who, deal.amount));
    } else {
        let ids: Vec<&str> = deal.splits.iter().map(|s| s.participant.as_str()).collect();
        let shares: Vec<Decimal> = deal.splits.iter().map(|s| s.share).collect();
        // A refund's credits mirror a sale's: the negation of allocating its absolute value.
        let parts = allocate(deal.amount.abs(), places, &ids, &shares)?;
        let negative = deal.amount.is_sign_negative();
        out.extend(ids.into_iter().zip(parts).map(|(id, part)| (id, if negative { -part } else { part })));
    }
    for overlay in &deal.overlay {
        let exact = deal.amount.checked_mul(overlay.share).ok_or("the overlay credit overflows a decimal")?;
        out.push((overlay.participant.as_str(), rounding.round(exact, places)));
    }
    Ok(out)
}
