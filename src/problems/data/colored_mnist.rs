//! Colored MNIST (Arjovsky et al., 2019), the environments of the paper's Table 1.
//!
//! Each digit gets a preliminary label ỹ = 0 for 0–4 and 1 for 5–9; the label y is ỹ
//! flipped with probability 0.25; a colour z is y flipped with probability p_e; the
//! image is drawn in the red channel if z = 1 and in the green channel if z = 0 (the
//! other channel is zero). Images are downsampled to 14×14 by 2×2 average pooling, as
//! is usual for this benchmark, so an input is 2·14·14 = 392 values, channel-major
//! (red plane, then green plane). Chance is 50%; a classifier that reads only the
//! digit shape can reach 75% in every environment, while the colour agrees with the
//! label 80% / 90% of the time in the training environments and 10% in the test one.
//!
//! ```
//! use ridge_rider::problems::data::colored_mnist::{environments, EnvSizes};
//! use ridge_rider::problems::data::mnist::embedded_all;
//! let envs = environments(&embedded_all(), EnvSizes::EMBEDDED, 0).unwrap();
//! assert_eq!(envs.len(), 3);
//! assert_eq!(envs[0].len(), 4000);
//! assert_eq!(envs[2].p_colour_flip, 0.9);
//! ```

use crate::problems::data::mnist::Dataset;
use crate::rng::seeded;
use rand::Rng;
use std::fmt;

/// Inputs per coloured, downsampled image.
pub const INPUTS: usize = 2 * 14 * 14;

/// Colour-flip probabilities of ξ₁, ξ₂ (training) and ξ₃ (test).
pub const P_COLOUR_FLIP: [f64; 3] = [0.2, 0.1, 0.9];

/// Probability that the label disagrees with the digit's preliminary label.
pub const P_LABEL_FLIP: f64 = 0.25;

/// One environment: inputs (`len × INPUTS`), binary labels and the colour of each image.
///
/// ```
/// use ridge_rider::problems::data::colored_mnist::{environments, EnvSizes, INPUTS};
/// use ridge_rider::problems::data::mnist::embedded_all;
/// let [train1, _, test] = environments(&embedded_all(), EnvSizes::EMBEDDED, 1).unwrap();
/// // Each image lies in one colour plane: red (first half) when z = 1.
/// let red: f64 = train1.x[..INPUTS / 2].iter().sum();
/// let green: f64 = train1.x[INPUTS / 2..INPUTS].iter().sum();
/// assert_eq!(train1.colour[0] == 1, red > 0.0 && green == 0.0);
/// // The colour agrees with the label 80% of the time in ξ₁ and 10% in ξ₃.
/// let agree = |e: &ridge_rider::problems::data::colored_mnist::Environment| {
///     e.y.iter().zip(&e.colour).filter(|(y, z)| **y == f64::from(**z)).count() as f64 / e.len() as f64
/// };
/// assert!((agree(&train1) - 0.8).abs() < 0.03 && (agree(&test) - 0.1).abs() < 0.03);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    pub x: Vec<f64>,
    /// The (noisy) label y ∈ {0, 1}.
    pub y: Vec<f64>,
    /// The colour id z (1 = red).
    pub colour: Vec<u8>,
    /// The digit class 0–9 of each image.
    pub digit: Vec<usize>,
    /// Index of each image in the source data set (environments never share one).
    pub source: Vec<usize>,
    pub p_colour_flip: f64,
}

