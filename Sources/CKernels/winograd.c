#include "CKernelsGEMM.h"
#include "gemm_internal.h"

#include <stdint.h>

/* Winograd F(2×2, 3×3) with
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   (input, 4×4 → 4×4)
 *   G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]               (filter, 3×3 → 4×4)
 *   Aᵀ = [1 1 1 0; 0 1 −1 −1]                        (output, 4×4 → 2×2)
 * Point ξ = 4a + b of the transform domain is row a, column b.
 *
 * Per block of TB tiles a thread's scratch holds V (16 × channels × TB: each ξ a ready-made
 * micro-kernel panel of `channels` rows, the panels VSTEP floats apart) and P (C2_MR × 16 × TB:
 * the products for the C2_MR output channels in hand, the 16 points of a channel side by side;
 * they are transformed back while still in L1). Neither is laid out with a power-of-two stride between the points, which would put
 * all 16 in one set of the L1 cache. The plain
 * C and AVX-512 transforms perform the same additions in the same order, so they give the same
 * bits. */

#define TB C2_NR

/* Floats between the panels of two points in V: 16 more than a panel (64 bytes). */
#define VSTEP(C) ((ptrdiff_t)(C) * TB + 16)

size_t c2_winograd_filter_floats(int out_channels, int channels) { return (size_t)16 * out_channels * channels; }

size_t c2_winograd_scratch_floats(int channels) {
    return (size_t)16 * (size_t)VSTEP(channels) + (size_t)16 * TB * C2_MR + 16;
}

int c2_winograd_tiles(const c2_winograd_desc *d) { return ((d->out_h + 1) / 2) * ((d->out_w + 1) / 2); }

/* u[(ξ · M + m) · C + c] = (G g Gᵀ)[ξ] for the filter g of (m, c). */
void c2_winograd_filters(const float *w, int out_channels, int channels, float *u) {
    const int M = out_channels, C = channels;
    for (int m = 0; m < M; m++) {
        for (int c = 0; c < C; c++) {
            const float *g = w + ((ptrdiff_t)m * C + c) * 9;
            float t[4][3];
            for (int j = 0; j < 3; j++) {
                t[0][j] = g[j];
                t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
                t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
                t[3][j] = g[6 + j];
            }
            for (int i = 0; i < 4; i++) {
                const float row[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]),
                                      0.5f * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
                for (int b = 0; b < 4; b++) u[((ptrdiff_t)(4 * i + b) * M + m) * C + c] = row[b];
            }
        }
    }
}

/* A block's tiles are taken in runs along one tile row (c2_row_runs over the tile grid). */
typedef c2_run run;

/* ---------------------------------------------------------------------------------------------
 * Plain C transforms.
 * ------------------------------------------------------------------------------------------- */

static void input_generic(const c2_winograd_desc *d, const run *runs, int nruns, float *v) {
    const int C = d->channels, H = d->in_h, W = d->in_w;
    for (int c = 0; c < C; c++) {
        const float *plane = d->x + (ptrdiff_t)c * H * W;
        for (int s = 0; s < nruns; s++) {
            for (int t = 0; t < runs[s].len; t++) {
                const int r0 = 2 * runs[s].row - d->pad_h, q0 = 2 * (runs[s].col + t) - d->pad_w;
                float w[4][4];
                for (int i = 0; i < 4; i++) {
                    const int r = r0 + i;
                    float x[4];
                    for (int j = 0; j < 4; j++) {
                        const int q = q0 + j;
                        x[j] = (r >= 0 && r < H && q >= 0 && q < W) ? plane[(ptrdiff_t)r * W + q] : 0.0f;
                    }
                    w[i][0] = x[0] - x[2];
                    w[i][1] = x[1] + x[2];
                    w[i][2] = x[2] - x[1];
                    w[i][3] = x[1] - x[3];
                }
                float *dst = v + (ptrdiff_t)c * TB + runs[s].j + t;
                const ptrdiff_t step = VSTEP(C);
                for (int b = 0; b < 4; b++) {
                    dst[(0 + b) * step] = w[0][b] - w[2][b];
                    dst[(4 + b) * step] = w[1][b] + w[2][b];
                    dst[(8 + b) * step] = w[2][b] - w[1][b];
                    dst[(12 + b) * step] = w[1][b] - w[3][b];
                }
            }
        }
    }
}

