//! Judging a value against its peers (seed 001: 坐席工作效能评估): the baseline is the peers'
//! median, the distance a robust z-score, so one outlier does not move the yardstick it is
//! measured by. Pure.

use crate::Direction;

/// The median of `values` (`None` when there are none).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The spread `z` is measured in: 1.4826 x the median absolute deviation (which estimates the
/// standard deviation of normal data); where more than half the peers are equal and that is 0,
/// 1.2533 x the mean absolute deviation instead (as IBM's modified z-score does); 0 when every
/// peer is equal.
pub fn robust_spread(values: &[f64], median: f64) -> f64 {
    let deviations: Vec<f64> = values.iter().map(|x| (x - median).abs()).collect();
    let mad = self::median(&deviations).unwrap_or(0.0);
    if mad > 0.0 {
        return 1.4826 * mad;
    }
    #[allow(clippy::cast_precision_loss)]
    let mean_ad = deviations.iter().sum::<f64>() / deviations.len().max(1) as f64;
    1.253_314 * mean_ad
}

/// How a value compares with its peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Beyond the threshold on the metric's good side.
    Outstanding,
    /// Beyond the threshold on its bad side.
    NeedsImprovement,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Outstanding => "outstanding",
            Flag::NeedsImprovement => "needs_improvement",
        }
    }
}

/// A value judged against a baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    pub value: Option<f64>,
    pub baseline: Option<f64>,
    /// (value - baseline) / spread; `None` without a value, a baseline or a spread.
    pub z: Option<f64>,
    pub flag: Option<Flag>,
}

/// `value` against `baseline` with `spread`: flagged when |z| > `threshold` in a metric whose
/// direction says which side is good, and only when `eligible` (enough contacts to judge).
pub fn judge(
    value: Option<f64>,
    baseline: Option<f64>,
    spread: f64,
    direction: Direction,
    threshold: f64,
    eligible: bool,
) -> Judged {
    let z = match (value, baseline) {
        (Some(x), Some(b)) if spread > 0.0 => Some((x - b) / spread),
        (Some(x), Some(b)) if x == b => Some(0.0),
        _ => None,
    };
    let flag = z.filter(|z| eligible && z.abs() > threshold).and_then(|z| {
        let good = match direction {
            Direction::Higher => z > 0.0,
            Direction::Lower => z < 0.0,
            Direction::Neutral => return None,
        };
        Some(if good {
            Flag::Outstanding
        } else {
            Flag::NeedsImprovement
        })
    });
    Judged {
        value,
        baseline,
        z,
        flag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_spreads_and_flags_by_hand() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        // 1, 2, 3, 4, 100: median 3, deviations 2, 1, 0, 1, 97 → MAD 1.
        let v = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert!((robust_spread(&v, 3.0) - 1.4826).abs() < 1e-12);
        let j = judge(Some(100.0), Some(3.0), 1.4826, Direction::Lower, 3.0, true);
        assert!((j.z.unwrap_or_default() - 97.0 / 1.4826).abs() < 1e-9);
        assert_eq!(j.flag, Some(Flag::NeedsImprovement));
        let j = judge(Some(100.0), Some(3.0), 1.4826, Direction::Higher, 3.0, true);
        assert_eq!(j.flag, Some(Flag::Outstanding));
        assert_eq!(
            judge(
                Some(100.0),
                Some(3.0),
                1.4826,
                Direction::Neutral,
                3.0,
                true
            )
            .flag,
            None
        );
        assert_eq!(
            judge(Some(100.0), Some(3.0), 1.4826, Direction::Lower, 3.0, false).flag,
            None,
            "too few contacts"
        );
        // Most peers equal: MAD 0, the mean absolute deviation instead: 5, 5, 5, 5, 9 →
        // deviations 0, 0, 0, 0, 4 → mean 0.8.
        let v = [5.0, 5.0, 5.0, 5.0, 9.0];
        assert!((robust_spread(&v, 5.0) - 1.253_314 * 0.8).abs() < 1e-12);
        // All equal (a team of one, say): no spread, z 0 for the equal value, nothing flagged.
        assert_eq!(robust_spread(&[7.0], 7.0), 0.0);
        let j = judge(Some(7.0), Some(7.0), 0.0, Direction::Lower, 3.0, true);
        assert_eq!((j.z, j.flag), (Some(0.0), None));
    }
}
