#include "CKernelsPooling.h"
#include "gemm_internal.h"

#include <math.h>

/* Columns of -inf after the reduced row: the vector loop reads up to 2·out + 31 < width + 34. */
#define TAIL 34

size_t c2_maxpool3s2_scratch_floats(int width) { return (size_t)width + TAIL; }

static void row_generic(const float *row, ptrdiff_t stride, int nrows, int width, float *y, int out, float *v) {
    for (int w = 0; w < width; w++) {
        float m = row[w];
        for (int r = 1; r < nrows; r++) {
            const float x = row[r * stride + w];
            m = x > m ? x : m;
        }
        v[w] = m;
    }
    for (int i = 0; i < TAIL; i++) v[width + i] = -INFINITY;
    for (int o = 0; o < out; o++) {
        float m = v[2 * o];
        const float a = v[2 * o + 1], b = v[2 * o + 2];
        m = a > m ? a : m;
        m = b > m ? b : m;
        y[o] = m;
    }
}

#ifdef C2_X86
__attribute__((target("avx512f"))) static void row_avx512(const float *row, ptrdiff_t stride, int nrows, int width,
                                                          float *y, int out, float *v) {
    /* _mm512_max_ps(x, m) is x > m ? x : m lane by lane (m when either is NaN). */
    for (int w = 0; w < width; w += 16) {
        const __mmask16 m = mask_range(0, width - w);
        __m512 acc = _mm512_maskz_loadu_ps(m, row + w);
        for (int r = 1; r < nrows; r++) acc = _mm512_max_ps(_mm512_maskz_loadu_ps(m, row + r * stride + w), acc);
        _mm512_mask_storeu_ps(v + w, m, acc);
    }
    for (int i = 0; i < TAIL; i++) v[width + i] = -INFINITY;
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    for (int o = 0; o < out; o += 16) {
        const float *s = v + 2 * o;
        const __m512 a = _mm512_loadu_ps(s), b = _mm512_loadu_ps(s + 16);
        const __m512 c = _mm512_loadu_ps(s + 2), d = _mm512_loadu_ps(s + 18);
        __m512 acc = _mm512_permutex2var_ps(a, even, b);
        acc = _mm512_max_ps(_mm512_permutex2var_ps(a, odd, b), acc);
        acc = _mm512_max_ps(_mm512_permutex2var_ps(c, even, d), acc);
        _mm512_mask_storeu_ps(y + o, mask_range(0, out - o), acc);
    }
}
#endif

void c2_maxpool3s2_row(const float *row, ptrdiff_t stride, int nrows, int width, float *y, int out, float *scratch) {
#ifdef C2_X86
    if (c2_kernels_avx512()) {
        row_avx512(row, stride, nrows, width, y, out, scratch);
        return;
    }
#endif
    row_generic(row, stride, nrows, width, y, out, scratch);
}