/* Output channels [m0, m0 + mr) from their products in p. */
static void output_generic(const c2_winograd_desc *d, const run *runs, int nruns, const float *p, int m0, int mr) {
    const int OH = d->out_h, OW = d->out_w;
    const ptrdiff_t step = TB;
    for (int m = m0; m < m0 + mr; m++) {
        const float bias = d->bias ? d->bias[m] : 0.0f;
        float *plane = d->y + (ptrdiff_t)m * OH * OW;
        for (int s = 0; s < nruns; s++) {
            for (int t = 0; t < runs[s].len; t++) {
                const float *src = p + (ptrdiff_t)(m - m0) * 16 * TB + runs[s].j + t;
                float r[4][2];
                for (int a = 0; a < 4; a++) {
                    const float s0 = src[(4 * a) * step], s1 = src[(4 * a + 1) * step];
                    const float s2 = src[(4 * a + 2) * step], s3 = src[(4 * a + 3) * step];
                    r[a][0] = s0 + s1 + s2;
                    r[a][1] = s1 - s2 - s3;
                }
                const int oy = 2 * runs[s].row, ox = 2 * (runs[s].col + t);
                for (int i = 0; i < 2; i++) {
                    if (oy + i >= OH) break;
                    for (int b = 0; b < 2; b++) {
                        if (ox + b >= OW) break;
                        float y = (i == 0 ? r[0][b] + r[1][b] + r[2][b] : r[1][b] - r[2][b] - r[3][b]) + bias;
                        if (d->relu && y < 0) y = 0.0f;
                        plane[(ptrdiff_t)(oy + i) * OW + ox + b] = y;
                    }
                }
            }
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * AVX-512 transforms: 16 tiles of a run per vector.
 * ------------------------------------------------------------------------------------------- */

#ifdef C2_X86

__attribute__((target("avx512f"))) static void input_avx512(const c2_winograd_desc *d, const run *runs, int nruns,
                                                            float *v) {
    const int C = d->channels, H = d->in_h, W = d->in_w;
    const ptrdiff_t step = VSTEP(C);
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    for (int s = 0; s < nruns; s++) {
        for (int t0 = 0; t0 < runs[s].len; t0 += 16) {
            const __mmask16 keep = mask_range(0, runs[s].len - t0);
            /* Tile t reads input columns q0 + 2t + (0..3): the even and odd lanes of 32 floats
               from q0 and of 32 floats from q0 + 2; lanes outside the row read as zero. */
            const int q0 = 2 * (runs[s].col + t0) - d->pad_w;
            const __mmask16 ma0 = mask_range(-q0, W - q0), ma1 = mask_range(-q0 - 16, W - q0 - 16);
            const __mmask16 mb0 = mask_range(-q0 - 2, W - q0 - 2), mb1 = mask_range(-q0 - 18, W - q0 - 18);
            const int r0 = 2 * runs[s].row - d->pad_h;
            int inside[4];
            for (int i = 0; i < 4; i++) inside[i] = r0 + i >= 0 && r0 + i < H;
            float *dst = v + runs[s].j + t0;
            for (int c = 0; c < C; c++) {
                const float *plane = d->x + (ptrdiff_t)c * H * W;
                __m512 w[4][4];
                for (int i = 0; i < 4; i++) {
                    if (!inside[i]) {
                        w[i][0] = w[i][1] = w[i][2] = w[i][3] = _mm512_setzero_ps();
                        continue;
                    }
                    const float *row = plane + (ptrdiff_t)(r0 + i) * W + q0;
                    const __m512 a0 = _mm512_maskz_loadu_ps(ma0, row), a1 = _mm512_maskz_loadu_ps(ma1, row + 16);
                    const __m512 b0 = _mm512_maskz_loadu_ps(mb0, row + 2), b1 = _mm512_maskz_loadu_ps(mb1, row + 18);
                    const __m512 x0 = _mm512_permutex2var_ps(a0, even, a1), x1 = _mm512_permutex2var_ps(a0, odd, a1);
                    const __m512 x2 = _mm512_permutex2var_ps(b0, even, b1), x3 = _mm512_permutex2var_ps(b0, odd, b1);
                    w[i][0] = _mm512_sub_ps(x0, x2);
                    w[i][1] = _mm512_add_ps(x1, x2);
                    w[i][2] = _mm512_sub_ps(x2, x1);
                    w[i][3] = _mm512_sub_ps(x1, x3);
                }
                float *o = dst + (ptrdiff_t)c * TB;
                for (int b = 0; b < 4; b++) {
                    _mm512_mask_storeu_ps(o + (0 + b) * step, keep, _mm512_sub_ps(w[0][b], w[2][b]));
                    _mm512_mask_storeu_ps(o + (4 + b) * step, keep, _mm512_add_ps(w[1][b], w[2][b]));
                    _mm512_mask_storeu_ps(o + (8 + b) * step, keep, _mm512_sub_ps(w[2][b], w[1][b]));
                    _mm512_mask_storeu_ps(o + (12 + b) * step, keep, _mm512_sub_ps(w[1][b], w[3][b]));
                }
            }
        }
    }
}

__attribute__((target("avx512f"))) static void output_avx512(const c2_winograd_desc *d, const run *runs, int nruns,
                                                             const float *p, int m0, int mr) {
    const int OH = d->out_h, OW = d->out_w;
    const ptrdiff_t step = TB;
    /* Outputs (2t, 2t + 1) of 16 tiles interleaved into two vectors of 16 columns. */
    const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    const __m512 zero = _mm512_setzero_ps();
    for (int s = 0; s < nruns; s++) {
        for (int t0 = 0; t0 < runs[s].len; t0 += 16) {
            const int len = runs[s].len - t0;
            const __mmask16 keep = mask_range(0, len);
            const int oy = 2 * runs[s].row, ox = 2 * (runs[s].col + t0);
            const int cols = imin(2 * len, OW - ox);
            const __mmask16 s0 = mask_range(0, cols), s1 = mask_range(0, cols - 16);
            const int second_row = oy + 1 < OH;
            for (int m = m0; m < m0 + mr; m++) {
                const float *src = p + (ptrdiff_t)(m - m0) * 16 * TB + runs[s].j + t0;
                __m512 r[4][2];
                for (int a = 0; a < 4; a++) {
                    const __m512 x0 = _mm512_maskz_loadu_ps(keep, src + (4 * a) * step);
                    const __m512 x1 = _mm512_maskz_loadu_ps(keep, src + (4 * a + 1) * step);
                    const __m512 x2 = _mm512_maskz_loadu_ps(keep, src + (4 * a + 2) * step);
                    const __m512 x3 = _mm512_maskz_loadu_ps(keep, src + (4 * a + 3) * step);
                    r[a][0] = _mm512_add_ps(_mm512_add_ps(x0, x1), x2);
                    r[a][1] = _mm512_sub_ps(_mm512_sub_ps(x1, x2), x3);
                }
                const __m512 bias = _mm512_set1_ps(d->bias ? d->bias[m] : 0.0f);
                float *out = d->y + (ptrdiff_t)m * OH * OW + (ptrdiff_t)oy * OW + ox;
                for (int i = 0; i < 1 + second_row; i++) {
                    __m512 y0, y1;
                    if (i == 0) {
                        y0 = _mm512_add_ps(_mm512_add_ps(r[0][0], r[1][0]), r[2][0]);
                        y1 = _mm512_add_ps(_mm512_add_ps(r[0][1], r[1][1]), r[2][1]);
                    } else {
                        y0 = _mm512_sub_ps(_mm512_sub_ps(r[1][0], r[2][0]), r[3][0]);
                        y1 = _mm512_sub_ps(_mm512_sub_ps(r[1][1], r[2][1]), r[3][1]);
                    }
                    y0 = _mm512_add_ps(y0, bias);
                    y1 = _mm512_add_ps(y1, bias);
                    if (d->relu) {
                        /* max(0, x) keeps x when it is NaN or −0, as x < 0 ? 0 : x does. */
                        y0 = _mm512_max_ps(zero, y0);
                        y1 = _mm512_max_ps(zero, y1);
                    }
                    float *row = out + (ptrdiff_t)i * OW;
                    _mm512_mask_storeu_ps(row, s0, _mm512_permutex2var_ps(y0, lo, y1));
                    if (s1) _mm512_mask_storeu_ps(row + 16, s1, _mm512_permutex2var_ps(y0, hi, y1));
                }
            }
        }
    }
}

#endif /* C2_X86 */

/* ---------------------------------------------------------------------------------------------
 * Driver.
 * ------------------------------------------------------------------------------------------- */

void c2_winograd_run(const c2_winograd_desc *d, int tile_begin, int tile_end, int m_begin, int m_end,
                     float *scratch) {
    int avx512;
    const c2_ukernel_fn kernel = c2_gemm_ukernel(&avx512);
    const int M = d->out_channels, C = d->channels, tiles_w = (d->out_w + 1) / 2;
    float *v = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    float *p = v + 16 * VSTEP(C);
    run runs[TB];
    for (int t0 = tile_begin; t0 < tile_end; t0 += TB) {
        const int nt = imin(TB, tile_end - t0);
        const int nruns = c2_row_runs(t0, nt, tiles_w, runs);
#ifdef C2_X86
        if (avx512) input_avx512(d, runs, nruns, v);
        else
#endif
            input_generic(d, runs, nruns, v);
        /* C2_MR output channels at a time: P[ξ] (mr × nt) = U[ξ] (mr × C) · V[ξ] (C × nt), the
           channels in blocks of at most C2_KC, then back to outputs. */
        for (int m0 = m_begin; m0 < m_end; m0 += C2_MR) {
            const int mr = imin(C2_MR, m_end - m0);
            for (int xi = 0; xi < 16; xi++) {
                for (int k0 = 0; k0 < C; k0 += C2_KC) {
                    kernel(imin(C2_KC, C - k0), d->u + ((ptrdiff_t)xi * M + m0) * C + k0, C,
                           v + xi * VSTEP(C) + (ptrdiff_t)k0 * TB, p + (ptrdiff_t)xi * TB, 16 * TB, mr, nt,
                           k0 == 0 ? C2_INIT_ZERO : C2_INIT_ACCUMULATE, NULL, NULL, 0);
                }
            }
#ifdef C2_X86
            if (avx512) output_avx512(d, runs, nruns, p, m0, mr);
            else
#endif
                output_generic(d, runs, nruns, p, m0, mr);
        }
    }
}
