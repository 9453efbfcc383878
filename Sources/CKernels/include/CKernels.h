#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>

/*
 * Element-wise loops compiled once per instruction set (AVX-512, AVX2, baseline)
 * and chosen at load time from the CPU's features (function multiversioning).
 * Swift's code generation targets baseline x86-64 (SSE2) unless the package
 * uses unsafe compiler flags, and SSE2's 4-wide division caps 1/x at about
 * 3.9 G elements/s here; these clones run at memory speed.
 *
 * Every function tolerates the output being the same buffer as an input.
 */

void c2_reciprocal_f32(const float *x, float *y, size_t n);
void c2_reciprocal_f64(const double *x, double *y, size_t n);
/* dx = -dy * y * y */
void c2_reciprocal_gradient_f32(const float *y, const float *dy, float *dx, size_t n);
void c2_reciprocal_gradient_f64(const double *y, const double *dy, double *dx, size_t n);

/* Matrix products with implicit im2col and fused bias/Relu (gemm.c). */
#include "CKernelsGEMM.h"

/* The worker pool behind Parallel (pool.c). */
#include "CKernelsPool.h"

/* 3×3 stride-2 max pooling rows (maxpool.c). */
#include "CKernelsPooling.h"

#endif
