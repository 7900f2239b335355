//! MNIST in the standard IDX format (images idx3, labels idx1, gzipped or not).
//!
//! Every header is validated against the bytes actually present before anything is
//! allocated, so a malformed or hostile file gives an [`IdxError`] naming the file,
//! never a panic, a huge allocation or a silent truncation.
//!
//! The crate embeds 10,000 real digits (`data/mnist/`, see its README for provenance
//! and licence): [`embedded`] splits them 8,000 train / 2,000 test in file order.

use flate2::read::GzDecoder;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

const EMBEDDED_IMAGES: &[u8] = include_bytes!("../../../data/mnist/mnist10k-images-idx3-ubyte.gz");
const EMBEDDED_LABELS: &[u8] = include_bytes!("../../../data/mnist/mnist10k-labels-idx1-ubyte.gz");

/// Digits in the embedded set ([`embedded_all`]).
pub const EMBEDDED_LEN: usize = 10_000;

/// Decompressed files larger than this are rejected (the full MNIST is 47 MB).
pub const MAX_DECOMPRESSED: u64 = 1 << 30;

/// A labelled image set, pixels scaled to [0, 1], one image per row.
///
/// ```
/// let (train, test) = ridge_rider::problems::data::mnist::embedded();
/// assert_eq!((train.len(), test.len(), train.pixels), (8000, 2000, 784));
/// let first = train.slice(0..2);
/// assert_eq!(first.labels, train.select(&[0, 1]).labels);
/// assert!(first.x.iter().all(|p| (0.0..=1.0).contains(p)));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// `len × pixels`, row-major, pixel/255.
    pub x: Vec<f64>,
    pub labels: Vec<usize>,
    /// Pixels per image (rows·cols).
    pub pixels: usize,
}

impl Dataset {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Examples `range`, in order.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Dataset {
        Dataset {
            x: self.x[range.start * self.pixels..range.end * self.pixels].to_vec(),
            labels: self.labels[range].to_vec(),
            pixels: self.pixels,
        }
    }
    /// The examples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        let mut x = Vec::with_capacity(indices.len() * self.pixels);
        for &i in indices {
            x.extend_from_slice(&self.x[i * self.pixels..(i + 1) * self.pixels]);
        }
        Dataset { x, labels: indices.iter().map(|&i| self.labels[i]).collect(), pixels: self.pixels }
    }
}

/// Why an IDX file was rejected; every variant names the file (see
/// [`parse_images`] for examples).
#[derive(Debug)]
pub enum IdxError {
    Io {
        file: String,
        error: std::io::Error,
    },
    /// Not valid gzip (the decoder's error is the [`source`](std::error::Error::source)).
    Gzip {
        file: String,
        error: std::io::Error,
    },
    /// The gzip data decompresses to more than `limit` bytes.
    TooLarge {
        file: String,
        limit: u64,
    },
    BadMagic {
        file: String,
        expected: u32,
        found: u32,
    },
    /// The header promises more (or fewer) bytes than the file holds.
    Length {
        file: String,
        expected: u64,
        got: u64,
    },
    /// Images of `rows × cols` pixels: none, or more than 4096 a side.
    Dimensions {
        file: String,
        rows: u64,
        cols: u64,
    },
    CountMismatch {
        images: usize,
        labels: usize,
    },
    LabelOutOfRange {
        file: String,
        index: usize,
        label: u8,
    },
    Missing {
        dir: String,
        name: String,
    },
    /// The name exists but is no regular file (a directory, FIFO, device, or a
    /// symlink to nothing): reading it would fail or block.
    NotAFile {
        file: String,
        what: &'static str,
    },
    /// A valid file with no images: nothing to train or test on.
    Empty {
        file: String,
    },
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdxError::Io { file, error } => write!(f, "{file}: {error}"),
            IdxError::Gzip { file, error } => write!(f, "{file}: not valid gzip: {error}"),
            IdxError::BadMagic { file, expected, found } => {
                write!(f, "{file}: magic number 0x{found:08x}, expected 0x{expected:08x}")
            }
            IdxError::Length { file, expected, got } => {
                write!(f, "{file}: header promises {expected} data bytes, file holds {got}")
            }
            IdxError::TooLarge { file, limit } => {
                write!(f, "{file}: decompresses to more than {} MiB", limit >> 20)
            }
            IdxError::Dimensions { file, rows, cols } => write!(f, "{file}: image size {rows}×{cols}"),
            IdxError::CountMismatch { images, labels } => write!(f, "{images} images but {labels} labels"),
            IdxError::LabelOutOfRange { file, index, label } => {
                write!(f, "{file}: label {label} at index {index} is not a digit 0-9")
            }
            IdxError::Missing { dir, name } => write!(f, "{dir}: no {name} or {name}.gz"),
            IdxError::NotAFile { file, what } => write!(f, "{file}: {what}, not a regular file"),
            IdxError::Empty { file } => write!(f, "{file}: holds no images"),
        }
    }
}

