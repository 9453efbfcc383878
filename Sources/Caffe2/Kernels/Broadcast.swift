import RealModule

// Broadcasting for element-wise kernels: the two shape rules Caffe2 uses
// (numpy-style and the legacy `broadcast=1, axis=` form), a strided layout
// that walks an output and the operands broadcast into it one contiguous row
// at a time, and the loops built on it (binary maps, sums of a gradient over
// the broadcast axes, expansion of a reduced tensor back to full size).
//
// Every loop's innermost level runs over the last (merged) dimension, where
// each operand's stride is 0 (broadcast) or 1 (contiguous); the four stride
// combinations are separate counted loops so LLVM can vectorise each.

/// Broadcast shape rules of Caffe2's element-wise operators.
///
/// ```swift
/// try Broadcast.numpyDims([2, 3, 4], [3, 1])                // [2, 3, 4]
/// try Broadcast.numpyDims([2, 3], [4])                      // throws "A_dim: 3,B_dim: 4"
/// try Broadcast.legacySizes([2, 3, 4, 5], [3, 4], axis: 1)  // (pre: 2, n: 12, post: 5)
/// ```
public enum Broadcast {
    /// Caffe2's `ComputeBinaryBroadcastForwardDims`: right-aligns `a` and `b`;
    /// each aligned pair must be equal or contain a 1; the output dim is the
    /// larger one (0 when either is 0). Leading dims of the longer shape are
    /// copied, so a 0-d tensor broadcasts as a scalar.
    ///
    /// Throws a `.shape` error whose message is Caffe2's `"A_dim: a,B_dim: b"`.
    public static func numpyDims(_ a: [Int64], _ b: [Int64]) throws -> [Int64] {
        let n = max(a.count, b.count)
        var out = [Int64](repeating: 1, count: n)
        for i in 0..<n {
            let ia = i - (n - a.count)
            let ib = i - (n - b.count)
            switch (ia >= 0 ? a[ia] : nil, ib >= 0 ? b[ib] : nil) {
            case let (da?, db?):
                guard da == db || da == 1 || db == 1 else {
                    throw Caffe2Error(.shape, "A_dim: \(da),B_dim: \(db)")
                }
                out[i] = (da == 0 || db == 0) ? 0 : max(da, db)
            case let (da?, nil): out[i] = da
            case let (nil, db?): out[i] = db
            case (nil, nil): break
            }
        }
        return out
    }

    /// Caffe2's `ComputeLegacyBroadcastSizes`: `b` (with its leading and
    /// trailing 1-dims stripped) must match `a`'s dims starting at `axis`
    /// (`-1` means "align to the end"). `a` is then seen as `pre × n × post`
    /// and `b` as `n`.
    ///
    /// Throws Caffe2's messages: "If you are doing broadcasting, input1 should
    /// have a smaller or equal number of dimensions.", "Broadcast axis should
    /// be in the range of[0, A.ndim() - B.ndim()], but axis = …" and
    /// "Broadcast dimension mismatch.".
    public static func legacySizes(_ a: [Int64], _ b: [Int64], axis: Int) throws -> (pre: Int, n: Int, post: Int) {
        guard a.count >= b.count else {
            throw Caffe2Error(
                .shape,
                "If you are doing broadcasting, input1 should have a smaller or equal number of dimensions. (A has \(a.count) dims \(a), B has \(b.count) dims \(b))"
            )
        }
        let axis = axis == -1 ? a.count - b.count : axis
        guard axis >= 0, axis <= a.count - b.count else {
            throw Caffe2Error(
                .argument, "Broadcast axis should be in the range of[0, A.ndim() - B.ndim()], but axis = \(axis)")
        }
        var start = 0
        while start < b.count && b[start] == 1 { start += 1 }
        var end = b.count - 1
        while end >= start && b[end] == 1 { end -= 1 }
        var pre = 1
        var n = 1
        var post = 1
        for i in 0..<(axis + start) { pre *= Int(a[i]) }
        if start <= end {
            for i in start...end {
                guard a[i + axis] == b[i] else {
                    throw Caffe2Error(
                        .shape,
                        "Broadcast dimension mismatch. (A \(a) dim \(i + axis) is \(a[i + axis]), B \(b) dim \(i) is \(b[i]), axis \(axis))"
                    )
                }
                n *= Int(b[i])
            }
        }
        for i in (axis + end + 1)..<a.count { post *= Int(a[i]) }
        return (pre, n, post)
    }

