//! Sparse data on the tape: a constant whose entries are mostly zero (MNIST pixels are
//! 81% zeros) is kept in compressed sparse rows as well as densely, and its products
//! with dense tensors (value, tangent and adjoint sweeps alike) skip the zeros.
//!
//! The dense factor must be finite: a row of a block multiplies its neighbours'
//! columns by an exact zero, which turns an ∞ there into NaN (the dense product gives
//! NaN for any ∞ it meets, so both are undefined there, but differently).
//!
//! Each output row is computed by one thread, in the stored order of its nonzeros, so
//! the result is the same at any thread count. Every update is one fused multiply-add
//! (`f64::mul_add`, exact on every CPU), so the SIMD width the CPU offers does not
//! change a bit either.

use rayon::prelude::*;
use std::sync::Arc;

/// Below this many stored entries a product runs on one thread.
const PARALLEL_WORK: usize = 1 << 16;

/// A sparse `rows × cols` matrix in compressed sparse rows, with its transpose (so
/// that both `S·B` and `Sᵀ·G` run row by row over contiguous outputs).
#[derive(Debug)]
pub(crate) struct Csr {
    rows: usize,
    cols: usize,
    row_start: Vec<usize>,
    col: Vec<u32>,
    value: Vec<f64>,
    /// The same matrix transposed (`cols × rows`), built with it.
    transpose: Option<Box<Csr>>,
    /// Rows taken [`R`] at a time: each column stored in any of them, with all R
    /// entries (some may be zero), so a row of the dense factor loaded once serves R
    /// output rows. MNIST rows (and pixel columns) overlap enough that this halves the
    /// loads, which bound the product. A zero entry adds exactly zero.
    blocks: RowBlocks,
}

/// Rows per block of [`Csr::blocks`] (four rows of 32-column strips fill 16 registers).
const R: usize = 4;

#[derive(Debug, Default)]
struct RowBlocks {
    /// Entries of block p: `start[p]..start[p + 1]`.
    start: Vec<usize>,
    col: Vec<u32>,
    value: Vec<[f64; R]>,
}

impl RowBlocks {
    /// Merge the sorted column lists of each block of R rows.
    fn of(row_start: &[usize], col: &[u32], value: &[f64]) -> RowBlocks {
        let rows = row_start.len() - 1;
        let mut p = RowBlocks { start: vec![0], ..Default::default() };
        for blk in 0..rows / R {
            let mut next: [usize; R] = std::array::from_fn(|q| row_start[blk * R + q]);
            let end: [usize; R] = std::array::from_fn(|q| row_start[blk * R + q + 1]);
            loop {
                let c = (0..R).filter(|&q| next[q] < end[q]).map(|q| col[next[q]]).min();
                let Some(c) = c else { break };
                let mut v = [0.0; R];
                for q in 0..R {
                    if next[q] < end[q] && col[next[q]] == c {
                        v[q] = value[next[q]];
                        next[q] += 1;
                    }
                }
                p.col.push(c);
                p.value.push(v);
            }
            p.start.push(p.col.len());
        }
        p
    }
}

impl Csr {
    /// From a dense row-major matrix; `None` when `cols` does not fit the index type.
    pub(crate) fn from_dense(rows: usize, cols: usize, dense: &[f64]) -> Option<Csr> {
        let mut m = Csr::rows_of(rows, cols, dense)?;
        let t = m.transposed();
        m.transpose = Some(Box::new(t));
        Some(m)
    }

    fn rows_of(rows: usize, cols: usize, dense: &[f64]) -> Option<Csr> {
        if u32::try_from(cols).is_err() || u32::try_from(rows).is_err() {
            return None;
        }
        let nnz = dense.iter().filter(|&&x| x != 0.0).count();
        let (mut row_start, mut col, mut value) =
            (Vec::with_capacity(rows + 1), Vec::with_capacity(nnz), Vec::with_capacity(nnz));
        row_start.push(0);
        for r in 0..rows {
            for (c, &x) in dense[r * cols..(r + 1) * cols].iter().enumerate() {
                if x != 0.0 {
                    col.push(c as u32);
                    value.push(x);
                }
            }
            row_start.push(col.len());
        }
        let blocks = RowBlocks::of(&row_start, &col, &value);
        Some(Csr { rows, cols, row_start, col, value, transpose: None, blocks })
    }

