//! One run-time choice of instruction set for the hot loops. A loop body written once
//! (`#[inline(always)]`) is compiled again inside functions that enable AVX-512 or
//! AVX2 (both with FMA), and the widest the CPU offers is called. Bodies use only
//! element-wise operations and `mul_add`, so every instruction set gives the same bits.

/// `dispatch!(body(arg: Type, …) -> Ret)` calls `body` compiled for the best
/// instruction set available; use it as a function's whole body.
macro_rules! dispatch {
    ($body:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)?) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f,fma")]
            unsafe fn wide($($arg: $ty),*) $(-> $ret)? {
                $body($($arg),*)
            }
            #[target_feature(enable = "avx2,fma")]
            unsafe fn narrow($($arg: $ty),*) $(-> $ret)? {
                $body($($arg),*)
            }
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") && has!("fma") {
                // SAFETY: the CPU supports the instructions `wide` was compiled for.
                return unsafe { wide($($arg),*) };
            }
            if has!("avx2") && has!("fma") {
                // SAFETY: as above, for `narrow`.
                return unsafe { narrow($($arg),*) };
            }
        }
        $body($($arg),*)
    }};
}
pub(crate) use dispatch;
