#include "CKernelsGEMM.h"
#include "gemm_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


/* Register tile: MR rows of A × NR columns of B. B panels hold KC rows. */
#define MR C2_MR
#define NR C2_NR
#define KC C2_KC
/* Columns of B packed per block (NC / NR panels of KC × NR), and the rows packed across all the
   block's panels before moving on: RG rows of every panel at a time, so that the source is read
   as RG sequential streams (a whole row segment of NC columns each) rather than KC short ones. */
#define NC 512
#define RG 16

size_t c2_gemm_scratch_floats(void) { return (size_t)KC * NC + 16; }


/* ---------------------------------------------------------------------------------------------
 * Packing: B rows [k0, k0 + kc) × columns [n0, n0 + nr) into p (kc rows of NR floats; the
 * columns from nr to NR are zero).
 * ------------------------------------------------------------------------------------------- */

static void pack_row_major(const c2_gemm_desc *d, int k0, int kc, int n0, int nr, float *p) {
    for (int k = 0; k < kc; k++) {
        const float *src = d->b + (ptrdiff_t)(k0 + k) * d->ldb + n0;
        float *dst = p + (ptrdiff_t)k * NR;
        memcpy(dst, src, (size_t)nr * sizeof(float));
        if (nr < NR) memset(dst + nr, 0, (size_t)(NR - nr) * sizeof(float));
    }
}

static void pack_transposed(const c2_gemm_desc *d, int k0, int kc, int n0, int nr, float *p) {
    for (int j = 0; j < nr; j++) {
        const float *src = d->b + (ptrdiff_t)(n0 + j) * d->ldb + k0;
        for (int k = 0; k < kc; k++) p[(ptrdiff_t)k * NR + j] = src[k];
    }
    if (nr < NR) {
        for (int k = 0; k < kc; k++) memset(p + (ptrdiff_t)k * NR + nr, 0, (size_t)(NR - nr) * sizeof(float));
    }
}

static void pack_image(const c2_gemm_desc *d, int k0, int kc, int n0, int nr, float *p) {
    const int H = d->in_h, W = d->in_w, kw = d->kernel_w, taps = d->kernel_h * d->kernel_w;
    const int sh = d->stride_h, sw = d->stride_w, ow_count = d->out_w;
    c2_run seg[NR];
    const int nseg = c2_row_runs(n0, nr, ow_count, seg);
    /* (channel, kernel row, kernel column) of row k0, then stepped along. */
    int c = k0 / taps, r = k0 % taps;
    int ki = r / kw, kj = r % kw;
    for (int k = 0; k < kc; k++) {
        float *dst = p + (ptrdiff_t)k * NR;
        const float *plane = d->b + (ptrdiff_t)c * H * W;
        const int row_off = ki * d->dilation_h - d->pad_h;
        const int col_off = kj * d->dilation_w - d->pad_w;
        for (int s = 0; s < nseg; s++) {
            float *o = dst + seg[s].j;
            const int len = seg[s].len;
            const int ih = seg[s].row * sh + row_off;
            if (ih < 0 || ih >= H) {
                memset(o, 0, (size_t)len * sizeof(float));
                continue;
            }
            const float *src = plane + (ptrdiff_t)ih * W;
            const int iw0 = seg[s].col * sw + col_off;
            if (sw == 1) {
                const int lo = imin(len, imax(0, -iw0));
                const int hi = imax(lo, imin(len, W - iw0));
                for (int t = 0; t < lo; t++) o[t] = 0;
                for (int t = lo; t < hi; t++) o[t] = src[iw0 + t];
                for (int t = hi; t < len; t++) o[t] = 0;
            } else {
                for (int t = 0; t < len; t++) {
                    const int iw = iw0 + t * sw;
                    o[t] = (iw >= 0 && iw < W) ? src[iw] : 0.0f;
                }
            }
        }
        if (nr < NR) memset(dst + nr, 0, (size_t)(NR - nr) * sizeof(float));
        if (++kj == kw) {
            kj = 0;
            if (++ki == d->kernel_h) {
                ki = 0;
                c++;
            }
        }
    }
}

#ifdef C2_X86

/* AVX-512 packers: each panel row is two 16-float vectors, moved with masked loads and stores. */