    /// The numpy-style dims Caffe2's legacy path runs with: `a` as
    /// `[pre, n, post]` and `b` as `[n, 1]`, or `[count(a)]` and `[1]` when `b`
    /// holds a single element.
    public static func legacyDims(_ a: [Int64], _ b: [Int64], axis: Int) throws -> (a: [Int64], b: [Int64]) {
        let bCount = b.reduce(1, *)
        if bCount == 1 { return ([a.reduce(1, *)], [1]) }
        let s = try legacySizes(a, b, axis: axis)
        return ([Int64(s.pre), Int64(s.n), Int64(s.post)], [Int64(s.n), 1])
    }
}

/// How an element-wise loop walks a contiguous output and operands broadcast
/// into it (numpy rules: operand dims right-aligned, each 1 or equal to the
/// output's).
///
/// The output dims are simplified once: dims of size 1 are dropped and
/// neighbours every operand walks the same way are merged. What remains is a
/// list of `outerCount` rows of `innerCount` elements; along a row each
/// operand's stride is 0 (broadcast) or 1.
///
/// ```swift
/// // A [2, 3, 4] + B [2, 1, 1]: 2 rows of 12, B's inner stride is 0
/// let layout = try BroadcastLayout(output: [2, 3, 4], operands: [[2, 3, 4], [2, 1, 1]])
/// layout.dims              // [2, 12]
/// layout.innerStride(1)    // 0
/// layout.forEachRow { offsets, row in
///     // row `row` of the output starts at row * innerCount,
///     // operand k's elements for it start at offsets[k]
/// }
/// ```
public struct BroadcastLayout: Sendable {
    /// The simplified output dims (at least one).
    public let dims: [Int]
    /// `strides[k][d]`: operand `k`'s element stride along `dims[d]` (0 where it is broadcast).
    public let strides: [[Int]]
    /// Elements in the output.
    public let count: Int

    /// Builds the layout; throws a `.shape` error if an operand has more dims
    /// than the output or a dim that is neither 1 nor the output's.
    public init(output: [Int64], operands: [[Int64]]) throws {
        var full: [[Int]] = []
        for (k, op) in operands.enumerated() {
            guard op.count <= output.count else {
                throw Caffe2Error(.shape, "operand \(k) \(op) has more dims than the broadcast output \(output)")
            }
            var s = [Int](repeating: 0, count: output.count)
            var step = 1
            for j in stride(from: op.count - 1, through: 0, by: -1) {
                let i = j + output.count - op.count
                if op[j] == output[i] {
                    s[i] = step
                } else if op[j] != 1 {
                    throw Caffe2Error(.shape, "operand \(k) \(op) cannot be broadcast to \(output)")
                }
                step *= Int(op[j])
            }
            full.append(s)
        }
        var dims: [Int] = []
        var strides = [[Int]](repeating: [], count: operands.count)
        for i in output.indices where output[i] != 1 {
            let d = Int(output[i])
            if let last = dims.indices.last,
                (0..<operands.count).allSatisfy({ strides[$0][last] == full[$0][i] * d })
            {
                dims[last] *= d
                for k in 0..<operands.count { strides[k][last] = full[k][i] }
            } else {
                dims.append(d)
                for k in 0..<operands.count { strides[k].append(full[k][i]) }
            }
        }
        if dims.isEmpty {
            dims = [1]
            strides = strides.map { _ in [0] }
        }
        self.dims = dims
        self.strides = strides
        self.count = dims.reduce(1, *)
    }

    /// Elements per row (the last simplified dim).
    public var innerCount: Int { dims[dims.count - 1] }

    /// Rows in the output (0 when it is empty).
    public var outerCount: Int { count == 0 ? 0 : count / innerCount }

    /// Operand `k`'s stride along a row: 0 (broadcast) or 1.
    public func innerStride(_ k: Int) -> Int { strides[k][dims.count - 1] }

