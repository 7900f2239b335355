//! NumPy's `.npy` format (versions 1–3; `<f8` and `<f4`; C order; 1-D or 2-D), so
//! parameter vectors and eigenvectors move between ridge-rider and Python.
//!
//! ```
//! use ridge_rider::io::npy::{read_npy_bytes, write_npy_bytes, NpyArray};
//! let a = NpyArray { shape: vec![2, 3], data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0] };
//! let bytes = write_npy_bytes(&a);
//! assert_eq!(read_npy_bytes(&bytes).unwrap(), a);
//! ```

use std::fmt;
use std::path::Path;

/// An f64 array with its shape (C order); an example is in the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

/// Why a `.npy` file could not be read or written.
///
/// ```
/// use ridge_rider::io::npy::{read_npy_bytes, NpyError};
/// assert!(matches!(read_npy_bytes(b"not numpy"), Err(NpyError::BadMagic)));
/// ```
#[derive(Debug)]
pub enum NpyError {
    Io(std::io::Error),
    BadMagic,
    UnsupportedVersion(u8),
    /// The header is cut short or is not the dictionary NumPy writes.
    BadHeader(String),
    /// Only little-endian f8 and f4 are read.
    UnsupportedDtype(String),
    FortranOrder,
    /// The data section does not hold shape-many elements.
    Truncated {
        expected: usize,
        got: usize,
    },
}

impl fmt::Display for NpyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NpyError::Io(e) => write!(f, "{e}"),
            NpyError::BadMagic => write!(f, "not a .npy file (bad magic string)"),
            NpyError::UnsupportedVersion(v) => write!(f, "unsupported .npy version {v}"),
            NpyError::BadHeader(s) => write!(f, "malformed .npy header: {s}"),
            NpyError::UnsupportedDtype(s) => write!(f, "unsupported dtype {s} (expected '<f8' or '<f4')"),
            NpyError::FortranOrder => write!(f, "Fortran-ordered arrays are not supported"),
            NpyError::Truncated { expected, got } => {
                write!(f, "data section holds {got} bytes, the header promises {expected}")
            }
        }
    }
}

impl std::error::Error for NpyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NpyError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for NpyError {
    fn from(e: std::io::Error) -> Self {
        NpyError::Io(e)
    }
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Parse a `.npy` file's bytes.
pub fn read_npy_bytes(bytes: &[u8]) -> Result<NpyArray, NpyError> {
    if bytes.len() < 8 || &bytes[..6] != MAGIC {
        return Err(NpyError::BadMagic);
    }
    let (header_len, start) = match bytes[6] {
        1 => {
            let b = bytes.get(8..10).ok_or_else(|| NpyError::BadHeader("cut short".into()))?;
            (u16::from_le_bytes([b[0], b[1]]) as usize, 10usize)
        }
        2 | 3 => {
            let b = bytes.get(8..12).ok_or_else(|| NpyError::BadHeader("cut short".into()))?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        }
        v => return Err(NpyError::UnsupportedVersion(v)),
    };
    let end = start
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| NpyError::BadHeader("cut short".into()))?;
    let header = std::str::from_utf8(&bytes[start..end]).map_err(|_| NpyError::BadHeader("not text".into()))?;
    let descr = dict_value(header, "descr")?;
    let descr = descr.trim().trim_matches(|c| c == '\'' || c == '"');
    let width = match descr {
        "<f8" | "=f8" | "f8" => 8,
        "<f4" | "=f4" | "f4" => 4,
        other => return Err(NpyError::UnsupportedDtype(other.to_string())),
    };
    match dict_value(header, "fortran_order")?.trim() {
        "False" => {}
        "True" => return Err(NpyError::FortranOrder),
        other => return Err(NpyError::BadHeader(format!("fortran_order is {other}"))),
    }
    let shape_text = dict_value(header, "shape")?;
    let inner = shape_text.trim().strip_prefix('(').and_then(|s| s.strip_suffix(')'));
    let inner = inner.ok_or_else(|| NpyError::BadHeader(format!("shape {shape_text}")))?;
    let shape: Vec<usize> = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| NpyError::BadHeader(format!("shape entry {s}"))))
        .collect::<Result<_, _>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| NpyError::BadHeader("shape overflows".into()))?;
    let data = &bytes[end..];
    let expected = count.checked_mul(width).ok_or_else(|| NpyError::BadHeader("shape overflows".into()))?;
    if data.len() != expected {
        return Err(NpyError::Truncated { expected, got: data.len() });
    }
    let values = if width == 8 {
        data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()
    } else {
        data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64).collect()
    };
    Ok(NpyArray { shape, data: values })
}

/// The text after `'key':` up to the next top-level comma or the closing brace.
fn dict_value<'a>(header: &'a str, key: &str) -> Result<&'a str, NpyError> {
    let pat = format!("'{key}':");
    let at = header.find(&pat).ok_or_else(|| NpyError::BadHeader(format!("no '{key}' entry")))?;
    let rest = &header[at + pat.len()..];
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' | '}' if depth == 0 => return Ok(&rest[..i]),
            _ => {}
        }
    }
    Err(NpyError::BadHeader(format!("unterminated '{key}' entry")))
}

/// Serialise as version 1.0, `<f8`, C order.
///
/// ```
/// use ridge_rider::io::npy::{write_npy_bytes, NpyArray};
/// let bytes = write_npy_bytes(&NpyArray { shape: vec![3], data: vec![1.0, 2.0, 3.0] });
/// assert_eq!(&bytes[..6], b"\x93NUMPY");
/// // The data starts on a 64-byte boundary, as NumPy writes it.
/// assert_eq!((bytes.len() - 3 * 8) % 64, 0);
/// ```
pub fn write_npy_bytes(a: &NpyArray) -> Vec<u8> {
    let shape = match a.shape.len() {
        1 => format!("({},)", a.shape[0]),
        _ => format!("({})", a.shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
    // Pad with spaces so the data starts on a 64-byte boundary; end with a newline.
    let unpadded = MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + 8 * a.data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in &a.data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Read a `.npy` file.
///
/// ```
/// use ridge_rider::io::npy::{read_npy, write_npy, NpyArray};
/// let path = std::env::temp_dir().join(format!("rr-npy-doc-{}.npy", std::process::id()));
/// let a = NpyArray { shape: vec![2, 2], data: vec![1.0, -2.0, 0.5, 4.0] };
/// write_npy(&path, &a).unwrap();
/// assert_eq!(read_npy(&path).unwrap(), a);
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn read_npy(path: &Path) -> Result<NpyArray, NpyError> {
    read_npy_bytes(&std::fs::read(path)?)
}

/// Write a `.npy` file atomically (temporary file, then rename); see [`read_npy`].
pub fn write_npy(path: &Path, a: &NpyArray) -> Result<(), NpyError> {
    crate::io::write_atomic(path, &write_npy_bytes(a))?;
    Ok(())
}