    /// The transpose by a counting sort over columns (rows stay in increasing order).
    fn transposed(&self) -> Csr {
        let mut count = vec![0usize; self.cols + 1];
        for &c in &self.col {
            count[c as usize + 1] += 1;
        }
        for c in 0..self.cols {
            count[c + 1] += count[c];
        }
        let row_start = count.clone();
        let mut next = count;
        let (mut col, mut value) = (vec![0u32; self.col.len()], vec![0.0; self.value.len()]);
        for r in 0..self.rows {
            for i in self.row_start[r]..self.row_start[r + 1] {
                let c = self.col[i] as usize;
                col[next[c]] = r as u32;
                value[next[c]] = self.value[i];
                next[c] += 1;
            }
        }
        let blocks = RowBlocks::of(&row_start, &col, &value);
        Csr { rows: self.cols, cols: self.rows, row_start, col, value, transpose: None, blocks }
    }

    /// Stored nonzeros.
    pub(crate) fn nnz(&self) -> usize {
        self.value.len()
    }

    /// c (rows × n) ← S·b (b: cols × n), or c += S·b with `accumulate`.
    pub(crate) fn mul(&self, b: &[f64], n: usize, c: &mut [f64], accumulate: bool) {
        assert!(b.len() >= self.cols * n && c.len() >= self.rows * n, "sparse mul: buffer too small");
        rows_times_dense(self, b, n, &mut c[..self.rows * n], accumulate);
    }

    /// c (cols × n) += Sᵀ·g (g: rows × n).
    pub(crate) fn transpose_mul_add(&self, g: &[f64], n: usize, c: &mut [f64]) {
        let t = self.transpose.as_deref().expect("built with its transpose");
        assert!(g.len() >= self.rows * n && c.len() >= self.cols * n, "sparse transpose mul: buffer too small");
        rows_times_dense(t, g, n, &mut c[..self.cols * n], true);
    }
}

/// Out row r = Σ over the nonzeros (k, s) of row r of `m`: s · b row k.
fn rows_times_dense(m: &Csr, b: &[f64], n: usize, c: &mut [f64], accumulate: bool) {
    if n == 0 || m.rows == 0 {
        return;
    }
    let run = |(r0, block): (usize, &mut [f64])| {
        // r0 is a multiple of R: whole blocks first, then the last single rows.
        let whole = (m.rows / R * R).saturating_sub(r0).min(block.len() / n) / R * R;
        let (blocks, rest) = block.split_at_mut(whole * n);
        for (i, outs) in blocks.chunks_exact_mut(R * n).enumerate() {
            let p = r0 / R + i;
            let e = m.blocks.start[p]..m.blocks.start[p + 1];
            let mut it = outs.chunks_exact_mut(n);
            let out: [&mut [f64]; R] = std::array::from_fn(|_| it.next().expect("R rows"));
            simd::block(&m.blocks.col[e.clone()], &m.blocks.value[e], b, n, out, accumulate);
        }
        for (dr, out) in rest.chunks_exact_mut(n).enumerate() {
            let r = r0 + whole + dr;
            let e = m.row_start[r]..m.row_start[r + 1];
            simd::row(&m.col[e.clone()], &m.value[e], b, n, out, accumulate);
        }
    };
    if m.nnz() * n < PARALLEL_WORK {
        run((0, c));
        return;
    }
    // Blocks of an even number of rows of about equal work; each row is summed by one
    // thread in order.
    let rows_per_block = (PARALLEL_WORK / (n * (m.nnz() / m.rows).max(1))).clamp(R, m.rows.max(R)) / R * R;
    c.par_chunks_mut(rows_per_block * n).enumerate().map(|(i, blk)| (i * rows_per_block, blk)).for_each(run);
}