    /// Whether operand `k` has as many elements as the output (is not
    /// broadcast along any dim), so its elements are in output order.
    public func isFullSize(_ k: Int) -> Bool {
        zip(dims, strides[k]).allSatisfy { $0.0 == 1 || $0.1 != 0 }
    }

    /// Where each operand's elements for one row start, moved row by row.
    ///
    /// ```swift
    /// var cursor = layout.cursor(at: 0)
    /// for row in 0..<layout.outerCount {
    ///     let a = aData + cursor.offsets[0]   // operand 0's elements for this row
    ///     ...
    ///     cursor.advance()
    /// }
    /// ```
    public struct Cursor: Sendable {
        /// `offsets[k]`: where operand `k`'s elements for the current row start.
        public private(set) var offsets: [Int]
        private var index: [Int]
        private let dims: [Int]
        private let strides: [[Int]]

        init(_ layout: BroadcastLayout, row: Int) {
            dims = layout.dims
            strides = layout.strides
            let outer = dims.count - 1
            index = [Int](repeating: 0, count: outer)
            var rest = row
            for d in stride(from: outer - 1, through: 0, by: -1) where dims[d] > 0 {
                index[d] = rest % dims[d]
                rest /= dims[d]
            }
            let start = index
            offsets = layout.strides.map { s in (0..<outer).reduce(0) { $0 + start[$1] * s[$1] } }
        }

        /// Moves to the next row.
        @inline(__always)
        public mutating func advance() {
            var d = index.count - 1
            while d >= 0 {
                index[d] += 1
                for k in offsets.indices { offsets[k] += strides[k][d] }
                if index[d] < dims[d] { return }
                for k in offsets.indices { offsets[k] -= strides[k][d] * dims[d] }
                index[d] = 0
                d -= 1
            }
        }
    }

    /// A cursor positioned at row `row`.
    public func cursor(at row: Int) -> Cursor { Cursor(self, row: row) }

    /// Calls `body` once with every row, on this thread.
    ///
    /// The generic loops below take their element operation as a closure; a
    /// closure captured across threads is neither inlined nor vectorised
    /// (measured 4–8× slower), so they stay on one thread. Callers that know
    /// the operation as a type use ``forRowChunksInParallel(_:)``.
    @inline(__always)
    public func forRowChunks(_ body: (Range<Int>) -> Void) {
        body(0..<outerCount)
    }

    /// Calls `body` with contiguous ranges of rows that together cover every
    /// row once, on several threads when the output is large (`body` must then
    /// write disjoint memory for different rows). `body` should name its
    /// element operation statically (a generic functor type), not through a
    /// captured closure.
    @inline(__always)
    public func forRowChunksInParallel(_ body: (Range<Int>) -> Void) {
        Parallel.forChunks(outerCount, minPerThread: Swift.max(1, Parallel.minElementsPerThread / Swift.max(innerCount, 1)), body)
    }

    /// Calls `body(offsets, row)` for every row in order on this thread;
    /// `offsets[k]` is where operand `k`'s elements for that row start.
    public func forEachRow(_ body: (_ offsets: [Int], _ row: Int) -> Void) {
        var cursor = cursor(at: 0)
        for row in 0..<outerCount {
            body(cursor.offsets, row)
            cursor.advance()
        }
    }
}

/// An element type whose values broadcast loops can sum.
///
/// `accumulate` may be reassociated (floating-point sums use
/// `Relaxed.sum`, so reduction loops vectorise); integer sums wrap around.
public protocol SummableElement: TensorElement {
    /// `a + b`, free to be reassociated.
    static func accumulate(_ a: Self, _ b: Self) -> Self
}

extension Float: SummableElement {
    /// `Relaxed.sum(a, b)`.
    @inline(__always) public static func accumulate(_ a: Float, _ b: Float) -> Float { Relaxed.sum(a, b) }
}

extension Double: SummableElement {
    /// `Relaxed.sum(a, b)`.
    @inline(__always) public static func accumulate(_ a: Double, _ b: Double) -> Double { Relaxed.sum(a, b) }
}

extension Int32: SummableElement {
    /// `a &+ b`.
    @inline(__always) public static func accumulate(_ a: Int32, _ b: Int32) -> Int32 { a &+ b }
}

