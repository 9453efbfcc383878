#include "CBaseline.h"

void c_reciprocal(const float *restrict x, float *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 1.0f / x[i];
}

void c_reciprocal_inplace(float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 1.0f / y[i];
}

void c_reciprocal_gradient(const float *restrict y, const float *restrict dy, float *restrict dx, size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = -dy[i] * y[i] * y[i];
}

void c_reciprocal_gradient_inplace(const float *restrict y, float *restrict dydx, size_t n) {
    for (size_t i = 0; i < n; i++) dydx[i] = -dydx[i] * y[i] * y[i];
}
