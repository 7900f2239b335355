//! Reused `f64` buffers. Every sweep of a large loss needs the same few dozen
//! tensors-worth of memory; allocating them afresh each time costs page faults and
//! kernel zero-fills (and TLB shootdowns when freed) that rival the arithmetic. Tape
//! nodes, tangents and adjoints take their buffers here and give them back when they
//! are dropped, so the next sweep on this thread reuses warm memory.
//!
//! Each thread keeps its own small free list (no locking); a buffer may be given back
//! on another thread than the one that took it.

use std::cell::RefCell;

/// Buffers shorter than this come from the allocator directly: it serves them from its
/// own free lists without touching fresh pages.
const MIN_POOLED: usize = 2048;
/// At most this many buffers are kept per thread.
const MAX_BUFFERS: usize = 64;
/// At most this many `f64`s are kept per thread (64 MiB): what a sweep of the MNIST MLP
/// reuses, without holding much more than it.
const MAX_ELEMENTS: usize = 1 << 23;

struct Pool {
    free: Vec<Vec<f64>>,
    elements: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { free: Vec::new(), elements: 0 }) };
}

/// A buffer of capacity at least `n` from the pool (the smallest that fits, and not
/// more than twice as large, so that big buffers are not spent on small requests and
/// the pool does not grow), or a new one; its length is unspecified.
fn take(n: usize) -> Vec<f64> {
    if n < MIN_POOLED {
        return Vec::with_capacity(n);
    }
    let found = POOL
        .try_with(|p| {
            let mut p = p.borrow_mut();
            let best = p
                .free
                .iter()
                .enumerate()
                .filter(|(_, b)| b.capacity() >= n && b.capacity() <= 2 * n)
                .min_by_key(|(_, b)| b.capacity())
                .map(|(i, _)| i)?;
            let buf = p.free.swap_remove(best);
            p.elements -= buf.capacity();
            Some(buf)
        })
        .ok()
        .flatten();
    found.unwrap_or_else(|| Vec::with_capacity(n))
}

/// `n` zeros.
pub(crate) fn zeroed(n: usize) -> Vec<f64> {
    let mut v = take(n);
    v.clear();
    v.resize(n, 0.0);
    v
}

/// A buffer of length `n` whose contents are unspecified (but initialised): for
/// outputs that are overwritten in full before they are read.
pub(crate) fn scratch(n: usize) -> Vec<f64> {
    let mut v = take(n);
    if v.len() > n {
        v.truncate(n);
    } else {
        v.resize(n, 0.0);
    }
    v
}

/// A copy of `src` in a pooled buffer.
pub(crate) fn copy_of(src: &[f64]) -> Vec<f64> {
    let mut v = take(src.len());
    v.clear();
    v.extend_from_slice(src);
    v
}

/// Return a buffer for reuse (dropped instead when the pool is full).
pub(crate) fn give(v: Vec<f64>) {
    let cap = v.capacity();
    if cap < MIN_POOLED {
        return;
    }
    let _ = POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        if p.free.len() < MAX_BUFFERS && p.elements + cap <= MAX_ELEMENTS {
            p.elements += cap;
            p.free.push(v);
        }
    });
}

/// Return every buffer of a list of optional buffers.
pub(crate) fn give_all(list: &mut [Option<Vec<f64>>]) {
    for b in list.iter_mut() {
        if let Some(v) = b.take() {
            give(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reused_buffers_are_zeroed_or_sized_as_asked() {
        let mut a = zeroed(5000);
        a.iter_mut().for_each(|x| *x = 7.0);
        let ptr = a.as_ptr();
        give(a);
        let b = zeroed(4000);
        assert_eq!(b.as_ptr(), ptr, "the freed buffer is reused");
        assert_eq!(b.len(), 4000);
        assert!(b.iter().all(|&x| x == 0.0));
        give(b);
        let c = scratch(4500);
        assert_eq!(c.len(), 4500);
        let d = copy_of(&[1.0, 2.0]);
        assert_eq!(d, vec![1.0, 2.0]);
    }
}
