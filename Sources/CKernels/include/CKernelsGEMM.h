#ifndef CKERNELS_GEMM_H
#define CKERNELS_GEMM_H
#include <stddef.h>

/*
 * Single-precision matrix products for inference, with the operand B read
 * through a "source" that can unfold an image on the fly (implicit im2col),
 * and the bias and a Relu applied while the result is still in registers.
 *
 *   C[m][n] = relu?( bias + sum_k A[m][k] * B[k][n] )        (m < M, n in [n_begin, n_end))
 *
 * A is read in place (row-major, leading dimension lda): no packing. B is
 * copied, KC rows × 32 columns at a time, into a panel in `scratch` (the
 * calling thread's own memory, c2_gemm_scratch_floats() floats), laid out for
 * the micro-kernel: an 8×32 register tile with AVX-512 (zmm), 4×16 sub-tiles
 * with AVX2+FMA, plain C elsewhere; the variant is chosen from the CPU's
 * features at run time. The summation order of an element depends only on K
 * (blocks of KC rows, in order), never on the column range or the thread, so
 * splitting the columns over threads gives bit-identical results.
 *
 * The Relu is max(0, x) with x kept when it is NaN or -0, exactly like
 * `x < 0 ? 0 : x`.
 */

/* Where B[k][n] comes from. */
enum {
    /* B[k][n] = b[k * ldb + n] */
    C2_B_ROW_MAJOR = 0,
    /* B[k][n] = b[n * ldb + k] (B stored transposed, e.g. FC weights) */
    C2_B_TRANSPOSED = 1,
    /* B = im2col of one 2-D image (channels × in_h × in_w at b): row k is
       (channel, kh, kw), column n is the output position (oh, ow) = (n / out_w, n % out_w). */
    C2_B_IMAGE = 2,
};

/* What C starts from. */
enum {
    C2_INIT_ZERO = 0,
    /* bias[m] */
    C2_INIT_ROW_BIAS = 1,
    /* bias[n] */
    C2_INIT_COLUMN_BIAS = 2,
    /* C's current contents (C += A·B) */
    C2_INIT_ACCUMULATE = 3,
};

typedef struct c2_gemm_desc {
    int m, n, k;
    const float *a;
    ptrdiff_t lda;
    int b_kind;
    const float *b;
    ptrdiff_t ldb;
    /* C2_B_IMAGE geometry (ignored otherwise). */
    int channels, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_w;
    float *c;
    ptrdiff_t ldc;
    int start; /* C2_INIT_* */
    const float *bias;
    int relu;
} c2_gemm_desc;

/* Floats of scratch one thread needs for c2_gemm_columns. */
size_t c2_gemm_scratch_floats(void);

/* Computes columns [n_begin, n_end) of C. Threads may run disjoint column
   ranges of the same product at the same time, each with its own scratch. */
void c2_gemm_columns(const c2_gemm_desc *d, int n_begin, int n_end, float *scratch);

/* The instruction set the kernels use here: "avx512f", "avx2" or "generic". */
const char *c2_gemm_isa(void);

#endif
