#ifndef CBASELINE_H
#define CBASELINE_H
#include <stddef.h>

/* Plain C loops: the baseline every Swift kernel is measured against. */
void c_reciprocal(const float *x, float *y, size_t n);
void c_reciprocal_inplace(float *y, size_t n);
void c_reciprocal_gradient(const float *y, const float *dy, float *dx, size_t n);
void c_reciprocal_gradient_inplace(const float *y, float *dydx, size_t n);

#endif
