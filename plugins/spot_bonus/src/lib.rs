//! A spot bonus: pays `amount` to everyone whose sales reach `ratio` of their target.

use payplan_sdk::abi::{PolicyInput, PolicyOutput};

fn spot_bonus(input: &PolicyInput) -> Result<PolicyOutput, String> {
    let ratio = input.decimal("ratio")?;
    let amount = input.decimal("amount")?;
    let mut out = PolicyOutput::default();
    for p in input.participants.iter().filter(|p| p.reaches(ratio)) {
        let why = format!("sales {} reach {ratio} of the target", p.sales);
        out.pay(&p.id, "spot", amount, vec![why]);
    }
    Ok(out)
}

payplan_sdk::export_policy!(spot_bonus, reads_earlier = false);
