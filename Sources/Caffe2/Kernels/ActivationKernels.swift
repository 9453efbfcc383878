import Foundation

// Raw float32 loops for the activation, softmax, loss and dropout operators
// (Operators/Activations.swift, Operators/Losses.swift). Every function works
// on pointers the caller has already validated; outputs may be the same
// buffer as the input they replace where the operator allows in-place runs.

/// Loops of the activation and loss operators.
enum ActivationKernels {
    /// Elements per thread for loops that call `exp`/`log`/`tanh` per element:
    /// about ten times the work of a plain arithmetic element, so threads pay
    /// off at a smaller size than ``Parallel/minElementsPerThread``.
    static let transcendentalElementsPerThread = 16_384

    /// `y[i] = f(x[i])` for maps that call a transcendental function; `y` may be `x`.
    @inline(__always)
    static func mapHeavy(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ f: (Float) -> Float
    ) {
        if x == UnsafePointer(y) {
            Parallel.forChunks(n, minPerThread: transcendentalElementsPerThread) { r in
                let p = y + r.lowerBound
                for i in 0..<r.count { p[i] = f(p[i]) }
            }
        } else {
            Parallel.forChunks(n, minPerThread: transcendentalElementsPerThread) { r in
                let xp = x + r.lowerBound
                let yp = y + r.lowerBound
                for i in 0..<r.count { yp[i] = f(xp[i]) }
            }
        }
    }

    /// Runs `body` over contiguous ranges of `rows` rows of `cols` elements,
    /// one range per thread when the matrix is large, else once on this thread.
    @inline(__always)
    static func forRows(
        _ rows: Int, _ cols: Int, minPerThread: Int = transcendentalElementsPerThread, _ body: (Range<Int>) -> Void
    ) {
        let chunks = min(Parallel.threadCount, rows, (rows * cols) / max(minPerThread, 1))
        if chunks <= 1 {
            body(0..<rows)
            return
        }
        Parallel.forEach(chunks) { c in
            body((rows * c / chunks)..<(rows * (c + 1) / chunks))
        }
    }

    // MARK: Element-wise activations