__attribute__((target("avx512f"))) static void pack_row_major_avx512(const c2_gemm_desc *d, int k0, int kc, int n0,
                                                                     int nr, float *p) {
    const __mmask16 ma = mask_range(0, nr), mb = mask_range(0, nr - 16);
    for (int k = 0; k < kc; k++) {
        const float *src = d->b + (ptrdiff_t)(k0 + k) * d->ldb + n0;
        float *dst = p + (ptrdiff_t)k * NR;
        _mm512_store_ps(dst, _mm512_maskz_loadu_ps(ma, src));
        _mm512_store_ps(dst + 16, _mm512_maskz_loadu_ps(mb, src + 16));
    }
}

__attribute__((target("avx512f"))) static void pack_image_avx512(const c2_gemm_desc *d, int k0, int kc, int n0,
                                                                 int nr, float *p) {
    const int H = d->in_h, W = d->in_w, kw = d->kernel_w, taps = d->kernel_h * d->kernel_w;
    const int sh = d->stride_h, sw = d->stride_w, ow_count = d->out_w;
    c2_run seg[NR];
    const int nseg = c2_row_runs(n0, nr, ow_count, seg);
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    int c = k0 / taps, r = k0 % taps;
    int ki = r / kw, kj = r % kw;
    /* Strides 1 and 2 (kernels up to 16 wide): which source floats a segment reads depends only on
       the kernel column (lanes inside the row: load masks) and whether the input row exists only on
       the kernel row, so both are worked out once per call; each row of the panel is then a few
       masked moves per segment. Masked-off lanes are never read, so padding costs nothing. */
    if ((sw == 1 || sw == 2) && kw <= 16) {
        __mmask16 load[NR][16][4], keep0[NR], keep1[NR];
        int col0[NR][16], row0[NR];
        for (int s = 0; s < nseg; s++) {
            const int len = seg[s].len, iw_base = seg[s].col * sw - d->pad_w;
            row0[s] = seg[s].row * sh - d->pad_h;
            keep0[s] = mask_range(0, len);
            keep1[s] = mask_range(0, len - 16);
            for (int q = 0; q < kw; q++) {
                const int iw0 = iw_base + q * d->dilation_w;
                /* Lanes t < len with 0 <= iw0 + t * sw < W read source floats sw·t, so the floats
                   read lie in [sw·lo, sw·(hi − 1)] (for stride 2 the odd ones between are inside
                   the row as well). */
                const int lo = iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw;
                const int hi = iw0 >= W ? 0 : imin(len, (W - 1 - iw0) / sw + 1);
                col0[s][q] = iw0;
                for (int v = 0; v < 4; v++) {
                    load[s][q][v] = hi > lo ? mask_range(sw * lo - 16 * v, sw * (hi - 1) + 1 - 16 * v) : 0;
                }
            }
        }
        for (int k = 0; k < kc;) {
            /* Rows k .. k + run − 1 share the channel and the kernel row (kernel columns kj ..),
               so each segment's source row is found once for all of them. */
            const int run = imin(kc - k, kw - kj);
            const float *plane = d->b + (ptrdiff_t)c * H * W;
            const int drow = ki * d->dilation_h;
            float *dst = p + (ptrdiff_t)k * NR;
            if (nr < NR) {
                for (int q = 0; q < run; q++) {
                    _mm512_store_ps(dst + q * NR, _mm512_setzero_ps());
                    _mm512_store_ps(dst + q * NR + 16, _mm512_setzero_ps());
                }
            }
            for (int s = 0; s < nseg; s++) {
                float *o = dst + seg[s].j;
                const int ih = row0[s] + drow;
                const __mmask16 k0 = keep0[s], k1 = keep1[s];
                if (ih < 0 || ih >= H) {
                    for (int q = 0; q < run; q++) {
                        _mm512_mask_storeu_ps(o + q * NR, k0, _mm512_setzero_ps());
                        if (k1) _mm512_mask_storeu_ps(o + q * NR + 16, k1, _mm512_setzero_ps());
                    }
                    continue;
                }
                const float *row = plane + (ptrdiff_t)ih * W;
                if (sw == 1 && !k1) {
                    for (int q = 0; q < run; q++) {
                        _mm512_mask_storeu_ps(o + q * NR, k0, _mm512_maskz_loadu_ps(load[s][kj + q][0], row + col0[s][kj + q]));
                    }
                } else if (sw == 1) {
                    for (int q = 0; q < run; q++) {
                        const float *src = row + col0[s][kj + q];
                        const __mmask16 *m = load[s][kj + q];
                        _mm512_mask_storeu_ps(o + q * NR, k0, _mm512_maskz_loadu_ps(m[0], src));
                        _mm512_mask_storeu_ps(o + q * NR + 16, k1, _mm512_maskz_loadu_ps(m[1], src + 16));
                    }
                } else {
                    for (int q = 0; q < run; q++) {
                        const float *src = row + col0[s][kj + q];
                        const __mmask16 *m = load[s][kj + q];
                        /* Output t is source float 2t: the even lanes of two consecutive vectors. */
                        const __m512 x0 = _mm512_maskz_loadu_ps(m[0], src), x1 = _mm512_maskz_loadu_ps(m[1], src + 16);
                        _mm512_mask_storeu_ps(o + q * NR, k0, _mm512_permutex2var_ps(x0, even, x1));
                        if (k1) {
                            const __m512 x2 = _mm512_maskz_loadu_ps(m[2], src + 32);
                            const __m512 x3 = _mm512_maskz_loadu_ps(m[3], src + 48);
                            _mm512_mask_storeu_ps(o + q * NR + 16, k1, _mm512_permutex2var_ps(x2, even, x3));
                        }
                    }
                }
            }
            k += run;
            kj += run;
            if (kj == kw) {
                kj = 0;
                if (++ki == d->kernel_h) {
                    ki = 0;
                    c++;
                }
            }
        }
        return;
    }
    for (int k = 0; k < kc; k++) {
        float *dst = p + (ptrdiff_t)k * NR;
        const float *plane = d->b + (ptrdiff_t)c * H * W;
        const int row_off = ki * d->dilation_h - d->pad_h;
        const int col_off = kj * d->dilation_w - d->pad_w;
        if (nseg == 1 && sw == 1) {
            /* The common case: the panel lies on one output row. */
            const int ih = seg[0].row * sh + row_off;
            if (ih < 0 || ih >= H) {
                _mm512_store_ps(dst, _mm512_setzero_ps());
                _mm512_store_ps(dst + 16, _mm512_setzero_ps());
            } else {
                const int iw0 = seg[0].col + col_off;
                const float *src = plane + (ptrdiff_t)ih * W + iw0;
                /* Valid lanes t: 0 <= iw0 + t < W and t < len. */
                const int lo = -iw0, hi = imin(nr, W - iw0);
                _mm512_store_ps(dst, _mm512_maskz_loadu_ps(mask_range(lo, hi), src));
                _mm512_store_ps(dst + 16, _mm512_maskz_loadu_ps(mask_range(lo - 16, hi - 16), src + 16));
            }
        } else {
            _mm512_store_ps(dst, _mm512_setzero_ps());
            _mm512_store_ps(dst + 16, _mm512_setzero_ps());
            for (int s = 0; s < nseg; s++) {
                const int j = seg[s].j, len = seg[s].len;
                const int ih = seg[s].row * sh + row_off;
                if (ih < 0 || ih >= H) continue;
                const float *row = plane + (ptrdiff_t)ih * W;
                const int iw0 = seg[s].col * sw + col_off;
                /* Valid t: 0 <= iw0 + t*sw < W, t < len. */
                const int lo = iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw;
                const int hi = iw0 >= W ? 0 : imin(len, (W - 1 - iw0) / sw + 1);
                for (int t0 = 0; t0 < len; t0 += 16) {
                    const __mmask16 m = mask_range(lo - t0, hi - t0);
                    if (!m) continue;
                    __m512 v;
                    if (sw == 1) {
                        v = _mm512_maskz_loadu_ps(m, row + iw0 + t0);
                    } else if (sw == 2) {
                        /* src[iw0 + 2t] for 16 t: 32 floats, even lanes; the loads are masked to
                           the row's valid range. */
                        const int base = iw0 + 2 * t0;
                        const __mmask16 l0 = mask_range(-base, W - base);
                        const __mmask16 l1 = mask_range(-base - 16, W - base - 16);
                        const __m512 x0 = _mm512_maskz_loadu_ps(l0, row + base);
                        const __m512 x1 = _mm512_maskz_loadu_ps(l1, row + base + 16);
                        v = _mm512_maskz_mov_ps(m, _mm512_permutex2var_ps(x0, even, x1));
                    } else {
                        const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(iw0 + t0 * sw),
                                                             _mm512_mullo_epi32(lanes, _mm512_set1_epi32(sw)));
                        v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, row, 4);
                    }
                    /* Lanes t0 .. t0 + 15 of the segment go to panel columns j + t0 .. */
                    const __mmask16 keep = mask_range(0, len - t0);
                    _mm512_mask_storeu_ps(dst + j + t0, keep, v);
                }
            }
        }
        if (++kj == kw) {
            kj = 0;
            if (++ki == d->kernel_h) {
                ki = 0;
                c++;
            }
        }
    }
}

