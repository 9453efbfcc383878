#include "CKernels.h"

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef CLONES
#define CLONES
#endif

/* Separate in-place loops: with y == x the compiler's overlap check would
   otherwise send the whole call down its scalar fallback. The same loops are
   defined once for float (f32) and double (f64); `one` is the type's 1. */
#define RECIPROCAL_LOOPS(T, S, one)                                                                   \
    CLONES static void recip_##S##_inplace(T *y, size_t n) {                                          \
        for (size_t i = 0; i < n; i++) y[i] = one / y[i];                                             \
    }                                                                                                 \
    CLONES static void recip_##S(const T *restrict x, T *restrict y, size_t n) {                      \
        for (size_t i = 0; i < n; i++) y[i] = one / x[i];                                             \
    }                                                                                                 \
    void c2_reciprocal_##S(const T *x, T *y, size_t n) {                                              \
        if (x == y) recip_##S##_inplace(y, n); else recip_##S(x, y, n);                               \
    }                                                                                                 \
    CLONES static void rgrad_##S##_into_dy(const T *restrict y, T *restrict dy, size_t n) {           \
        for (size_t i = 0; i < n; i++) dy[i] = -dy[i] * y[i] * y[i];                                  \
    }                                                                                                 \
    CLONES static void rgrad_##S##_into_y(T *restrict y, const T *restrict dy, size_t n) {            \
        for (size_t i = 0; i < n; i++) y[i] = -dy[i] * y[i] * y[i];                                   \
    }                                                                                                 \
    CLONES static void rgrad_##S(const T *restrict y, const T *restrict dy, T *restrict dx, size_t n) { \
        for (size_t i = 0; i < n; i++) dx[i] = -dy[i] * y[i] * y[i];                                  \
    }                                                                                                 \
    void c2_reciprocal_gradient_##S(const T *y, const T *dy, T *dx, size_t n) {                       \
        if (dx == dy) rgrad_##S##_into_dy(y, dx, n);                                                  \
        else if (dx == y) rgrad_##S##_into_y(dx, dy, n);                                              \
        else rgrad_##S(y, dy, dx, n);                                                                 \
    }

RECIPROCAL_LOOPS(float, f32, 1.0f)
RECIPROCAL_LOOPS(double, f64, 1.0)