/// The inner loop, compiled once per instruction set and chosen at run time.
mod simd {
    use super::R;

    /// Columns kept in registers at once (eight AVX-512 vectors).
    const WIDTH: usize = 64;

    /// out += Σ s·b[k, c0..c0 + W] over the row's nonzeros, for one `W`-column strip
    /// held in registers.
    #[inline(always)]
    fn strip<const W: usize>(cols: &[u32], vals: &[f64], b: &[f64], n: usize, c0: usize, out: &mut [f64]) {
        let mut acc = [0.0; W];
        acc.copy_from_slice(&out[c0..c0 + W]);
        for (&k, &s) in cols.iter().zip(vals) {
            let src = &b[k as usize * n + c0..k as usize * n + c0 + W];
            for j in 0..W {
                acc[j] = s.mul_add(src[j], acc[j]);
            }
        }
        out[c0..c0 + W].copy_from_slice(&acc);
    }

    #[inline(always)]
    fn row_body(cols: &[u32], vals: &[f64], b: &[f64], n: usize, out: &mut [f64], accumulate: bool) {
        if !accumulate {
            out.fill(0.0);
        }
        let mut c0 = 0;
        while c0 + WIDTH <= n {
            strip::<WIDTH>(cols, vals, b, n, c0, out);
            c0 += WIDTH;
        }
        while c0 + 8 <= n {
            strip::<8>(cols, vals, b, n, c0, out);
            c0 += 8;
        }
        for c in c0..n {
            let mut acc = out[c];
            for (&k, &s) in cols.iter().zip(vals) {
                acc = s.mul_add(b[k as usize * n + c], acc);
            }
            out[c] = acc;
        }
    }

    /// R output rows at once, one strip of `W` columns.
    #[inline(always)]
    fn block_strip<const W: usize>(
        cols: &[u32],
        vals: &[[f64; R]],
        b: &[f64],
        n: usize,
        c0: usize,
        out: &mut [&mut [f64]; R],
    ) {
        let mut acc = [[0.0; W]; R];
        for q in 0..R {
            acc[q].copy_from_slice(&out[q][c0..c0 + W]);
        }
        for (&k, sv) in cols.iter().zip(vals) {
            let src = &b[k as usize * n + c0..k as usize * n + c0 + W];
            for q in 0..R {
                for j in 0..W {
                    acc[q][j] = sv[q].mul_add(src[j], acc[q][j]);
                }
            }
        }
        for q in 0..R {
            out[q][c0..c0 + W].copy_from_slice(&acc[q]);
        }
    }

    #[inline(always)]
    fn block_body(cols: &[u32], vals: &[[f64; R]], b: &[f64], n: usize, mut out: [&mut [f64]; R], accumulate: bool) {
        if !accumulate {
            out.iter_mut().for_each(|o| o.fill(0.0));
        }
        let mut c0 = 0;
        while c0 + 32 <= n {
            block_strip::<32>(cols, vals, b, n, c0, &mut out);
            c0 += 32;
        }
        while c0 + 8 <= n {
            block_strip::<8>(cols, vals, b, n, c0, &mut out);
            c0 += 8;
        }
        for c in c0..n {
            for q in 0..R {
                let mut x = out[q][c];
                for (&k, sv) in cols.iter().zip(vals) {
                    x = sv[q].mul_add(b[k as usize * n + c], x);
                }
                out[q][c] = x;
            }
        }
    }

    pub(super) fn block(cols: &[u32], vals: &[[f64; R]], b: &[f64], n: usize, out: [&mut [f64]; R], accumulate: bool) {
        crate::kernels::simd::dispatch!(block_body(
            cols: &[u32],
            vals: &[[f64; R]],
            b: &[f64],
            n: usize,
            out: [&mut [f64]; R],
            accumulate: bool,
        ))
    }

