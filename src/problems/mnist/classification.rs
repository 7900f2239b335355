//! From logits to predicted classes and scores, shared by the MNIST classifiers.
//!
//! ```
//! use ridge_rider::problems::mnist::classification::{fraction_correct, predicted_classes};
//! let logits = [0.1, 0.9, 0.5, 0.2, 0.7, 0.7];
//! let pred = predicted_classes(&logits, 2);
//! assert_eq!(pred, [1, 0, 0]); // ties go to the first class
//! assert_eq!(fraction_correct(&pred, &[1, 1, 0]), 2.0 / 3.0);
//! ```

/// The class of the largest logit in each row of `logits` (rows of `classes` values);
/// ties go to the first.
///
/// ```
/// use ridge_rider::problems::mnist::classification::predicted_classes;
/// assert_eq!(predicted_classes(&[0.0, 2.0, 1.0, 5.0, 5.0, 0.0], 3), vec![1, 0]);
/// ```
pub fn predicted_classes(logits: &[f64], classes: usize) -> Vec<usize> {
    logits
        .chunks_exact(classes)
        .map(|r| r.iter().enumerate().fold(0, |best, (j, v)| if *v > r[best] { j } else { best }))
        .collect()
}

/// Fraction of predictions equal to their labels (0 for no labels).
///
/// ```
/// use ridge_rider::problems::mnist::classification::fraction_correct;
/// assert_eq!((fraction_correct(&[1, 2], &[1, 3]), fraction_correct(&[], &[])), (0.5, 0.0));
/// ```
pub fn fraction_correct(pred: &[usize], labels: &[usize]) -> f64 {
    pred.iter().zip(labels).filter(|(p, y)| p == y).count() as f64 / labels.len().max(1) as f64
}

/// Per-class accuracy of predictions (NaN for a class with no example).
///
/// ```
/// use ridge_rider::problems::mnist::classification::class_accuracy;
/// let acc = class_accuracy(&[0, 1, 1, 0], &[0, 1, 0, 0], 3);
/// assert_eq!(&acc[..2], &[2.0 / 3.0, 1.0]);
/// assert!(acc[2].is_nan());
/// ```
pub fn class_accuracy(pred: &[usize], labels: &[usize], classes: usize) -> Vec<f64> {
    let (mut right, mut total) = (vec![0.0; classes], vec![0.0; classes]);
    for (p, y) in pred.iter().zip(labels) {
        total[*y] += 1.0;
        if p == y {
            right[*y] += 1.0;
        }
    }
    right.iter().zip(&total).map(|(r, t)| if *t > 0.0 { r / t } else { f64::NAN }).collect()
}
