// Element-wise loops over raw pointers. Each loop is written once, generic
// and always inlined into a concrete caller, so LLVM sees a plain counted
// loop it can vectorise. Input and output may be the same buffer (in-place
// operators); that case runs a separate single-pointer loop, because the
// vectoriser's runtime overlap check would otherwise send an exactly aliased
// call down the scalar fallback.

/// `y[i] = f(x[i])` for `i` in `0..<n`, split across cores above the threshold.
@inline(__always)
public func mapUnary<T>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ f: (T) -> T) {
    if x == UnsafePointer(y) {
        Parallel.forChunks(n) { r in
            let p = y + r.lowerBound
            for i in 0..<r.count { p[i] = f(p[i]) }
        }
    } else {
        Parallel.forChunks(n) { r in
            let xp = x + r.lowerBound
            let yp = y + r.lowerBound
            for i in 0..<r.count { yp[i] = f(xp[i]) }
        }
    }
}

/// `z[i] = f(a[i], b[i])`; `z` may be the same buffer as `a` or `b`.
@inline(__always)
public func mapBinary<T>(
    _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>, _ n: Int, _ f: (T, T) -> T
) {
    let zc = UnsafePointer(z)
    if zc == a {
        Parallel.forChunks(n) { r in
            let zp = z + r.lowerBound
            let bp = b + r.lowerBound
            for i in 0..<r.count { zp[i] = f(zp[i], bp[i]) }
        }
    } else if zc == b {
        Parallel.forChunks(n) { r in
            let zp = z + r.lowerBound
            let ap = a + r.lowerBound
            for i in 0..<r.count { zp[i] = f(ap[i], zp[i]) }
        }
    } else {
        Parallel.forChunks(n) { r in
            let ap = a + r.lowerBound
            let bp = b + r.lowerBound
            let zp = z + r.lowerBound
            for i in 0..<r.count { zp[i] = f(ap[i], bp[i]) }
        }
    }
}

// MARK: Reciprocal

/// `y = 1 / x` over float32 (IEEE: 1/±0 = ±inf, NaN stays NaN); `y` may be `x`.
@inline(never)
public func reciprocal(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
    mapUnary(x, y, n) { 1 / $0 }
}

/// `y = 1 / x` over float64; `y` may be `x`.
@inline(never)
public func reciprocal(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int) {
    mapUnary(x, y, n) { 1 / $0 }
}

/// `dx = -dy * y * y` over float32 in one pass; `dx` may be `dy` (or `y`).
@inline(never)
public func reciprocalGradient(
    _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count n: Int
) {
    mapBinary(y, dy, dx, n) { y, dy in -dy * y * y }
}

/// `dx = -dy * y * y` over float64 in one pass; `dx` may be `dy` (or `y`).
@inline(never)
public func reciprocalGradient(
    _ y: UnsafePointer<Double>, _ dy: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>, count n: Int
) {
    mapBinary(y, dy, dx, n) { y, dy in -dy * y * y }
}
