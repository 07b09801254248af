//! The console's charts, as SVG drawn by plotters on the server (no script in the page): an
//! attainment bar with the plan's tier lines marked, and a sales curve over the series' periods.
//! Pixel positions are floats; the figures they stand for are printed beside them exactly.

use plotters::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

const BAR: (u32, u32) = (220, 16);
const CURVE: (u32, u32) = (140, 32);

fn float(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// A bar of `attainment` (percent) on a scale to the largest of 150%, the top tier and the
/// attainment itself (capped at 300%), with a line at each tier (percent). Green from 100%.
pub(super) fn attainment_bar(attainment: Option<Decimal>, tiers: &[Decimal]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, BAR).into_drawing_area();
        let top = tiers.iter().copied().max().unwrap_or(Decimal::ONE_HUNDRED);
        let reach = attainment.unwrap_or_default().max(Decimal::ZERO);
        let scale = float(reach.max(top * Decimal::new(125, 2)).max(Decimal::from(150)).min(Decimal::from(300)));
        let x = |percent: f64| ((percent / scale).clamp(0.0, 1.0) * f64::from(BAR.0 - 1)) as i32;
        let h = BAR.1 as i32 - 1;
        let _ = root.fill(&RGBColor(232, 236, 241));
        if let Some(a) = attainment {
            let color = if a >= Decimal::ONE_HUNDRED { RGBColor(31, 122, 61) } else { RGBColor(191, 102, 0) };
            let _ = root.draw(&Rectangle::new([(0, 2), (x(float(a)), h - 2)], color.filled()));
        }
        for tier in tiers {
            let at = x(float(*tier));
            let _ = root.draw(&PathElement::new(vec![(at, 0), (at, h)], BLACK.stroke_width(2)));
        }
        let _ = root.present();
    }
    svg
}

/// A line through `points` (a participant's sales per period), the last one marked.
pub(super) fn curve(points: &[Decimal]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CURVE).into_drawing_area();
        let _ = root.fill(&WHITE);
        let values: Vec<f64> = points.iter().map(|p| float(*p)).collect();
        let low = values.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
        let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max).max(low + 1.0);
        let last = values.len().saturating_sub(1).max(1) as f64;
        if let Ok(mut chart) = ChartBuilder::on(&root).margin(3).build_cartesian_2d(0.0..last, low..high) {
            let line = values.iter().enumerate().map(|(i, v)| (i as f64, *v));
            let _ = chart.draw_series(LineSeries::new(line, RGBColor(18, 53, 91).stroke_width(2)));
            if let Some(v) = values.last() {
                let at = (values.len() - 1) as f64;
                let _ = chart.draw_series(std::iter::once(Circle::new((at, *v), 3, RGBColor(18, 53, 91).filled())));
            }
        }
        let _ = root.present();
    }
    svg
}

/// How many bars a histogram has.
const BINS: usize = 10;

/// A histogram of `values` (per-participant deltas): `BINS` equal bins from the least to the
/// greatest, as SVG, and each bin's range and count (its text, printed beside it).
pub(super) fn histogram(values: &[Decimal]) -> (String, Vec<(Decimal, Decimal, usize)>) {
    let (Some(low), Some(high)) = (values.iter().min().copied(), values.iter().max().copied()) else {
        return (String::new(), Vec::new());
    };
    let width = ((high - low) / Decimal::from(BINS as u64)).max(Decimal::new(1, 2));
    let mut bins: Vec<(Decimal, Decimal, usize)> = (0..BINS)
        .map(|i| (low + width * Decimal::from(i as u64), low + width * Decimal::from(i as u64 + 1), 0))
        .collect();
    for v in values {
        let i = ((*v - low) / width).floor().to_usize().unwrap_or(0).min(BINS - 1);
        bins[i].2 += 1;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (360, 120)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let most = bins.iter().map(|b| b.2).max().unwrap_or(1).max(1) as u32;
        if let Ok(mut chart) = ChartBuilder::on(&root).margin(4).build_cartesian_2d(0..BINS as u32, 0..most) {
            let bars = bins.iter().enumerate().map(|(i, b)| {
                Rectangle::new([(i as u32, 0), (i as u32 + 1, b.2 as u32)], RGBColor(18, 53, 91).filled())
            });
            let _ = chart.draw_series(bars);
        }
        let _ = root.present();
    }
    (svg, bins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_marks_each_tier_and_fills_to_the_attainment() {
        let tiers = [Decimal::from(80), Decimal::from(100), Decimal::from(120)];
        let bar = attainment_bar(Some(Decimal::from(100)), &tiers);
        assert!(bar.starts_with("<svg"), "{bar}");
        assert_eq!(bar.matches("<polyline").count() + bar.matches("<line").count(), 3, "{bar}");
        assert!(bar.contains("#1F7A3D") || bar.to_lowercase().contains("#1f7a3d"), "green at 100%: {bar}");
        let none = attainment_bar(None, &tiers);
        assert_eq!(none.matches("<rect").count(), 1, "only the background without a target: {none}");
    }

    #[test]
    fn a_histogram_counts_every_value_once() {
        let values: Vec<Decimal> = [-5, 0, 1, 2, 2, 3, 10].into_iter().map(Decimal::from).collect();
        let (svg, bins) = histogram(&values);
        assert_eq!(bins.iter().map(|b| b.2).sum::<usize>(), values.len());
        assert_eq!((bins[0].0, bins[9].1), (Decimal::from(-5), Decimal::from(10)));
        assert_eq!(bins[9].2, 1, "the greatest value is in the last bin");
        assert_eq!(svg.matches("<rect").count(), 1 + 10, "the background and a bar each");
        assert_eq!(histogram(&[]).1.len(), 0);
    }

    #[test]
    fn a_curve_goes_through_every_period() {
        let svg = curve(&[Decimal::from(10), Decimal::from(30), Decimal::from(20)]);
        assert!(svg.contains("<polyline"), "{svg}");
        assert!(svg.contains("<circle"), "{svg}");
        let one = curve(&[Decimal::from(5)]);
        assert!(one.contains("<circle"), "{one}");
    }
}
