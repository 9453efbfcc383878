#ifndef CKERNELS_GEMM_INTERNAL_H
#define CKERNELS_GEMM_INTERNAL_H
/* Shared between gemm.c and winograd.c; not part of the public headers. */
#include <stddef.h>

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define C2_X86 1
#endif

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

/* Indices [first, first + count) of a row-major grid `width` wide, split into runs along one row
   each: run r covers offsets [j, j + len) from `first`, the grid positions (row, col .. col + len − 1).
   Returns the number of runs. */
typedef struct {
    int j, len, row, col;
} c2_run;

static inline int c2_row_runs(int first, int count, int width, c2_run *r) {
    int n = 0;
    for (int j = 0; j < count;) {
        const int i = first + j, col = i % width;
        const int len = imin(count - j, width - col);
        r[n].j = j;
        r[n].len = len;
        r[n].row = i / width;
        r[n].col = col;
        n++;
        j += len;
    }
    return n;
}

#ifdef C2_X86
/* Lanes [lo, hi) of 16, clamped. */
static inline __mmask16 __attribute__((target("avx512f"))) mask_range(int lo, int hi) {
    lo = imax(lo, 0);
    hi = imin(hi, 16);
    if (hi <= lo) return 0;
    return (__mmask16)(((1u << (hi - lo)) - 1) << lo);
}
#endif

/* Register tile of the micro-kernels and the most rows of A one call may take (the AVX2 edge
   path copies A rows into a local buffer of this many floats). */
#define C2_MR 8
#define C2_NR 32
#define C2_KC 256

/* C tile (mr ≤ C2_MR rows × nr ≤ C2_NR columns at c, leading dimension ldc) = init + A rows
   (a, lda; kc ≤ C2_KC columns) · panel p (kc rows of C2_NR floats, 64-byte aligned). */
typedef void (*c2_ukernel_fn)(int kc, const float *a, ptrdiff_t lda, const float *p, float *c, ptrdiff_t ldc,
                              int mr, int nr, int init, const float *brow, const float *bcol, int relu);

/* The micro-kernel the CPU (or C2_GEMM_ISA) selects; *avx512 says whether it is the AVX-512 one. */
c2_ukernel_fn c2_gemm_ukernel(int *avx512);

/* Whether the kernel set in use is AVX-512 (other kernels with AVX-512 code follow it). */
static inline int c2_kernels_avx512(void) {
    int avx512;
    (void)c2_gemm_ukernel(&avx512);
    return avx512;
}

#endif
