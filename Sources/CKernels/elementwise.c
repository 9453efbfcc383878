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
   otherwise send the whole call down its scalar fallback. */

CLONES static void recip_f32_inplace(float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 1.0f / y[i];
}

CLONES static void recip_f32(const float *restrict x, float *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 1.0f / x[i];
}

void c2_reciprocal_f32(const float *x, float *y, size_t n) {
    if (x == y) recip_f32_inplace(y, n); else recip_f32(x, y, n);
}

CLONES static void recip_f64_inplace(double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 1.0 / y[i];
}

CLONES static void recip_f64(const double *restrict x, double *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 1.0 / x[i];
}

void c2_reciprocal_f64(const double *x, double *y, size_t n) {
    if (x == y) recip_f64_inplace(y, n); else recip_f64(x, y, n);
}

CLONES static void rgrad_f32_into_dy(const float *restrict y, float *restrict dy, size_t n) {
    for (size_t i = 0; i < n; i++) dy[i] = -dy[i] * y[i] * y[i];
}

CLONES static void rgrad_f32_into_y(float *restrict y, const float *restrict dy, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = -dy[i] * y[i] * y[i];
}

CLONES static void rgrad_f32(const float *restrict y, const float *restrict dy, float *restrict dx, size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = -dy[i] * y[i] * y[i];
}

void c2_reciprocal_gradient_f32(const float *y, const float *dy, float *dx, size_t n) {
    if (dx == dy) rgrad_f32_into_dy(y, dx, n);
    else if (dx == y) rgrad_f32_into_y(dx, dy, n);
    else rgrad_f32(y, dy, dx, n);
}

CLONES static void rgrad_f64_into_dy(const double *restrict y, double *restrict dy, size_t n) {
    for (size_t i = 0; i < n; i++) dy[i] = -dy[i] * y[i] * y[i];
}

CLONES static void rgrad_f64_into_y(double *restrict y, const double *restrict dy, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = -dy[i] * y[i] * y[i];
}

CLONES static void rgrad_f64(const double *restrict y, const double *restrict dy, double *restrict dx, size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = -dy[i] * y[i] * y[i];
}

void c2_reciprocal_gradient_f64(const double *y, const double *dy, double *dx, size_t n) {
    if (dx == dy) rgrad_f64_into_dy(y, dx, n);
    else if (dx == y) rgrad_f64_into_y(dx, dy, n);
    else rgrad_f64(y, dy, dx, n);
}