#endif /* C2_X86 */

typedef void (*pack_fn)(const c2_gemm_desc *d, int k0, int kc, int n0, int nr, float *p);

static pack_fn select_pack(const c2_gemm_desc *d, int avx512) {
    switch (d->b_kind) {
    case C2_B_TRANSPOSED: return pack_transposed;
#ifdef C2_X86
    case C2_B_IMAGE: return avx512 ? pack_image_avx512 : pack_image;
    default: return avx512 ? pack_row_major_avx512 : pack_row_major;
#else
    case C2_B_IMAGE: return pack_image;
    default: return pack_row_major;
#endif
    }
}

/* ---------------------------------------------------------------------------------------------
 * Micro-kernels: C tile (mr ≤ MR rows × nr ≤ NR columns at c, leading dimension ldc) =
 * init + A rows (a, lda; kc columns) · panel p. `brow` holds MR row biases, `bcol` NR column
 * biases (already padded by the caller).
 * ------------------------------------------------------------------------------------------- */

typedef c2_ukernel_fn ukernel_fn;

/* Plain C, any tile (the fallback on CPUs without AVX2). */
static void ukernel_generic(int kc, const float *a, ptrdiff_t lda, const float *p, float *c, ptrdiff_t ldc, int mr,
                            int nr, int init, const float *brow, const float *bcol, int relu) {
    float acc[MR][NR];
    for (int i = 0; i < mr; i++) {
        for (int j = 0; j < NR; j++) {
            switch (init) {
            case C2_INIT_ROW_BIAS: acc[i][j] = brow[i]; break;
            case C2_INIT_COLUMN_BIAS: acc[i][j] = bcol[j]; break;
            case C2_INIT_ACCUMULATE: acc[i][j] = j < nr ? c[(ptrdiff_t)i * ldc + j] : 0.0f; break;
            default: acc[i][j] = 0.0f; break;
            }
        }
        const float *ar = a + (ptrdiff_t)i * lda;
        for (int k = 0; k < kc; k++) {
            const float av = ar[k];
            const float *pk = p + (ptrdiff_t)k * NR;
            for (int j = 0; j < NR; j++) acc[i][j] += av * pk[j];
        }
        float *cr = c + (ptrdiff_t)i * ldc;
        for (int j = 0; j < nr; j++) {
            const float v = acc[i][j];
            cr[j] = (relu && v < 0) ? 0.0f : v;
        }
    }
}