    /// `y = max(x, 0)` (NaN stays NaN), split over the cores for large tensors.
    @inline(never)
    static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        Parallel.forChunks(n) { r in mapUnary(x + r.lowerBound, y + r.lowerBound, r.count) { $0 < 0 ? 0 : $0 } }
    }

    /// `y = max(y, 0)` in place on the calling thread, bit for bit like ``relu(_:_:count:)``
    /// (for kernels that apply a fused Relu to blocks of their output).
    @inline(never)
    static func reluSerial(_ y: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] = y[i] < 0 ? 0 : y[i] }
    }

    /// `dx = dy` where `y > 0`, else 0.
    @inline(never)
    static func reluGradient(
        _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count n: Int
    ) {
        mapBinary(y, dy, dx, n) { y, dy in y > 0 ? dy : 0 }
    }

    /// `y = x` where `x ≥ 0`, else `alpha·x`.
    @inline(never)
    static func leakyRelu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int, alpha: Float) {
        mapUnary(x, y, n) { $0 >= 0 ? $0 : $0 * alpha }
    }

    /// `dx = dy` where `y ≥ 0`, else `alpha·dy`.
    @inline(never)
    static func leakyReluGradient(
        _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count n: Int,
        alpha: Float
    ) {
        mapBinary(y, dy, dx, n) { y, dy in y >= 0 ? dy : dy * alpha }
    }

    /// `y = 1 / (1 + e^(−x))`.
    @inline(never)
    static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        mapHeavy(x, y, n) { 1 / (1 + Foundation.exp(-$0)) }
    }

    /// `dx = dy·y·(1 − y)`.
    @inline(never)
    static func sigmoidGradient(
        _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count n: Int
    ) {
        mapBinary(y, dy, dx, n) { y, dy in dy * y * (1 - y) }
    }

    /// `y = tanh(x)`.
    @inline(never)
    static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        mapHeavy(x, y, n) { Foundation.tanh($0) }
    }

    /// `dx = dy·(1 − y²)`.
    @inline(never)
    static func tanhGradient(
        _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count n: Int
    ) {
        mapBinary(y, dy, dx, n) { y, dy in dy * (1 - y * y) }
    }

    /// `y = ln(1 + eˣ)`, without the max-shift (so `+inf` for `x` past about 88, as in Caffe2).
    @inline(never)
    static func softplus(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        mapHeavy(x, y, n) { Foundation.log1p(Foundation.exp($0)) }
    }

    /// `dx = dy·(1 − e^(−y))`.
    @inline(never)
    static func softplusGradient(
        _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count n: Int
    ) {
        if UnsafePointer(dx) == dy {
            Parallel.forChunks(n, minPerThread: transcendentalElementsPerThread) { r in
                let yp = y + r.lowerBound
                let g = dx + r.lowerBound
                for i in 0..<r.count { g[i] = g[i] * (1 - Foundation.exp(-yp[i])) }
            }
        } else {
            Parallel.forChunks(n, minPerThread: transcendentalElementsPerThread) { r in
                let yp = y + r.lowerBound
                let dyp = dy + r.lowerBound
                let g = dx + r.lowerBound
                for i in 0..<r.count { g[i] = dyp[i] * (1 - Foundation.exp(-yp[i])) }
            }
        }
    }

    /// `y = x` where `x ≥ 0`, else `alpha·(eˣ − 1)`.
    @inline(never)
    static func elu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int, alpha: Float) {
        mapHeavy(x, y, n) { $0 < 0 ? alpha * Foundation.expm1($0) : $0 }
    }

    /// `dx = dy` where `y ≥ 0`, else `dy·(y + alpha)`.
    @inline(never)
    static func eluGradient(
        _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count n: Int,
        alpha: Float
    ) {
        mapBinary(y, dy, dx, n) { y, dy in y < 0 ? dy * (y + alpha) : dy }
    }

    // MARK: PRelu

    /// PRelu over `outer × channels × inner` elements (NCHW: `inner` is H·W;
    /// NHWC: `inner` is 1 and `outer` is N·H·W). `slope` has `channels`
    /// entries, or one when `shared`. `y` may be `x`.
    @inline(never)
    static func prelu(
        _ x: UnsafePointer<Float>, _ slope: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        outer: Int, channels: Int, inner: Int, shared: Bool
    ) {
        let n = outer * channels * inner
        if shared {
            let s = slope[0]
            mapUnary(x, y, n) { $0 > 0 ? $0 : $0 * s }
            return
        }
        if inner == 1 {
            forRows(outer, channels, minPerThread: Parallel.minElementsPerThread) { rows in
                for o in rows {
                    let xp = x + o * channels
                    let yp = y + o * channels
                    for c in 0..<channels {
                        let v = xp[c]
                        yp[c] = v > 0 ? v : v * slope[c]
                    }
                }
            }
            return
        }
        forRows(outer * channels, inner, minPerThread: Parallel.minElementsPerThread) { planes in
            for p in planes {
                let s = slope[p % channels]
                let xp = x + p * inner
                let yp = y + p * inner
                for i in 0..<inner {
                    let v = xp[i]
                    yp[i] = v > 0 ? v : v * s
                }
            }
        }
    }

    /// PRelu gradient: `dx = dy` where `x > 0`, else `slope_c·dy`;
    /// `dslope_c = Σ_{x ≤ 0} dy·x` (one sum over everything when `shared`).
    @inline(never)
    static func preluGradient(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ slope: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>, _ dslope: UnsafeMutablePointer<Float>,
        outer: Int, channels: Int, inner: Int, shared: Bool
    ) {
        let slopeCount = shared ? 1 : channels
        var sums = [Double](repeating: 0, count: max(slopeCount, 1))
        sums.withUnsafeMutableBufferPointer { acc in
            for o in 0..<outer {
                for c in 0..<channels {
                    let k = shared ? 0 : c
                    let s = slope[k]
                    let base = (o * channels + c) * inner
                    if inner == 1 {
                        let v = x[base]
                        let g = dy[base]
                        if v > 0 {
                            dx[base] = g
                        } else {
                            dx[base] = s * g
                            acc[k] += Double(g * v)
                        }
                        continue
                    }
                    let xp = x + base
                    let gp = dy + base
                    let dp = dx + base
                    var partial: Float = 0
                    for i in 0..<inner {
                        let v = xp[i]
                        let g = gp[i]
                        let neg = v <= 0
                        dp[i] = neg ? s * g : g
                        partial += neg ? g * v : 0
                    }
                    acc[k] += Double(partial)
                }
            }
            for k in 0..<slopeCount { dslope[k] = Float(acc[k]) }
        }
    }

    // MARK: Softmax

    /// Largest element of `p[0..<n]` (`n ≥ 1`), with four running maxima.
    @inline(__always)
    static func rowMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m0 = p[0]
        var m1 = p[0]
        var m2 = p[0]
        var m3 = p[0]
        var j = 0
        while j + 4 <= n {
            m0 = p[j] > m0 ? p[j] : m0
            m1 = p[j + 1] > m1 ? p[j + 1] : m1
            m2 = p[j + 2] > m2 ? p[j + 2] : m2
            m3 = p[j + 3] > m3 ? p[j + 3] : m3
            j += 4
        }
        while j < n {
            m0 = p[j] > m0 ? p[j] : m0
            j += 1
        }
        return Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
    }

    /// Softmax of one row: `q = e^(p − max) / Σ e^(p − max)`. Returns the
    /// max and `ln Σ e^(p − max)` (the row's log-partition is their sum).
    @inline(__always)
    @discardableResult
    static func softmaxRow(_ p: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Float>, _ n: Int) -> (
        max: Float, logSum: Float
    ) {
        let m = rowMax(p, n)
        var s: Double = 0
        for j in 0..<n {
            let e = Foundation.exp(p[j] - m)
            q[j] = e
            s += Double(e)
        }
        let inv = Float(1 / s)
        for j in 0..<n { q[j] *= inv }
        return (m, Float(Foundation.log(s)))
    }

    /// Row-wise softmax of a `rows × cols` matrix, numerically stable
    /// (max-shifted); a row holding `+inf` or NaN becomes NaN.
    @inline(never)
    static func softmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        guard rows > 0, cols > 0 else { return }
        forRows(rows, cols) { r in
            for i in r { softmaxRow(x + i * cols, y + i * cols, cols) }
        }
    }

    /// Row-wise softmax gradient: `dx = y ⊙ (dy − ⟨dy, y⟩)`.
    @inline(never)
    static func softmaxGradient(
        _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, rows: Int,
        cols: Int
    ) {
        guard rows > 0, cols > 0 else { return }
        forRows(rows, cols, minPerThread: Parallel.minElementsPerThread) { r in
            for i in r {
                let yp = y + i * cols
                let gp = dy + i * cols
                let dp = dx + i * cols
                let dot = Float(dotProduct(yp, gp, cols))
                for j in 0..<cols { dp[j] = yp[j] * (gp[j] - dot) }
            }
        }
    }

    /// Row-wise softmax for SoftmaxWithLoss: writes the probabilities to `p`
    /// and each row's log-partition `ln Σ_j e^(x_ij)` (max-shifted) to
    /// `logPartition`, so that `ln P[i, j] = x[i, j] − logPartition[i]`.
    @inline(never)
    static func softmaxWithLogPartition(
        _ x: UnsafePointer<Float>, _ p: UnsafeMutablePointer<Float>, logPartition: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int
    ) {
        guard rows > 0, cols > 0 else { return }
        forRows(rows, cols) { r in
            for i in r {
                let (m, ls) = softmaxRow(x + i * cols, p + i * cols, cols)
                logPartition[i] = m + ls
            }
        }
    }

    // MARK: Reductions

    /// `Σ a[i]·b[i]` accumulated in double precision.
    @inline(__always)
    static func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Double {
        var s0: Float = 0
        var s1: Float = 0
        var s2: Float = 0
        var s3: Float = 0
        var total: Double = 0
        var j = 0
        // Blocks of 256 in float (vectorisable), summed into a double.
        while j < n {
            let end = Swift.min(n, j + 256)
            var k = j
            while k + 4 <= end {
                s0 += a[k] * b[k]
                s1 += a[k + 1] * b[k + 1]
                s2 += a[k + 2] * b[k + 2]
                s3 += a[k + 3] * b[k + 3]
                k += 4
            }
            while k < end {
                s0 += a[k] * b[k]
                k += 1
            }
            total += Double(s0) + Double(s1) + Double(s2) + Double(s3)
            s0 = 0
            s1 = 0
            s2 = 0
            s3 = 0
            j = end
        }
        return total
    }

    /// `Σ a[i]` accumulated in double precision.
    @inline(never)
    static func sum(_ a: UnsafePointer<Float>, _ n: Int) -> Double {
        var s0: Float = 0
        var s1: Float = 0
        var s2: Float = 0
        var s3: Float = 0
        var total: Double = 0
        var j = 0
        while j < n {
            let end = Swift.min(n, j + 256)
            var k = j
            while k + 4 <= end {
                s0 += a[k]
                s1 += a[k + 1]
                s2 += a[k + 2]
                s3 += a[k + 3]
                k += 4
            }
            while k < end {
                s0 += a[k]
                k += 1
            }
            total += Double(s0) + Double(s1) + Double(s2) + Double(s3)
            s0 = 0
            s1 = 0
            s2 = 0
            s3 = 0
            j = end
        }
        return total
    }

    /// Fills `n` floats with `value`.
    @inline(never)
    static func fill(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ value: Float) {
        if n > 0 { p.update(repeating: value, count: n) }
    }

    /// `y = x · scale`; `y` may be `x`.
    @inline(never)
    static func scale(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int, by s: Float) {
        mapUnary(x, y, n) { $0 * s }
    }

    // MARK: Dropout

    /// `y = x · mask · scale` with a fresh Bernoulli(`keep`) mask drawn from `rng`; `y` may be `x`.
    @inline(never)
    static func dropout(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ mask: UnsafeMutablePointer<Bool>,
        count n: Int, keep: Double, scale: Float, rng: inout RandomStream
    ) {
        for i in 0..<n {
            let k = rng.nextDouble() < keep
            mask[i] = k
            y[i] = k ? x[i] * scale : 0
        }
    }

    /// `dx = dy · mask · scale`; `dx` may be `dy`.
    @inline(never)
    static func dropoutGradient(
        _ dy: UnsafePointer<Float>, _ mask: UnsafePointer<Bool>, _ dx: UnsafeMutablePointer<Float>, count n: Int,
        scale: Float
    ) {
        Parallel.forChunks(n) { r in
            let g = dy + r.lowerBound
            let m = mask + r.lowerBound
            let d = dx + r.lowerBound
            for i in 0..<r.count { d[i] = m[i] ? g[i] * scale : 0 }
        }
    }
}