impl Environment {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.y.len()
    }
    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    /// Examples `range` as a new environment.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Environment {
        Environment {
            x: self.x[range.start * INPUTS..range.end * INPUTS].to_vec(),
            y: self.y[range.clone()].to_vec(),
            colour: self.colour[range.clone()].to_vec(),
            digit: self.digit[range.clone()].to_vec(),
            source: self.source[range].to_vec(),
            p_colour_flip: self.p_colour_flip,
        }
    }
    /// The examples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Environment {
        let mut x = Vec::with_capacity(indices.len() * INPUTS);
        for &i in indices {
            x.extend_from_slice(&self.x[i * INPUTS..(i + 1) * INPUTS]);
        }
        Environment {
            x,
            y: indices.iter().map(|&i| self.y[i]).collect(),
            colour: indices.iter().map(|&i| self.colour[i]).collect(),
            digit: indices.iter().map(|&i| self.digit[i]).collect(),
            source: indices.iter().map(|&i| self.source[i]).collect(),
            p_colour_flip: self.p_colour_flip,
        }
    }
    /// The same digits and labels with every colour flipped (each digit moved to the
    /// other plane): a model that ignores the colour scores the same on both.
    ///
    /// ```
    /// use ridge_rider::problems::data::colored_mnist::{environments, EnvSizes};
    /// use ridge_rider::problems::data::mnist::embedded_all;
    /// let env = environments(&embedded_all(), EnvSizes::EMBEDDED, 0).unwrap()[0].slice(0..10);
    /// let swapped = env.with_colours_swapped();
    /// assert_eq!(swapped.y, env.y);
    /// assert!(swapped.colour.iter().zip(&env.colour).all(|(a, b)| a != b));
    /// assert_eq!(swapped.with_colours_swapped(), env);
    /// ```
    pub fn with_colours_swapped(&self) -> Environment {
        let mut out = self.clone();
        for row in out.x.chunks_exact_mut(INPUTS) {
            let (red, green) = row.split_at_mut(INPUTS / 2);
            red.swap_with_slice(green);
        }
        out.colour.iter_mut().for_each(|z| *z ^= 1);
        out
    }
    /// Several environments pooled into one (ERM's training set).
    pub fn pool(envs: &[Environment]) -> Environment {
        let mut out = Environment {
            x: vec![],
            y: vec![],
            colour: vec![],
            digit: vec![],
            source: vec![],
            p_colour_flip: f64::NAN,
        };
        for e in envs {
            out.x.extend_from_slice(&e.x);
            out.y.extend_from_slice(&e.y);
            out.colour.extend_from_slice(&e.colour);
            out.digit.extend_from_slice(&e.digit);
            out.source.extend_from_slice(&e.source);
        }
        out
    }
}

/// How many digits each environment takes.
///
/// ```
/// use ridge_rider::problems::data::colored_mnist::EnvSizes;
/// assert_eq!(EnvSizes::PAPER.0.iter().sum::<usize>(), 60_000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvSizes(pub [usize; 3]);

impl EnvSizes {
    /// The embedded 10,000 digits: 4,000 / 4,000 / 2,000.
    pub const EMBEDDED: EnvSizes = EnvSizes([4000, 4000, 2000]);
    /// The paper's sizes on the full MNIST: 25,000 / 25,000 / 10,000.
    pub const PAPER: EnvSizes = EnvSizes([25000, 25000, 10000]);
}

/// Why environments could not be built.
///
/// ```
/// use ridge_rider::problems::data::colored_mnist::{environments, ColoredMnistError, EnvSizes};
/// use ridge_rider::problems::data::mnist::embedded_all;
/// let err = environments(&embedded_all(), EnvSizes::PAPER, 0).unwrap_err();
/// assert_eq!(err, ColoredMnistError::TooFewDigits { needed: 60_000, available: 10_000 });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColoredMnistError {
    /// The source images are not 28×28.
    NotMnist { pixels: usize },
    /// The source has fewer digits than the environments take.
    TooFewDigits { needed: usize, available: usize },
}

impl fmt::Display for ColoredMnistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColoredMnistError::NotMnist { pixels } => write!(f, "images have {pixels} pixels, not 28×28"),
            ColoredMnistError::TooFewDigits { needed, available } => {
                write!(f, "the environments need {needed} digits but the data has {available}")
            }
        }
    }
}

impl std::error::Error for ColoredMnistError {}

/// 2×2 average pooling of one 28×28 image into 14×14.
fn downsample(image: &[f64]) -> [f64; 196] {
    let mut out = [0.0; 196];
    for (k, v) in out.iter_mut().enumerate() {
        let (r, c) = (2 * (k / 14), 2 * (k % 14));
        *v = 0.25 * (image[r * 28 + c] + image[r * 28 + c + 1] + image[(r + 1) * 28 + c] + image[(r + 1) * 28 + c + 1]);
    }
    out
}