impl std::error::Error for IdxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IdxError::Io { error, .. } | IdxError::Gzip { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Gunzip when the bytes start with the gzip magic, with a size cap.
fn maybe_gunzip(file: &str, bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    if bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
        let mut out = Vec::new();
        GzDecoder::new(bytes)
            .take(MAX_DECOMPRESSED + 1)
            .read_to_end(&mut out)
            .map_err(|error| IdxError::Gzip { file: file.into(), error })?;
        if out.len() as u64 > MAX_DECOMPRESSED {
            return Err(IdxError::TooLarge { file: file.into(), limit: MAX_DECOMPRESSED });
        }
        Ok(out)
    } else {
        Ok(bytes.to_vec())
    }
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Check magic and dimensions; return the dims and the data section.
fn parse_header<'a>(file: &str, b: &'a [u8], magic: u32, ndims: usize) -> Result<(Vec<u64>, &'a [u8]), IdxError> {
    let header = 4 + 4 * ndims;
    let found =
        be_u32(b, 0).ok_or(IdxError::Length { file: file.into(), expected: header as u64, got: b.len() as u64 })?;
    if found != magic {
        return Err(IdxError::BadMagic { file: file.into(), expected: magic, found });
    }
    if b.len() < header {
        return Err(IdxError::Length { file: file.into(), expected: header as u64, got: b.len() as u64 });
    }
    let dims: Vec<u64> = (0..ndims).map(|i| be_u32(b, 4 + 4 * i).expect("checked length") as u64).collect();
    let expected = dims.iter().fold(1u64, |a, &d| a.saturating_mul(d));
    let product = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
    let data = &b[header..];
    match product {
        Some(p) if p == data.len() as u64 => Ok((dims, data)),
        _ => Err(IdxError::Length { file: file.into(), expected, got: data.len() as u64 }),
    }
}

/// Parse an idx3 image file: (count, rows·cols, pixels).
///
/// ```
/// use ridge_rider::problems::data::mnist::{parse_images, IdxError};
/// // Magic 0x00000803, then 2 images of 2×2.
/// let mut file = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2];
/// file.extend([0, 64, 128, 255, 1, 2, 3, 4]);
/// assert_eq!(parse_images("x", &file).unwrap(), (2, 4, vec![0, 64, 128, 255, 1, 2, 3, 4]));
/// // One pixel short: rejected, not truncated.
/// assert!(matches!(parse_images("x", &file[..file.len() - 1]), Err(IdxError::Length { .. })));
/// ```
pub fn parse_images(file: &str, bytes: &[u8]) -> Result<(usize, usize, Vec<u8>), IdxError> {
    let raw = maybe_gunzip(file, bytes)?;
    let (dims, data) = parse_header(file, &raw, 0x0000_0803, 3)?;
    if dims[1] == 0 || dims[2] == 0 || dims[1] > 4096 || dims[2] > 4096 {
        return Err(IdxError::Dimensions { file: file.into(), rows: dims[1], cols: dims[2] });
    }
    Ok((dims[0] as usize, (dims[1] * dims[2]) as usize, data.to_vec()))
}

/// Parse an idx1 label file; every label must be a digit.
///
/// ```
/// use ridge_rider::problems::data::mnist::{parse_labels, IdxError};
/// let file = [0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9];
/// assert_eq!(parse_labels("y", &file).unwrap(), vec![7, 0, 9]);
/// let bad = [0, 0, 8, 1, 0, 0, 0, 1, 10];
/// assert!(matches!(parse_labels("y", &bad), Err(IdxError::LabelOutOfRange { index: 0, label: 10, .. })));
/// ```
pub fn parse_labels(file: &str, bytes: &[u8]) -> Result<Vec<usize>, IdxError> {
    let raw = maybe_gunzip(file, bytes)?;
    let (_, data) = parse_header(file, &raw, 0x0000_0801, 1)?;
    if let Some((index, &label)) = data.iter().enumerate().find(|(_, &l)| l > 9) {
        return Err(IdxError::LabelOutOfRange { file: file.into(), index, label });
    }
    Ok(data.iter().map(|&l| l as usize).collect())
}

