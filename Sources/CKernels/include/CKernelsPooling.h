#ifndef CKERNELS_POOLING_H
#define CKERNELS_POOLING_H
#include <stddef.h>

/*
 * One output row of a 3×3, stride-2 max pooling without head padding (SqueezeNet's, AlexNet's and
 * GoogLeNet's pools; a window clipped by the right edge, as Caffe's ceil mode makes the last one,
 * takes the columns inside the row):
 *
 *   v[w] = max over the nrows (1 to 3) input rows at `row`, `row + stride`, ... of column w
 *   y[o] = max(v[2o], v[2o + 1], v[2o + 2]) over the columns below `width`   (o < out, 2(out − 1) < width)
 *
 * Each max is `x > m ? x : m` taken in that order (the later row or column against the running
 * value), so NaN, −0 and +0 come out exactly as from the plain loops. `scratch` holds
 * c2_maxpool3s2_scratch_floats(width) floats. AVX-512 where the GEMM kernels use it.
 */
size_t c2_maxpool3s2_scratch_floats(int width);
void c2_maxpool3s2_row(const float *row, ptrdiff_t stride, int nrows, int width, float *y, int out, float *scratch);

#endif
