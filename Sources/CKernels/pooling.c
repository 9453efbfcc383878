#include "CKernels.h"

/*
 * 2-D NCHW pooling of whole channel planes, compiled per instruction set like
 * the element-wise loops (Swift's own code generation stops at SSE2). For each
 * output row the window's input rows are reduced into `row` (contiguous,
 * vectorised), then each interior output reduces its taps of `row` one tap at a
 * time (strided passes the compiler vectorises); clipped edge windows are done
 * one by one. Max is `v > m ? v : m` (NaN in m is kept, NaN in v is skipped),
 * sums are added in window order, so results match the reference loops bit for
 * bit whatever the instruction set.
 */

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef CLONES
#define CLONES
#endif

static inline int imax(int a, int b) { return a > b ? a : b; }
static inline int imin(int a, int b) { return a < b ? a : b; }

/* y[o] = reduce over j < k of s[o * stride + j], o in [lo, hi). */
static inline void hpool(const float *restrict s, float *restrict y, int lo, int hi, int k, int stride, int is_max) {
    for (int j = 0; j < k; j++) {
        const float *t = s + j;
        if (j == 0) {
            if (stride == 2) for (int o = lo; o < hi; o++) y[o] = t[2 * o];
            else for (int o = lo; o < hi; o++) y[o] = t[o * stride];
        } else if (is_max) {
            if (stride == 2) {
                for (int o = lo; o < hi; o++) { const float v = t[2 * o]; y[o] = v > y[o] ? v : y[o]; }
            } else if (stride == 1) {
                for (int o = lo; o < hi; o++) { const float v = t[o]; y[o] = v > y[o] ? v : y[o]; }
            } else {
                for (int o = lo; o < hi; o++) { const float v = t[o * stride]; y[o] = v > y[o] ? v : y[o]; }
            }
        } else {
            if (stride == 2) for (int o = lo; o < hi; o++) y[o] += t[2 * o];
            else if (stride == 1) for (int o = lo; o < hi; o++) y[o] += t[o];
            else for (int o = lo; o < hi; o++) y[o] += t[o * stride];
        }
    }
}

CLONES void c2_pool2d_planes(const float *x, float *y, long planes, const c2_pool2d *g, float *row) {
    const int iH = g->in_h, iW = g->in_w, oH = g->out_h, oW = g->out_w;
    const int kH = g->kernel_h, kW = g->kernel_w, sH = g->stride_h, sW = g->stride_w;
    const int pH = g->pad_h, pW = g->pad_w, is_max = g->is_max;
    const float full = (float)(kH * kW);
    if (kH == 2 && kW == 2 && sH == 2 && sW == 2 && pH == 0 && pW == 0 && 2 * oH <= iH && 2 * oW <= iW) {
        /* 2×2 stride-2 windows, all inside: one pass, no row buffer. */
        for (long pl = 0; pl < planes; pl++) {
            const float *xp = x + pl * (long)iH * iW;
            float *yp = y + pl * (long)oH * oW;
            for (int oh = 0; oh < oH; oh++) {
                const float *restrict r0 = xp + (long)2 * oh * iW, *restrict r1 = r0 + iW;
                float *restrict yr = yp + (long)oh * oW;
                if (is_max) {
                    for (int o = 0; o < oW; o++) {
                        const float a = r0[2 * o] > r0[2 * o + 1] ? r0[2 * o] : r0[2 * o + 1];
                        const float b = r1[2 * o] > r1[2 * o + 1] ? r1[2 * o] : r1[2 * o + 1];
                        yr[o] = a > b ? a : b;
                    }
                } else {
                    for (int o = 0; o < oW; o++) yr[o] = (r0[2 * o] + r0[2 * o + 1] + r1[2 * o] + r1[2 * o + 1]) * 0.25f;
                }
            }
        }
        return;
    }
    /* Interior outputs: windows inside the row. */
    const int lo = imin(oW, (pW + sW - 1) / sW);
    const int hi = iW + pW - kW < 0 ? lo : imax(lo, imin(oW, (iW + pW - kW) / sW + 1));
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * (long)iH * iW;
        float *yp = y + pl * (long)oH * oW;
        for (int oh = 0; oh < oH; oh++) {
            const int start = oh * sH - pH;
            const int h0 = imax(start, 0), h1 = imin(start + kH, iH);
            float *yr = yp + (long)oh * oW;
            if (h1 <= h0) {
                for (int o = 0; o < oW; o++) yr[o] = is_max ? -__builtin_inff() : 0.0f;
                continue;
            }
            const float *src = xp + (long)h0 * iW;
            if (h1 - h0 > 1) {
                for (int w = 0; w < iW; w++) row[w] = src[w];
                for (int h = h0 + 1; h < h1; h++) {
                    const float *restrict r = xp + (long)h * iW;
                    if (is_max) {
                        for (int w = 0; w < iW; w++) row[w] = r[w] > row[w] ? r[w] : row[w];
                    } else {
                        for (int w = 0; w < iW; w++) row[w] += r[w];
                    }
                }
                src = row;
            }
            if (lo < hi) {
                hpool(src - pW, yr, lo, hi, kW, sW, is_max);
                if (!is_max) {
                    const float scale = 1.0f / (g->include_pad ? full : (float)((h1 - h0) * kW));
                    for (int o = lo; o < hi; o++) yr[o] *= scale;
                }
            }
            for (int o = 0; o < oW; o++) {
                if (o == lo) o = imax(hi, lo);
                if (o >= oW) break;
                const int ws = o * sW - pW;
                const int w0 = imax(ws, 0), w1 = imin(ws + kW, iW);
                if (w1 <= w0) {
                    yr[o] = is_max ? -__builtin_inff() : 0.0f;
                    continue;
                }
                float acc = src[w0];
                if (is_max) {
                    for (int w = w0 + 1; w < w1; w++) acc = src[w] > acc ? src[w] : acc;
                    yr[o] = acc;
                } else {
                    for (int w = w0 + 1; w < w1; w++) acc += src[w];
                    yr[o] = acc / (g->include_pad ? full : (float)((h1 - h0) * (w1 - w0)));
                }
            }
        }
    }
}