/// Images and labels together, checked for equal counts.
///
/// ```
/// use ridge_rider::problems::data::mnist::{parse_dataset, IdxError};
/// let images = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255];
/// let d = parse_dataset(("x", &images), ("y", &[0, 0, 8, 1, 0, 0, 0, 1, 5])).unwrap();
/// assert_eq!((d.x, d.labels), (vec![0.0, 1.0], vec![5]));
/// let two_labels = [0, 0, 8, 1, 0, 0, 0, 2, 5, 6];
/// assert!(matches!(parse_dataset(("x", &images), ("y", &two_labels)), Err(IdxError::CountMismatch { .. })));
/// ```
pub fn parse_dataset(images: (&str, &[u8]), labels: (&str, &[u8])) -> Result<Dataset, IdxError> {
    let (count, pixels, data) = parse_images(images.0, images.1)?;
    let labels = parse_labels(labels.0, labels.1)?;
    if labels.len() != count {
        return Err(IdxError::CountMismatch { images: count, labels: labels.len() });
    }
    Ok(Dataset { x: data.iter().map(|&p| p as f64 / 255.0).collect(), labels, pixels })
}

/// The 10,000 embedded digits, all of them.
///
/// ```
/// let all = ridge_rider::problems::data::mnist::embedded_all();
/// assert_eq!(all.len(), ridge_rider::problems::data::mnist::EMBEDDED_LEN);
/// assert!(all.labels.iter().all(|&l| l <= 9));
/// ```
pub fn embedded_all() -> Dataset {
    parse_dataset(("embedded images", EMBEDDED_IMAGES), ("embedded labels", EMBEDDED_LABELS))
        .expect("the embedded MNIST files are valid (checked by tests)")
}

/// The embedded digits split 8,000 train / 2,000 test in file order.
///
/// ```
/// let (train, test) = ridge_rider::problems::data::mnist::embedded();
/// assert_eq!(train.len() + test.len(), 10_000);
/// ```
pub fn embedded() -> (Dataset, Dataset) {
    let all = embedded_all();
    (all.slice(0..8000), all.slice(8000..10000))
}

/// `name` or `name.gz` in `dir`; a name that exists as something other than a readable
/// regular file is named as such (never opened: a FIFO would block the read).
fn find(dir: &Path, name: &str) -> Result<PathBuf, IdxError> {
    for candidate in [dir.join(name), dir.join(format!("{name}.gz"))] {
        let Ok(link) = std::fs::symlink_metadata(&candidate) else { continue };
        let file = candidate.display().to_string();
        return match std::fs::metadata(&candidate) {
            Ok(m) if m.is_file() => Ok(candidate),
            Ok(m) if m.is_dir() => Err(IdxError::NotAFile { file, what: "a directory" }),
            Ok(_) => Err(IdxError::NotAFile { file, what: "a FIFO, socket or device" }),
            Err(e) if link.file_type().is_symlink() && e.kind() == std::io::ErrorKind::NotFound => {
                Err(IdxError::NotAFile { file, what: "a symlink to a missing file" })
            }
            Err(error) => Err(IdxError::Io { file, error }),
        };
    }
    Err(IdxError::Missing { dir: dir.display().to_string(), name: name.into() })
}

fn read_pair(dir: &Path, images: &str, labels: &str) -> Result<Dataset, IdxError> {
    let (ip, lp) = (find(dir, images)?, find(dir, labels)?);
    let read = |p: &Path| std::fs::read(p).map_err(|error| IdxError::Io { file: p.display().to_string(), error });
    let (ib, lb) = (read(&ip)?, read(&lp)?);
    let d = parse_dataset((&ip.display().to_string(), &ib), (&lp.display().to_string(), &lb))?;
    if d.is_empty() {
        return Err(IdxError::Empty { file: ip.display().to_string() });
    }
    Ok(d)
}

/// The full MNIST from a directory holding `train-images-idx3-ubyte[.gz]`,
/// `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]` and
/// `t10k-labels-idx1-ubyte[.gz]`: (train, test). A set without images is refused.
///
/// ```
/// use ridge_rider::problems::data::mnist::{load_dir, IdxError};
/// // A missing directory or file is an error naming it.
/// let err = load_dir(std::path::Path::new("/no/such/mnist")).unwrap_err();
/// assert!(err.to_string().contains("/no/such/mnist"));
/// ```
pub fn load_dir(dir: &Path) -> Result<(Dataset, Dataset), IdxError> {
    if !dir.is_dir() {
        return Err(IdxError::Io {
            file: dir.display().to_string(),
            error: std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
        });
    }
    Ok((
        read_pair(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte")?,
        read_pair(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?,
    ))
}