/// Colour the digits `source[indices]` with colour-flip probability `p`, drawing the
/// label and colour noise from `rng`.
fn colour(source: &Dataset, indices: std::ops::Range<usize>, p: f64, rng: &mut impl Rng) -> Environment {
    let n = indices.len();
    let mut env = Environment {
        x: vec![0.0; n * INPUTS],
        y: Vec::with_capacity(n),
        colour: Vec::with_capacity(n),
        digit: Vec::with_capacity(n),
        source: indices.clone().collect(),
        p_colour_flip: p,
    };
    for (row, i) in indices.enumerate() {
        let digit = source.labels[i];
        let preliminary = u8::from(digit >= 5);
        let y = preliminary ^ u8::from(rng.gen::<f64>() < P_LABEL_FLIP);
        let z = y ^ u8::from(rng.gen::<f64>() < p);
        let small = downsample(&source.x[i * 784..(i + 1) * 784]);
        // Red is the first plane, green the second.
        let plane = if z == 1 { 0 } else { 196 };
        env.x[row * INPUTS + plane..row * INPUTS + plane + 196].copy_from_slice(&small);
        env.y.push(f64::from(y));
        env.colour.push(z);
        env.digit.push(digit);
    }
    env
}

/// ξ₁, ξ₂ (training, p = 0.2 and 0.1) and ξ₃ (test, p = 0.9) from consecutive,
/// disjoint blocks of `source` (in order), with label and colour noise drawn from `seed`.
///
/// ```
/// use ridge_rider::problems::data::colored_mnist::{environments, EnvSizes};
/// use ridge_rider::problems::data::mnist::embedded_all;
/// let all = embedded_all();
/// let envs = environments(&all, EnvSizes([100, 100, 50]), 7).unwrap();
/// // Disjoint digits, and the same seed gives the same noise.
/// assert_eq!((envs[1].source[0], envs[2].source[0]), (100, 200));
/// assert_eq!(envs, environments(&all, EnvSizes([100, 100, 50]), 7).unwrap());
/// ```
pub fn environments(source: &Dataset, sizes: EnvSizes, seed: u64) -> Result<[Environment; 3], ColoredMnistError> {
    if source.pixels != 784 {
        return Err(ColoredMnistError::NotMnist { pixels: source.pixels });
    }
    let needed: usize = sizes.0.iter().sum();
    if source.len() < needed {
        return Err(ColoredMnistError::TooFewDigits { needed, available: source.len() });
    }
    let mut rng = seeded(seed, 0x636d6e);
    let [a, b, c] = sizes.0;
    Ok([
        colour(source, 0..a, P_COLOUR_FLIP[0], &mut rng),
        colour(source, a..a + b, P_COLOUR_FLIP[1], &mut rng),
        colour(source, a + b..a + b + c, P_COLOUR_FLIP[2], &mut rng),
    ])
}

/// The paper's split of the full MNIST: ξ₁ and ξ₂ from the training set, ξ₃ from the
/// test set. Needs 50,000 training and 10,000 test digits.
///
/// ```
/// use ridge_rider::problems::data::colored_mnist::environments_full;
/// use ridge_rider::problems::data::mnist::embedded;
/// let (train, test) = embedded();
/// // The embedded 8,000 training digits are too few for two environments of 25,000.
/// assert!(environments_full(&train, &test, 0).is_err());
/// ```
pub fn environments_full(train: &Dataset, test: &Dataset, seed: u64) -> Result<[Environment; 3], ColoredMnistError> {
    let [a, b, c] = EnvSizes::PAPER.0;
    let [e1, e2, _] = environments(train, EnvSizes([a, b, 0]), seed)?;
    let [_, _, e3] = environments(test, EnvSizes([0, 0, c]), seed ^ 0x7465)?;
    Ok([e1, e2, e3])
}