    pub(super) fn row(cols: &[u32], vals: &[f64], b: &[f64], n: usize, out: &mut [f64], accumulate: bool) {
        crate::kernels::simd::dispatch!(row_body(
            cols: &[u32],
            vals: &[f64],
            b: &[f64],
            n: usize,
            out: &mut [f64],
            accumulate: bool,
        ))
    }
}

/// How a [`Constant`](super::Constant) stores its entries.
///
/// ```
/// use ridge_rider::ad::{Constant, Storage};
/// let eye = vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
/// assert!(!Constant::with_storage(3, 3, eye.clone(), Storage::Auto).unwrap().is_sparse()); // too small to pay
/// assert!(Constant::with_storage(3, 3, eye, Storage::Sparse).unwrap().is_sparse());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Storage {
    /// Sparse when at most [`SPARSE_DENSITY`] of at least [`SPARSE_MIN_LEN`] entries are
    /// nonzero.
    #[default]
    Auto,
    /// Always dense (gemm).
    Dense,
    /// Always sparse (when it has any entries).
    Sparse,
}

/// [`Storage::Auto`] picks sparse storage at or below this fraction of nonzeros.
pub const SPARSE_DENSITY: f64 = 0.3;
/// [`Storage::Auto`] keeps smaller constants dense: their products are cheap anyway.
pub const SPARSE_MIN_LEN: usize = 1 << 14;

/// Shared buffers seen lately and the storage chosen for them, so that a loss which
/// hands the tape the same `Arc` at every evaluation pays for the density scan (and
/// the CSR) once. A cached buffer cannot change: `Arc::get_mut` refuses while the
/// cache holds a `Weak` to it.
type Seen = Vec<(std::sync::Weak<Vec<f64>>, (usize, usize), Option<Arc<Csr>>)>;
static SEEN: std::sync::Mutex<Seen> = std::sync::Mutex::new(Vec::new());
/// Entries kept in [`SEEN`]: each holds a CSR (with its transpose and row blocks, about
/// four times the nonzeros), so a few; with 16, Colored MNIST's runs kept 230 MB more.
const SEEN_CAPACITY: usize = 4;

/// [`Storage::Auto`]'s choice for a shared buffer, from [`SEEN`] when it was seen. A
/// buffer no one else holds (a `Vec` handed over) is not remembered: it dies with the
/// tape.
pub(crate) fn choose_shared(rows: usize, cols: usize, values: &Arc<Vec<f64>>) -> Option<Arc<Csr>> {
    if rows * cols < SPARSE_MIN_LEN {
        return None;
    }
    if Arc::strong_count(values) == 1 {
        return choose(rows, cols, values, Storage::Auto);
    }
    let Ok(mut seen) = SEEN.lock() else {
        return choose(rows, cols, values, Storage::Auto);
    };
    seen.retain(|(w, _, _)| w.strong_count() > 0);
    let ptr = Arc::as_ptr(values);
    if let Some((_, _, csr)) = seen.iter().find(|(w, shape, _)| std::ptr::eq(w.as_ptr(), ptr) && *shape == (rows, cols))
    {
        return csr.clone();
    }
    drop(seen);
    let csr = choose(rows, cols, values, Storage::Auto);
    if let Ok(mut seen) = SEEN.lock() {
        if seen.len() >= SEEN_CAPACITY {
            seen.remove(0);
        }
        seen.push((Arc::downgrade(values), (rows, cols), csr.clone()));
    }
    csr
}

/// The sparse form that `storage` asks for, if any.
pub(crate) fn choose(rows: usize, cols: usize, values: &[f64], storage: Storage) -> Option<Arc<Csr>> {
    let len = rows * cols;
    let wanted = match storage {
        Storage::Dense => false,
        Storage::Sparse => len > 0,
        Storage::Auto => {
            len >= SPARSE_MIN_LEN
                && (values.iter().filter(|&&x| x != 0.0).count() as f64) <= SPARSE_DENSITY * len as f64
        }
    };
    if !wanted {
        return None;
    }
    Csr::from_dense(rows, cols, values).map(Arc::new)
}