extension Int64: SummableElement {
    /// `a &+ b`.
    @inline(__always) public static func accumulate(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
}

// MARK: Loops

/// `c = f(a, b)` over a layout with operands `[a, b]`; `c` (contiguous, the
/// layout's output) may be the same buffer as `a` or `b` when that operand is
/// full-size. Large outputs are split across threads.
///
/// ```swift
/// // C [2, 3] = A [2, 3] + B [3]
/// let layout = try BroadcastLayout(output: [2, 3], operands: [[2, 3], [3]])
/// broadcastBinary(layout, a, b, c) { $0 + $1 }
/// ```
@inline(__always)
public func broadcastBinary<T>(
    _ layout: BroadcastLayout, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>,
    _ f: (T, T) -> T
) {
    let n = layout.innerCount
    let sa = layout.innerStride(0)
    let sb = layout.innerStride(1)
    layout.forRowChunks { rows in
        var cursor = layout.cursor(at: rows.lowerBound)
        for row in rows {
            broadcastBinaryRow(a + cursor.offsets[0], sa, b + cursor.offsets[1], sb, c + row * n, n, f)
            cursor.advance()
        }
    }
}

/// One output row of a broadcast binary operation: `c[i] = f(a[i·sa], b[i·sb])`
/// for `i < n`, with each stride 1 (a full row) or 0 (one value repeated), and
/// `c` possibly the same memory as a full-row `a` or `b`. Each case is its own
/// loop so that every one of them vectorises; shared by the closure-based loop
/// above and the functor-based threaded loops of the arithmetic operators.
@inline(__always)
func broadcastBinaryRow<T>(
    _ ap: UnsafePointer<T>, _ sa: Int, _ bp: UnsafePointer<T>, _ sb: Int, _ cp: UnsafeMutablePointer<T>, _ n: Int,
    _ f: (T, T) -> T
) {
    let cc = UnsafePointer(cp)
    if sa == 1 && sb == 1 {
        mapBinary(ap, bp, cp, n, f)
    } else if sa == 1 {
        let y = bp[0]
        if cc == ap {
            for i in 0..<n { cp[i] = f(cp[i], y) }
        } else {
            for i in 0..<n { cp[i] = f(ap[i], y) }
        }
    } else if sb == 1 {
        let x = ap[0]
        if cc == bp {
            for i in 0..<n { cp[i] = f(x, cp[i]) }
        } else {
            for i in 0..<n { cp[i] = f(x, bp[i]) }
        }
    } else {
        let v = f(ap[0], bp[0])
        for i in 0..<n { cp[i] = v }
    }
}

/// `c = f(a, b)` over a layout with operands `[a, b]` where the result type
/// differs from the inputs' (comparisons); `c` must not overlap `a` or `b`.
@inline(__always)
public func broadcastBinaryConverting<T, U>(
    _ layout: BroadcastLayout, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<U>,
    _ f: (T, T) -> U
) {
    let n = layout.innerCount
    let sa = layout.innerStride(0)
    let sb = layout.innerStride(1)
    layout.forRowChunks { rows in
        var cursor = layout.cursor(at: rows.lowerBound)
        for row in rows {
            let ap = a + cursor.offsets[0]
            let bp = b + cursor.offsets[1]
            cursor.advance()
            let cp = c + row * n
            if sa == 1 && sb == 1 {
                for i in 0..<n { cp[i] = f(ap[i], bp[i]) }
            } else if sa == 1 {
                let y = bp[0]
                for i in 0..<n { cp[i] = f(ap[i], y) }
            } else if sb == 1 {
                let x = ap[0]
                for i in 0..<n { cp[i] = f(x, bp[i]) }
            } else {
                let v = f(ap[0], bp[0])
                for i in 0..<n { cp[i] = v }
            }
        }
    }
}

/// `z = f(x, y)` over `n` elements where the result type differs from the
/// inputs'; `z` must not overlap `x` or `y`. On this thread, so `f` is
/// inlined and the loop vectorised (see ``BroadcastLayout/forRowChunks(_:)``).
@inline(__always)
public func mapBinaryConverting<T, U>(
    _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<U>, _ n: Int, _ f: (T, T) -> U
) {
    for i in 0..<n { z[i] = f(x[i], y[i]) }
}

/// Sums a full-size expression into the shape of one operand: the gradient
/// of a broadcast input, or a reduction.
///
/// For every output position `o` of `layout`, `f(s1[o], s2[o], r[off])` is
/// added into `dst` at operand `target`'s position, where `s1` and `s2` are
/// contiguous and output-shaped and `r` is operand `other`'s data (`off` is
/// `other`'s position for `o`). `dst` holds `dstCount` elements (operand
/// `target`'s count). When the target is full-size this is a plain map that
/// may run in place over `s1`; otherwise `dst` is zeroed first and must not
/// overlap the sources.
///
/// ```swift
/// // dB = sum of dC over the axes where B [3, 1] was broadcast into C [2, 3, 4]
/// let layout = try BroadcastLayout(output: [2, 3, 4], operands: [[2, 3, 4], [3, 1]])
/// reduceIntoOperand(layout, target: 1, other: 1, dC, dC, b, dB, count: 3) { g, _, _ in g }
/// ```
@inline(__always)
public func reduceIntoOperand<T: SummableElement>(
    _ layout: BroadcastLayout, target: Int, other: Int,
    _ s1: UnsafePointer<T>, _ s2: UnsafePointer<T>, _ r: UnsafePointer<T>,
    _ dst: UnsafeMutablePointer<T>, count dstCount: Int,
    _ f: (T, T, T) -> T
) {
    let n = layout.innerCount
    let su = layout.innerStride(other)
    if dstCount == layout.count {
        // Not broadcast: dst is in output order.
        layout.forRowChunks { rows in
            var cursor = layout.cursor(at: rows.lowerBound)
            for row in rows {
                let rp = r + cursor.offsets[other]
                cursor.advance()
                let o = row * n
                let p = s1 + o
                let q = s2 + o
                let dp = dst + o
                if su == 1 {
                    for i in 0..<n { dp[i] = f(p[i], q[i], rp[i]) }
                } else {
                    let rv = rp[0]
                    for i in 0..<n { dp[i] = f(p[i], q[i], rv) }
                }
            }
        }
        return
    }
    for i in 0..<dstCount { dst[i] = T.zero }
    let st = layout.innerStride(target)
    var cursor = layout.cursor(at: 0)
    for row in 0..<layout.outerCount {
        let rp = r + cursor.offsets[other]
        let dp = dst + cursor.offsets[target]
        cursor.advance()
        let o = row * n
        let p = s1 + o
        let q = s2 + o
        if st == 1 {
            if su == 1 {
                for i in 0..<n { dp[i] = T.accumulate(dp[i], f(p[i], q[i], rp[i])) }
            } else {
                let rv = rp[0]
                for i in 0..<n { dp[i] = T.accumulate(dp[i], f(p[i], q[i], rv)) }
            }
        } else {
            var acc = T.zero
            if su == 1 {
                for i in 0..<n { acc = T.accumulate(acc, f(p[i], q[i], rp[i])) }
            } else {
                let rv = rp[0]
                for i in 0..<n { acc = T.accumulate(acc, f(p[i], q[i], rv)) }
            }
            dp[0] = T.accumulate(dp[0], acc)
        }
    }
}

/// Expands operand `source` of `layout` to the full output: for every
/// output position `o`, `dst[o] = f(src[off])`, where `off` is the operand's
/// position for `o`. The gradient of a reduction (`dst` is contiguous and
/// output-shaped, and must not overlap `src`).
///
/// ```swift
/// // dX [2, 3] = dY [2, 1] repeated along axis 1
/// let layout = try BroadcastLayout(output: [2, 3], operands: [[2, 1]])
/// expandFromOperand(layout, source: 0, dY, dX) { $0 }
/// ```
@inline(__always)
public func expandFromOperand<T>(
    _ layout: BroadcastLayout, source: Int, _ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>,
    _ f: (T) -> T
) {
    let n = layout.innerCount
    let ss = layout.innerStride(source)
    layout.forRowChunks { rows in
        var cursor = layout.cursor(at: rows.lowerBound)
        for row in rows {
            let sp = src + cursor.offsets[source]
            cursor.advance()
            let dp = dst + row * n
            if ss == 1 {
                for i in 0..<n { dp[i] = f(sp[i]) }
            } else {
                let v = f(sp[0])
                for i in 0..<n { dp[i] = v }
            }
        }
    }
}
