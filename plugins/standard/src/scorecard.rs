//! KPI scorecard (`policies/scorecard.rhai`): each KPI's ratio (`attainment`, or a metric over
//! its target), floored at 0 and capped, weighted; the score is 100 × the sum, rounded to 2
//! places, and the grade the first of `grades` whose `min` it reaches (else the last).

use payplan_sdk::view::{Out, Params, Scored, View, decimal};
use rust_decimal::Decimal;

/// One KPI of the params.
struct Kpi<'a> {
    name: &'a str,
    /// `None` for attainment, else the metric's name.
    metric: Option<&'a str>,
    target: Decimal,
    weight: Decimal,
    cap: Option<Decimal>,
}

/// The rule.
pub fn scorecard<V: View>(view: &V, params: &Params) -> Result<Out, String> {
    let list = params
        .list("kpis")
        .map_err(|_| "params.kpis must be a non-empty list of { name, measure, target, weight, cap }")?;
    let kpis: Vec<Kpi> = list.iter().map(kpi).collect::<Result<_, _>>()?;
    let grades: Vec<(Decimal, &str)> = params
        .list("grades")
        .map_err(|_| "params.grades must be a non-empty list of { min, grade }")?
        .iter()
        .map(|g| match (g.get("min").and_then(decimal), g.get("grade").and_then(|x| x.as_str())) {
            (Some(min), Some(grade)) => Ok((min, grade)),
            _ => Err("params.grades must be a non-empty list of { min, grade }".to_string()),
        })
        .collect::<Result<_, _>>()?;
    let scores = view.each(|who| {
        let mut sum = Decimal::ZERO;
        let mut explain = Vec::with_capacity(kpis.len() + 1);
        for kpi in &kpis {
            let ratio = match kpi.metric {
                None => view.target(who).map_or(Decimal::ZERO, |t| view.sales(who) / t),
                Some(name) => view.metric(who, name).map_or(Decimal::ZERO, |v| v / kpi.target),
            };
            let ratio = ratio.max(Decimal::ZERO);
            let ratio = kpi.cap.map_or(ratio, |cap| ratio.min(cap));
            sum += kpi.weight * ratio;
            explain.push(format!(
                "{}: {} × weight {}",
                kpi.name,
                view.rounding().round(Decimal::ONE_HUNDRED * ratio, 2),
                kpi.weight
            ));
        }
        let score = view.rounding().round(Decimal::ONE_HUNDRED * sum, 2);
        let grade = grades.iter().find(|(min, _)| *min <= score).unwrap_or(&grades[grades.len() - 1]).1;
        explain.push(format!("score {score} → grade {grade}"));
        Scored { who, score, grade: grade.into(), explain }
    });
    Ok(Out { lines: Vec::new(), scores })
}

fn kpi(v: &serde_json::Value) -> Result<Kpi<'_>, String> {
    let name = v.get("name").and_then(|n| n.as_str()).unwrap_or_default();
    let measure = v.get("measure").and_then(|m| m.as_str()).unwrap_or_default();
    let metric = match measure {
        "attainment" => None,
        m if m.starts_with("metric:") => Some(&m[7..]),
        m => return Err(format!("kpi {name}: measure must be \"attainment\" or \"metric:<name>\", not \"{m}\"")),
    };
    let target = v.get("target").and_then(decimal);
    let target = match (metric, target) {
        (None, _) => Decimal::ZERO,
        (Some(_), Some(t)) if !t.is_zero() => t,
        (Some(_), _) => return Err(format!("kpi {name}: a metric needs a non-zero target")),
    };
    let weight = v.get("weight").and_then(decimal).ok_or_else(|| format!("kpi {name}: weight must be a number"))?;
    Ok(Kpi { name, metric, target, weight, cap: v.get("cap").and_then(decimal) })
}