#ifdef C2_X86

/* AVX2 + FMA: the 8×32 tile as four 4×16 sub-tiles (8 accumulators each); full tiles only
   (the driver routes edge tiles through a local buffer). */
__attribute__((target("avx2,fma"))) static void ukernel_avx2_full(int kc, const float *a, ptrdiff_t lda,
                                                                  const float *p, float *c, ptrdiff_t ldc,
                                                                  int init, const float *brow, const float *bcol,
                                                                  int relu) {
    const __m256 zero = _mm256_setzero_ps();
    for (int rh = 0; rh < MR; rh += 4) {
        const float *a0 = a + (ptrdiff_t)rh * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
        for (int ch = 0; ch < NR; ch += 16) {
            __m256 c00, c01, c10, c11, c20, c21, c30, c31;
            float *cp = c + (ptrdiff_t)rh * ldc + ch;
            if (init == C2_INIT_ROW_BIAS) {
                c00 = c01 = _mm256_set1_ps(brow[rh]);
                c10 = c11 = _mm256_set1_ps(brow[rh + 1]);
                c20 = c21 = _mm256_set1_ps(brow[rh + 2]);
                c30 = c31 = _mm256_set1_ps(brow[rh + 3]);
            } else if (init == C2_INIT_COLUMN_BIAS) {
                c00 = c10 = c20 = c30 = _mm256_loadu_ps(bcol + ch);
                c01 = c11 = c21 = c31 = _mm256_loadu_ps(bcol + ch + 8);
            } else if (init == C2_INIT_ACCUMULATE) {
                c00 = _mm256_loadu_ps(cp), c01 = _mm256_loadu_ps(cp + 8);
                c10 = _mm256_loadu_ps(cp + ldc), c11 = _mm256_loadu_ps(cp + ldc + 8);
                c20 = _mm256_loadu_ps(cp + 2 * ldc), c21 = _mm256_loadu_ps(cp + 2 * ldc + 8);
                c30 = _mm256_loadu_ps(cp + 3 * ldc), c31 = _mm256_loadu_ps(cp + 3 * ldc + 8);
            } else {
                c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = zero;
            }
            const float *pk = p + ch;
            for (int k = 0; k < kc; k++, pk += NR) {
                const __m256 b0 = _mm256_load_ps(pk), b1 = _mm256_load_ps(pk + 8);
                __m256 av = _mm256_broadcast_ss(a0 + k);
                c00 = _mm256_fmadd_ps(av, b0, c00), c01 = _mm256_fmadd_ps(av, b1, c01);
                av = _mm256_broadcast_ss(a1 + k);
                c10 = _mm256_fmadd_ps(av, b0, c10), c11 = _mm256_fmadd_ps(av, b1, c11);
                av = _mm256_broadcast_ss(a2 + k);
                c20 = _mm256_fmadd_ps(av, b0, c20), c21 = _mm256_fmadd_ps(av, b1, c21);
                av = _mm256_broadcast_ss(a3 + k);
                c30 = _mm256_fmadd_ps(av, b0, c30), c31 = _mm256_fmadd_ps(av, b1, c31);
            }
            if (relu) {
                c00 = _mm256_max_ps(zero, c00), c01 = _mm256_max_ps(zero, c01);
                c10 = _mm256_max_ps(zero, c10), c11 = _mm256_max_ps(zero, c11);
                c20 = _mm256_max_ps(zero, c20), c21 = _mm256_max_ps(zero, c21);
                c30 = _mm256_max_ps(zero, c30), c31 = _mm256_max_ps(zero, c31);
            }
            _mm256_storeu_ps(cp, c00), _mm256_storeu_ps(cp + 8, c01);
            _mm256_storeu_ps(cp + ldc, c10), _mm256_storeu_ps(cp + ldc + 8, c11);
            _mm256_storeu_ps(cp + 2 * ldc, c20), _mm256_storeu_ps(cp + 2 * ldc + 8, c21);
            _mm256_storeu_ps(cp + 3 * ldc, c30), _mm256_storeu_ps(cp + 3 * ldc + 8, c31);
        }
    }
}

