//! Reused `f64` buffers for repeated sweeps. Many HVPs at one θ (Lanczos, eigen-loss
//! steps, K directions at once) run the same sweep again and again; allocating its
//! tensors afresh each time costs page faults, kernel zero-fills and TLB shootdowns
//! that rival the arithmetic once the buffers are large. A [`Pool`] owned by the
//! recording ([`HessianAt`](super::HessianAt)) keeps what one sweep gave back for the
//! next, and is freed with it, so nothing is held past its use.
//!
//! Tape operations take their buffers through [`zeroed`], [`scratch`] and [`copy_of`]
//! and return them through [`give`]: inside [`scoped`] these use the pool, outside it
//! they are plain allocations. Only buffers taken here may be given back, or the pool
//! would grow by every outside buffer given to it.

use std::cell::Cell;
use std::sync::Mutex;

/// Buffers shorter than this come from the allocator directly: it serves them from its
/// own free lists without touching fresh pages.
const MIN_POOLED: usize = 2048;
/// At most this many buffers are kept.
const MAX_BUFFERS: usize = 256;
/// At most this many `f64`s are kept by a recording's pool (512 MiB; a sweep's own
/// working set, which the next sweep takes again).
const MAX_ELEMENTS: usize = 1 << 26;
/// At most this many `f64`s are kept by a thread between one-shot evaluations (128 MiB:
/// the working set of a fresh HVP on a 2,236-example MNIST batch is about a quarter).
const MAX_FRESH_ELEMENTS: usize = 1 << 24;

/// Free buffers shared by the threads that sweep one recording.
pub(crate) struct Pool {
    free: Mutex<Free>,
    limit: usize,
}

impl Default for Pool {
    fn default() -> Self {
        Pool::with_limit(MAX_ELEMENTS)
    }
}

impl Pool {
    const fn with_limit(limit: usize) -> Self {
        Pool { free: Mutex::new(Free { buffers: Vec::new(), elements: 0 }), limit }
    }
}

struct Free {
    buffers: Vec<Vec<f64>>,
    elements: usize,
}

thread_local! {
    /// The pool of the sweep this thread is running, if any.
    static CURRENT: Cell<*const Pool> = const { Cell::new(std::ptr::null()) };
}

/// Run `f` with `pool` serving this thread's buffers.
pub(crate) fn scoped<R>(pool: &Pool, f: impl FnOnce() -> R) -> R {
    /// Restores the previous pool, on return and on unwinding alike.
    struct Restore(*const Pool);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(pool as *const Pool)));
    f()
}

thread_local! {
    /// The pool of this thread's one-shot evaluations ([`fresh`]).
    static FRESH: Pool = const { Pool::with_limit(MAX_FRESH_ELEMENTS) };
}

/// Free the buffers this thread keeps between one-shot evaluations.
pub(crate) fn release_fresh() {
    FRESH.with(|pool| {
        if let Ok(mut free) = pool.free.lock() {
            *free = Free { buffers: Vec::new(), elements: 0 };
        }
    });
}

/// Run `f` with this thread's own pool: one-shot evaluations (a gradient, a fresh HVP)
/// build and drop a whole tape each call, and reusing the last call's buffers spares
/// the page faults of mapping them anew.
pub(crate) fn fresh<R>(f: impl FnOnce() -> R) -> R {
    FRESH.with(|pool| scoped(pool, f))
}

/// Apply `f` to the current pool, if this thread is inside [`scoped`].
fn with_current<R>(f: impl FnOnce(&Pool) -> R) -> Option<R> {
    let ptr = CURRENT.with(|c| c.get());
    // SAFETY: `scoped` sets the pointer only while it borrows the pool, and resets it
    // before returning (or unwinding), so a non-null pointer always points to a live pool.
    (!ptr.is_null()).then(|| f(unsafe { &*ptr }))
}

/// A buffer of capacity at least `n` (the smallest free one that fits, and not more than
/// twice as large, so that big buffers are not spent on small requests), or a new one;
/// its length is unspecified.
fn take(n: usize) -> Vec<f64> {
    if n < MIN_POOLED {
        return Vec::with_capacity(n);
    }
    let found = with_current(|pool| {
        let mut free = pool.free.lock().ok()?;
        let best = free
            .buffers
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= n && b.capacity() <= 2 * n)
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, _)| i)?;
        let buf = free.buffers.swap_remove(best);
        free.elements -= buf.capacity();
        Some(buf)
    })
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

/// Return a buffer for reuse (dropped instead outside a pool, or when it is full).
pub(crate) fn give(v: Vec<f64>) {
    let cap = v.capacity();
    if cap < MIN_POOLED {
        return;
    }
    with_current(move |pool| {
        if let Ok(mut free) = pool.free.lock() {
            if free.buffers.len() < MAX_BUFFERS && free.elements + cap <= pool.limit {
                free.elements += cap;
                free.buffers.push(v);
            }
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
    fn a_scoped_pool_reuses_what_it_was_given_and_nothing_leaks_out() {
        let pool = Pool::default();
        let (ptr, reused) = scoped(&pool, || {
            let mut a = zeroed(5000);
            a.iter_mut().for_each(|x| *x = 7.0);
            let ptr = a.as_ptr();
            give(a);
            let b = zeroed(4000);
            assert_eq!(b.len(), 4000);
            assert!(b.iter().all(|&x| x == 0.0));
            (ptr, b.as_ptr())
        });
        assert_eq!(ptr, reused, "the freed buffer is reused");
        // Outside the scope nothing is pooled: a given buffer is dropped.
        give(vec![1.0; 5000]);
        assert_eq!(scratch(4500).len(), 4500);
        assert_eq!(copy_of(&[1.0, 2.0]), vec![1.0, 2.0]);
        assert!(pool.free.lock().unwrap().buffers.is_empty());
    }

    #[test]
    fn one_shot_calls_on_a_thread_reuse_its_buffers_until_released() {
        std::thread::spawn(|| {
            let address = || {
                fresh(|| {
                    let a = zeroed(1 << 20);
                    let at = a.as_ptr() as usize;
                    give(a);
                    at
                })
            };
            assert_eq!(address(), address(), "the next call reuses the buffer");
            let kept = |f: &Pool| f.free.lock().unwrap().elements;
            assert_eq!(FRESH.with(kept), 1 << 20);
            // The thread's pool keeps at most its limit.
            fresh(|| (0..20).map(|_| zeroed(1 << 20)).collect::<Vec<_>>().into_iter().for_each(give));
            assert_eq!(FRESH.with(kept), MAX_FRESH_ELEMENTS);
            release_fresh();
            assert_eq!(FRESH.with(kept), 0);
        })
        .join()
        .unwrap();
    }
}
