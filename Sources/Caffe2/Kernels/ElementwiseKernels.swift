import CKernels

// Element-wise loops over raw pointers. Each loop is written once, generic
// and always inlined into a concrete caller, so LLVM sees a plain counted
// loop it can vectorise. Input and output may be the same buffer (in-place
// operators); that case runs a separate single-pointer loop, because the
// vectoriser's runtime overlap check would otherwise send an exactly aliased
// call down the scalar fallback.

/// `y[i] = f(x[i])` for `i` in `0..<n`, on the calling thread; `y` may be `x`.
///
/// Call it from a concrete (non-generic) function with a closure literal, so
/// the loop is specialised and vectorised; to use several cores, split the
/// range with ``Parallel/forChunks(_:minPerThread:_:)`` around calls to that
/// concrete function (a closure captured across threads is not vectorised).
@inline(__always)
public func mapUnary<T>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ f: (T) -> T) {
    if x == UnsafePointer(y) {
        for i in 0..<n { y[i] = f(y[i]) }
    } else {
        for i in 0..<n { y[i] = f(x[i]) }
    }
}

/// `z[i] = f(a[i], b[i])` on the calling thread; `z` may be the same buffer as `a` or `b`.
/// Same usage rules as ``mapUnary(_:_:_:_:)``.
@inline(__always)
public func mapBinary<T>(
    _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>, _ n: Int, _ f: (T, T) -> T
) {
    let zc = UnsafePointer(z)
    if zc == a {
        for i in 0..<n { z[i] = f(z[i], b[i]) }
    } else if zc == b {
        for i in 0..<n { z[i] = f(a[i], z[i]) }
    } else {
        for i in 0..<n { z[i] = f(a[i], b[i]) }
    }
}

/// Runs a unary chunk kernel over `0..<n` split across cores above the threshold.
@inline(__always)
func parallelUnary<T>(
    _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int,
    _ kernel: (UnsafePointer<T>, UnsafeMutablePointer<T>, Int) -> Void
) {
    Parallel.forChunks(n) { r in kernel(x + r.lowerBound, y + r.lowerBound, r.count) }
}

/// Runs a binary chunk kernel over `0..<n` split across cores above the threshold.
@inline(__always)
func parallelBinary<T>(
    _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>, _ n: Int,
    _ kernel: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>, Int) -> Void
) {
    Parallel.forChunks(n) { r in kernel(a + r.lowerBound, b + r.lowerBound, z + r.lowerBound, r.count) }
}

// MARK: Reciprocal

// The loops live in CKernels (C compiled per instruction set and chosen at load
// time): with Swift's baseline SSE2 code generation 1/x tops out at 4-wide
// division, 0.83x of a C loop built with -march=native. Here they only get
// split across cores.

/// `y = 1 / x` over float32 (IEEE: 1/±0 = ±inf, NaN stays NaN); `y` may be `x`.
/// Split across cores above ``Parallel/minElementsPerThread`` per thread.
public func reciprocal(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
    parallelUnary(x, y, n) { c2_reciprocal_f32($0, $1, $2) }
}

/// `y = 1 / x` over float64; `y` may be `x`.
public func reciprocal(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
    parallelUnary(x, y, n) { c2_reciprocal_f64($0, $1, $2) }
}

/// `dx = -dy * y * y` over float32 in one pass; `dx` may be `dy` (or `y`).
public func reciprocalGradient(
    _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count n: Int
) {
    parallelBinary(y, dy, dx, n) { c2_reciprocal_gradient_f32($0, $1, $2, $3) }
}

/// `dx = -dy * y * y` over float64 in one pass; `dx` may be `dy` (or `y`).
public func reciprocalGradient(
    _ y: UnsafePointer<Double>, _ dy: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>, count n: Int
) {
    parallelBinary(y, dy, dx, n) { c2_reciprocal_gradient_f64($0, $1, $2, $3) }
}