/* AVX-512: 8×32 tile in 16 zmm accumulators; edges through masks. Rows ≥ mr read row mr − 1
   of A (their results are discarded). */
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

__attribute__((target("avx512f"))) static void ukernel_avx512(int kc, const float *a, ptrdiff_t lda,
                                                              const float *p, float *c, ptrdiff_t ldc, int mr,
                                                              int nr, int init, const float *brow,
                                                              const float *bcol, int relu) {
    const __mmask16 ma = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    const __mmask16 mb = nr >= 32 ? (__mmask16)0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;
#define DECL(i)                                                                                                 \
    const float *a##i = a + (ptrdiff_t)(i < mr ? i : mr - 1) * lda;                                             \
    __m512 c##i##a, c##i##b;
    ROWS(DECL)
#undef DECL
    if (init == C2_INIT_ROW_BIAS) {
#define INIT(i) c##i##a = c##i##b = _mm512_set1_ps(brow[i]);
        ROWS(INIT)
#undef INIT
    } else if (init == C2_INIT_COLUMN_BIAS) {
        const __m512 ba = _mm512_loadu_ps(bcol), bb = _mm512_loadu_ps(bcol + 16);
#define INIT(i) c##i##a = ba, c##i##b = bb;
        ROWS(INIT)
#undef INIT
    } else if (init == C2_INIT_ACCUMULATE) {
#define INIT(i)                                                                                                 \
    if (i < mr) {                                                                                               \
        c##i##a = _mm512_maskz_loadu_ps(ma, c + (ptrdiff_t)i * ldc);                                            \
        c##i##b = _mm512_maskz_loadu_ps(mb, c + (ptrdiff_t)i * ldc + 16);                                       \
    } else {                                                                                                    \
        c##i##a = c##i##b = _mm512_setzero_ps();                                                                \
    }
        ROWS(INIT)
#undef INIT
    } else {
#define INIT(i) c##i##a = c##i##b = _mm512_setzero_ps();
        ROWS(INIT)
#undef INIT
    }
    const float *pk = p;
    for (int k = 0; k < kc; k++, pk += NR) {
        const __m512 b0 = _mm512_load_ps(pk), b1 = _mm512_load_ps(pk + 16);
#define STEP(i)                                                                                                 \
    {                                                                                                           \
        const __m512 av = _mm512_set1_ps(a##i[k]);                                                              \
        c##i##a = _mm512_fmadd_ps(av, b0, c##i##a);                                                             \
        c##i##b = _mm512_fmadd_ps(av, b1, c##i##b);                                                             \
    }
        ROWS(STEP)
#undef STEP
    }
    if (relu) {
        const __m512 zero = _mm512_setzero_ps();
#define RELU(i) c##i##a = _mm512_max_ps(zero, c##i##a), c##i##b = _mm512_max_ps(zero, c##i##b);
        ROWS(RELU)
#undef RELU
    }
#define STORE(i)                                                                                                \
    if (i < mr) {                                                                                               \
        _mm512_mask_storeu_ps(c + (ptrdiff_t)i * ldc, ma, c##i##a);                                             \
        _mm512_mask_storeu_ps(c + (ptrdiff_t)i * ldc + 16, mb, c##i##b);                                        \
    }
    ROWS(STORE)
#undef STORE
}
#undef ROWS

static void ukernel_avx2(int kc, const float *a, ptrdiff_t lda, const float *p, float *c, ptrdiff_t ldc, int mr,
                         int nr, int init, const float *brow, const float *bcol, int relu) {
    if (mr == MR && nr == NR) {
        ukernel_avx2_full(kc, a, lda, p, c, ldc, init, brow, bcol, relu);
        return;
    }
    /* Edge tile: through a full local tile; missing A rows repeat the last one. */
    float tile[MR * NR];
    const float *rows[MR];
    float arows[MR][KC];
    for (int i = 0; i < MR; i++) rows[i] = a + (ptrdiff_t)imin(i, mr - 1) * lda;
    for (int i = 0; i < MR; i++) memcpy(arows[i], rows[i], (size_t)kc * sizeof(float));
    if (init == C2_INIT_ACCUMULATE) {
        memset(tile, 0, sizeof(tile));
        for (int i = 0; i < mr; i++) memcpy(tile + i * NR, c + (ptrdiff_t)i * ldc, (size_t)nr * sizeof(float));
    }
    ukernel_avx2_full(kc, &arows[0][0], KC, p, tile, NR, init, brow, bcol, relu);
    for (int i = 0; i < mr; i++) memcpy(c + (ptrdiff_t)i * ldc, tile + i * NR, (size_t)nr * sizeof(float));
}

#endif /* C2_X86 */

/* The best kernel set the CPU supports, or a lower one named by C2_GEMM_ISA ("avx2" or "generic"),
   so that every set can be tested on one machine. Chosen once. */
static int isa_level = -1; /* 2: AVX-512, 1: AVX2 + FMA, 0: generic */

static void choose_isa(void) {
    int level = 0;
#ifdef C2_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) level = 2;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
#endif
    const char *want = getenv("C2_GEMM_ISA");
    if (want && strcmp(want, "generic") == 0) level = 0;
    else if (want && strcmp(want, "avx2") == 0 && level > 1) level = 1;
    isa_level = level;
}

static ukernel_fn select_kernel(const char **name, int *avx512) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, choose_isa);
    *avx512 = 0;
#ifdef C2_X86
    if (isa_level == 2) {
        *name = "avx512f";
        *avx512 = 1;
        return ukernel_avx512;
    }
    if (isa_level == 1) {
        *name = "avx2";
        return ukernel_avx2;
    }
#endif
    *name = "generic";
    return ukernel_generic;
}

c2_ukernel_fn c2_gemm_ukernel(int *avx512) {
    const char *name;
    return select_kernel(&name, avx512);
}

const char *c2_gemm_isa(void) {
    const char *name;
    int avx512;
    (void)select_kernel(&name, &avx512);
    return name;
}

/* ---------------------------------------------------------------------------------------------
 * Driver.
 * ------------------------------------------------------------------------------------------- */

void c2_gemm_columns(const c2_gemm_desc *d, int n_begin, int n_end, float *scratch) {
    const char *name;
    int avx512;
    const ukernel_fn kernel = select_kernel(&name, &avx512);
    const pack_fn pack_b = select_pack(d, avx512);
    float *p = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    const int M = d->m, K = d->k;
    if (M <= 0 || n_end <= n_begin) return;
    float brow[MR], bcol[NR];
    /* K in equal blocks of at most KC rows (288 = 144 + 144, not 256 + 32: a short last block
       would pay a whole pass of C loads and stores for little work). */
    const int kblock = K <= KC ? KC : (K + (K + KC - 1) / KC - 1) / ((K + KC - 1) / KC);
    for (int nb = n_begin; nb < n_end; nb += NC) {
        const int nc = imin(NC, n_end - nb), panels = (nc + NR - 1) / NR;
        int k0 = 0;
        do {
            const int kc = imin(kblock, K - k0);
            /* Images are unfolded a whole panel at a time (each call works out the panel's
               geometry once); matrices RG rows at a time across the panels. */
            const int group = d->b_kind == C2_B_IMAGE ? imax(kc, 1) : RG;
            for (int kk = 0; kk < kc; kk += group) {
                const int rg = imin(group, kc - kk);
                for (int j = 0; j < panels; j++) {
                    const int n0 = nb + j * NR;
                    pack_b(d, k0 + kk, rg, n0, imin(NR, nb + nc - n0), p + ((ptrdiff_t)j * kc + kk) * NR);
                }
            }
            const int init = k0 == 0 ? d->start : C2_INIT_ACCUMULATE;
            const int relu = (k0 + kc >= K) && d->relu;
            if (kc <= 64) {
                /* Short products (few rows of B, as in 1×1 convolutions with few input channels):
                   the C stores dominate. Row tiles outer, so that they run along 8 rows of C at a
                   time, sequential streams the prefetcher follows; panels outer would touch every
                   row of C per panel, a cache miss per row when C is not in cache. */
                for (int m0 = 0; m0 < M; m0 += MR) {
                    const int mr = imin(MR, M - m0);
                    if (init == C2_INIT_ROW_BIAS) {
                        for (int i = 0; i < MR; i++) brow[i] = d->bias[m0 + imin(i, mr - 1)];
                    }
                    for (int j = 0; j < panels; j++) {
                        const int n0 = nb + j * NR, nr = imin(NR, nb + nc - n0);
                        if (init == C2_INIT_COLUMN_BIAS) {
                            for (int jj = 0; jj < NR; jj++) bcol[jj] = jj < nr ? d->bias[n0 + jj] : 0.0f;
                        }
                        kernel(kc, d->a + (ptrdiff_t)m0 * d->lda + k0, d->lda, p + (ptrdiff_t)j * kc * NR,
                               d->c + (ptrdiff_t)m0 * d->ldc + n0, d->ldc, mr, nr, init, brow, bcol, relu);
                    }
                }
            } else {
                /* Panels outer: each panel stays in L1 while every row tile uses it. */
                for (int j = 0; j < panels; j++) {
                    const int n0 = nb + j * NR, nr = imin(NR, nb + nc - n0);
                    if (init == C2_INIT_COLUMN_BIAS) {
                        for (int jj = 0; jj < NR; jj++) bcol[jj] = jj < nr ? d->bias[n0 + jj] : 0.0f;
                    }
                    for (int m0 = 0; m0 < M; m0 += MR) {
                        const int mr = imin(MR, M - m0);
                        if (init == C2_INIT_ROW_BIAS) {
                            for (int i = 0; i < MR; i++) brow[i] = d->bias[m0 + imin(i, mr - 1)];
                        }
                        kernel(kc, d->a + (ptrdiff_t)m0 * d->lda + k0, d->lda, p + (ptrdiff_t)j * kc * NR,
                               d->c + (ptrdiff_t)m0 * d->ldc + n0, d->ldc, mr, nr, init, brow, bcol, relu);
                    }
                }
            }
            k0 += kc;
        } while (k0 < K);
    }
}
