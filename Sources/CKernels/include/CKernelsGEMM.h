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

/*
 * 3×3 convolution, stride 1, no dilation, one group, by Winograd's minimal filtering F(2×2, 3×3)
 * (Lavin & Gray 2016): each 2×2 block of outputs ("tile") comes from a 4×4 block of input,
 * Y = Aᵀ [ Σ_c (G g Gᵀ) ⊙ (Bᵀ d B) ] A, which takes 16 multiplications per channel instead of 36.
 * The sums over channels are 16 matrix products (one per point ξ of the 4×4 transform domain)
 * computed by the micro-kernels above, 32 tiles at a time; the input and output transforms run
 * on those 32 tiles while they are in cache. Results differ from the direct sum by rounding only
 * (a few units in the last place of the inputs' scale); every output depends on its own tile
 * only, so splitting the tiles over threads gives bit-identical results.
 */
typedef struct c2_winograd_desc {
    int channels, out_channels;
    int in_h, in_w, out_h, out_w;
    int pad_h, pad_w; /* top and left padding; rows and columns outside the input read as zero */
    const float *x;   /* channels × in_h × in_w */
    const float *u;   /* transformed filters, from c2_winograd_filters */
    const float *bias; /* out_channels floats, or NULL */
    float *y;         /* out_channels × out_h × out_w */
    int relu;
} c2_winograd_desc;

/* Floats of transformed filters for out_channels × channels 3×3 filters (16 per filter). */
size_t c2_winograd_filter_floats(int out_channels, int channels);

/* Transforms filters w (out_channels × channels × 3 × 3) into u. */
void c2_winograd_filters(const float *w, int out_channels, int channels, float *u);

/* Tiles of one image: ceil(out_h / 2) × ceil(out_w / 2). */
int c2_winograd_tiles(const c2_winograd_desc *d);

/* Floats of scratch one thread needs for c2_winograd_run. */
size_t c2_winograd_scratch_floats(int channels);

/* Computes output channels [m_begin, m_end) of tiles [tile_begin, tile_end) (row-major over the
   tile grid). Threads may run disjoint tile or channel ranges of the same image at the same
   time, each with its own scratch; channel ranges split at multiples of 8 keep the micro-kernel's
   rows full. */
void c2_winograd_run(const c2_winograd_desc *d, int tile_begin, int tile_end, int m_begin, int m_end,
                     float *scratch);

/* The instruction set the kernels use here: "avx512f", "avx2" or "generic". */
const char *c2_gemm_isa(void);

#endif
