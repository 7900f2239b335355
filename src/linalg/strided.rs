//! Strided matrix views into flat buffers and a bounds-checked gemm over them: the
//! blocked stages of the dense eigensolver and the Lanczos restart address sub-blocks
//! and transposes without copying.

/// An r × c block of a flat buffer: element (i, j) sits at `off + i·rs + j·cs`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View {
    pub rows: usize,
    pub cols: usize,
    pub off: usize,
    pub rs: usize,
    pub cs: usize,
}

impl View {
    /// A column-major block with leading dimension `ld`, starting at `off`.
    pub fn col_major(rows: usize, cols: usize, off: usize, ld: usize) -> View {
        View { rows, cols, off, rs: 1, cs: ld }
    }
    /// A row-major block with leading dimension `ld`, starting at `off`.
    pub fn row_major(rows: usize, cols: usize, off: usize, ld: usize) -> View {
        View { rows, cols, off, rs: ld, cs: 1 }
    }
    /// The transpose, as a view of the same memory.
    pub fn t(self) -> View {
        View { rows: self.cols, cols: self.rows, off: self.off, rs: self.cs, cs: self.rs }
    }
    /// One past the largest index the view touches (0 if it is empty).
    fn end(&self) -> usize {
        if self.rows == 0 || self.cols == 0 {
            0
        } else {
            self.off + (self.rows - 1) * self.rs + (self.cols - 1) * self.cs + 1
        }
    }
}

/// c ← α·a·b + β·c over views. matrixmultiply splits only the output between its
/// threads, never the k sum, so the result does not depend on the thread count.
pub(crate) fn gemm(
    alpha: f64,
    (a, va): (&[f64], View),
    (b, vb): (&[f64], View),
    beta: f64,
    (c, vc): (&mut [f64], View),
) {
    assert!(va.rows == vc.rows && vb.cols == vc.cols && va.cols == vb.rows, "gemm: shapes differ");
    assert!(va.end() <= a.len() && vb.end() <= b.len() && vc.end() <= c.len(), "gemm: view out of bounds");
    if vc.rows == 0 || vc.cols == 0 {
        return;
    }
    if va.cols == 0 {
        for i in 0..vc.rows {
            for j in 0..vc.cols {
                let x = &mut c[vc.off + i * vc.rs + j * vc.cs];
                *x = if beta == 0.0 { 0.0 } else { beta * *x };
            }
        }
        return;
    }
    let s = |x: usize| x as isize;
    // SAFETY: the assertion checked that every element each view addresses lies inside
    // its buffer; `c` is a distinct mutable borrow, so it aliases neither `a` nor `b`.
    unsafe {
        matrixmultiply::dgemm(
            va.rows,
            va.cols,
            vb.cols,
            alpha,
            a.as_ptr().add(va.off),
            s(va.rs),
            s(va.cs),
            b.as_ptr().add(vb.off),
            s(vb.rs),
            s(vb.cs),
            beta,
            c.as_mut_ptr().add(vc.off),
            s(vc.rs),
            s(vc.cs),
        );
    }
}
