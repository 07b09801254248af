//! A participant's credits in a period: every deal that credits them, how (whole, a split's share,
//! an overlay's), and the credit, so a statement shows the sales its lines were paid on.

use crate::facts::Facts;
use crate::money::fixed;
use chrono::NaiveDate;
use payplan_sdk::result::Money;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// One deal's credit to a participant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreditLine {
    /// The deal.
    pub deal: String,
    /// Its closing date.
    #[schema(value_type = String, format = Date)]
    pub closed_on: NaiveDate,
    /// The deal's whole amount (negative for a refund).
    pub amount: Money,
    /// `whole`, `split` or `overlay`.
    pub how: &'static str,
    /// The split's or the overlay's share; absent for a whole deal.
    #[serde(skip_serializing_if = "Option::is_none", with = "payplan_sdk::exact::option")]
    #[schema(value_type = Option<String>)]
    pub share: Option<Decimal>,
    /// What the deal credits the participant (crediting.md): the sales it adds.
    pub credit: Money,
}

/// Every participant's credits, in the order of [`Facts::participants`], each by (`closed_on`,
/// deal id).
pub fn credits(facts: &Facts) -> Vec<Vec<CreditLine>> {
    let places = facts.currency.places();
    facts
        .participants
        .iter()
        .zip(&facts.people)
        .map(|(p, person)| {
            person
                .deals
                .iter()
                .map(|c| {
                    let deal = &facts.deals[c.deal];
                    let share_of = |shares: &[payplan_sdk::period::Share]| {
                        shares.iter().find(|s| s.participant == p.id).map(|s| s.share)
                    };
                    let (how, share) = match (share_of(&deal.splits), share_of(&deal.overlay)) {
                        (Some(share), _) => ("split", Some(share)),
                        (None, Some(share)) => ("overlay", Some(share)),
                        (None, None) => ("whole", None),
                    };
                    CreditLine {
                        deal: deal.id.clone(),
                        closed_on: deal.closed_on,
                        amount: Money(fixed(deal.amount, places)),
                        how,
                        share,
                        credit: Money(fixed(c.credit, places)),
                    }
                })
                .collect()
        })
        .collect()
}
