/// Reductions: ReduceSum and ReduceMean over a list of axes, and
/// ReduceFrontSum / ReduceBackSum / ReduceFrontMean / ReduceBackMean over
/// the first or last dims (with optional per-row lengths), with their gradients.
enum ReductionOperators {
    static let definitions: [OperatorDefinition] = [
        reduceOp("ReduceSum", mean: false, types: numericTypes),
        reduceOp("ReduceMean", mean: true, types: [.float]),
        reduceGradientOp("ReduceSumGradient", mean: false, types: numericTypes),
        reduceGradientOp("ReduceMeanGradient", mean: true, types: [.float]),
        frontBackOp("ReduceFrontSum", front: true, mean: false),
        frontBackOp("ReduceBackSum", front: false, mean: false),
        frontBackOp("ReduceFrontMean", front: true, mean: true),
        frontBackOp("ReduceBackMean", front: false, mean: true),
        frontBackGradientOp("ReduceFrontSumGradient", front: true, mean: false),
        frontBackGradientOp("ReduceBackSumGradient", front: false, mean: false),
        frontBackGradientOp("ReduceFrontMeanGradient", front: true, mean: true),
        frontBackGradientOp("ReduceBackMeanGradient", front: false, mean: true),
    ]

    // MARK: ReduceSum / ReduceMean

    /// The reduction a `(axes, keepdims)` pair describes for an input of `dims`.
    struct AxesReduction {
        /// The output's dims.
        let output: [Int64]
        /// The input's dims with every reduced dim set to 1 (the output as a broadcast operand).
        let kept: [Int64]

        /// Canonicalises `axes` (negative counts from the end; empty means all) with Caffe2's checks.
        init(dims: [Int64], axes: [Int], keepDims: Bool) throws {
            let ndim = dims.count
            let canonical = axes.isEmpty ? Array(0..<ndim) : axes.map { $0 < 0 ? $0 + ndim : $0 }.sorted()
            if let first = canonical.first, first < 0 {
                throw Caffe2Error(.argument, "Axes ids must be non-negative. (axes \(axes), input has \(ndim) dims)")
            }
            if let last = canonical.last, last >= ndim {
                throw Caffe2Error(
                    .argument, "Axes ids must be smaller than the dimensions of input. (axes \(axes), input has \(ndim) dims)")
            }
            if Set(canonical).count != canonical.count {
                throw Caffe2Error(.argument, "Axes ids must be unique. (axes \(axes))")
            }
            var output: [Int64] = []
            var kept = dims
            for i in 0..<ndim {
                if canonical.contains(i) {
                    kept[i] = 1
                    if keepDims { output.append(1) }
                } else {
                    output.append(dims[i])
                }
            }
            self.output = output
            self.kept = kept
        }
    }

    static func reduceOp(_ type: String, mean: Bool, types: [DataType]) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(1).numOutputs(1)
                .tensorInference("ReduceShapeInference") { def, inputs in
                    guard let x = inputs.first else { throw inferenceInputError(def, 0) }
                    let args = try Arguments(def)
                    let r = try AxesReduction(
                        dims: x.dims, axes: try args.repeated("axes"), keepDims: try args.single("keepdims", default: true))
                    return [TensorShape(dims: r.output, dataType: x.dataType)]
                }
                .types(types)
                .doc(
                    """
                    The \(mean ? "mean" : "sum") of X's elements along `axes` (all axes when empty; negative \
                    axes count from the end). Reduced dims become 1 with `keepdims`, else they are dropped \
                    (reducing every dim gives a 0-d tensor\(mean ? "; the mean of no elements is NaN" : "")). \
                    (Caffe2's shape inference reports `[1]` for a full reduction and X's dims for empty \
                    `axes`; the inference here reports what the kernel produces.) Gradient: \
                    `\(type)Gradient(dY, X, Y) -> dX`.
                    """
                )
                .arg("axes", "*(ints)* The axes to reduce; all when absent.")
                .arg("keepdims", "*(int, default 1)* Keep reduced dims as 1s.")
                .input(0, "X", "Input tensor.")
                .output(0, "Y", "The reduced tensor, of X's type."),
            kernels: [
                OperatorKernel { _, args in
                    let axes: [Int] = try args.repeated("axes")
                    let keepDims = try args.single("keepdims", default: true)
                    return { ctx in
                        let x = try ctx.input(0)
                        guard types.contains(x.dataType) else { throw x.unsupportedType(types) }
                        let r = try AxesReduction(dims: x.dims, axes: axes, keepDims: keepDims)
                        switch x.dataType {
                        case .float: try reduceAxes(Float.self, ctx, x, r, mean: mean)
                        case .double: try reduceAxes(Double.self, ctx, x, r, mean: mean)
                        case .int32: try reduceAxes(Int32.self, ctx, x, r, mean: mean)
                        default: try reduceAxes(Int64.self, ctx, x, r, mean: mean)
                        }
                    }
                }
            ],
            gradient: .make { g in
                try g.singleGradientDef("\(type)Gradient", inputs: [g.GO(0), g.I(0), g.O(0)], outputs: [g.GI(0)])
            })
    }

    static func reduceAxes<T: NumericElement>(
        _: T.Type, _ ctx: OperatorContext, _ x: TensorView, _ r: AxesReduction, mean: Bool
    ) throws {
        let layout = try BroadcastLayout(output: x.dims, operands: [r.kept])
        let y = try ctx.output(0, dims: r.output, type: T.dataType)
        let xp = x.pointer(T.self)
        let yp = y.pointer(T.self)
        if layout.count == 0 {
            // Nothing to add: zeros, or NaN for a mean of no elements.
            let v = mean ? T.div(T.zero, T.zero) : T.zero
            for i in 0..<y.count { yp[i] = v }
            return
        }
        reduceIntoOperand(layout, target: 0, other: 0, xp, xp, xp, yp, count: y.count) { v, _, _ in v }
        if mean {
            let scale = T.div(T.fromCount(1), T.fromCount(x.count / Swift.max(y.count, 1)))
            mapUnary(UnsafePointer(yp), yp, y.count) { T.mul($0, scale) }
        }
    }

    static func reduceGradientOp(_ type: String, mean: Bool, types: [DataType]) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(3).numOutputs(1)
                .tensorInference("dims of input 1, type of input 0") { def, inputs in
                    guard inputs.count >= 2 else { throw inferenceInputError(def, 1) }
                    return [TensorShape(dims: inputs[1].dims, dataType: inputs[0].dataType)]
                }
                .types(types)
                .doc(
                    "Gradient of \(type.dropLast(8)): dY repeated over the reduced axes\(mean ? " and scaled by `numel(Y) / numel(X)`" : ""). Inputs are `(dY, X, Y)`; takes the forward `axes` and `keepdims`."
                )
                .arg("axes", "*(ints)* The forward op's axes.")
                .arg("keepdims", "*(int, default 1)* The forward op's keepdims.")
                .input(0, "dY", "Gradient of Y.")
                .input(1, "X", "Forward input (its dims are read).")
                .input(2, "Y", "Forward output.")
                .output(0, "dX", "Gradient of X."),
            kernels: [
                OperatorKernel { _, args in
                    let axes: [Int] = try args.repeated("axes")
                    let keepDims = try args.single("keepdims", default: true)
                    return { ctx in
                        let dy = try ctx.input(0)
                        let x = try ctx.input(1)
                        guard types.contains(dy.dataType) else { throw dy.unsupportedType(types) }
                        let r = try AxesReduction(dims: x.dims, axes: axes, keepDims: keepDims)
                        let layout = try BroadcastLayout(output: x.dims, operands: [r.kept])
                        let keptCount = r.kept.reduce(1) { $0 * Int($1) }
                        guard dy.count == keptCount else {
                            throw Caffe2Error(
                                .shape,
                                "gradient '\(dy.name)' has \(dy.count) elements (dims \(dy.dims)), the reduction of X \(x.dims) has \(keptCount)",
                                blob: dy.name)
                        }
                        switch dy.dataType {
                        case .float: try expandAxes(Float.self, ctx, dy, x, layout, keptCount, mean: mean)
                        case .double: try expandAxes(Double.self, ctx, dy, x, layout, keptCount, mean: mean)
                        case .int32: try expandAxes(Int32.self, ctx, dy, x, layout, keptCount, mean: mean)
                        default: try expandAxes(Int64.self, ctx, dy, x, layout, keptCount, mean: mean)
                        }
                    }
                }
            ])
    }

    static func expandAxes<T: NumericElement>(
        _: T.Type, _ ctx: OperatorContext, _ dy: TensorView, _ x: TensorView, _ layout: BroadcastLayout,
        _ keptCount: Int, mean: Bool
    ) throws {
        let dx = try ctx.output(0, dims: x.dims, type: T.dataType)
        let src = dy.pointer(T.self)
        let dst = dx.pointer(T.self)
        if mean {
            let scale = T.div(T.fromCount(keptCount), T.fromCount(Swift.max(x.count, 1)))
            expandFromOperand(layout, source: 0, src, dst) { T.mul($0, scale) }
        } else {
            expandFromOperand(layout, source: 0, src, dst) { $0 }
        }
    }

    // MARK: ReduceFront / ReduceBack

    /// `num_reduce_dim` (the spelling Caffe2's kernels read), else `num_reduce_dims` (the one its docs use), else 1.
    static func numReduceDims(_ args: Arguments) throws -> Int {
        if let k = try args.single("num_reduce_dim", as: Int.self) { return k }
        return try args.single("num_reduce_dims", default: 1)
    }

    /// X seen as `rows × cols` for a front or back reduction of `k` dims.
    struct FrontBackSizes {
        let rows: Int
        let cols: Int
        /// The dims that are kept (the output's dims).
        let kept: [Int64]
        /// The number of outputs (cols for front, rows for back).
        var batch: Int { front ? cols : rows }
        /// The number of elements each output reduces.
        var reduced: Int { front ? rows : cols }
        let front: Bool

        init(dims: [Int64], k: Int, front: Bool) throws {
            guard k >= 0, k <= dims.count else {
                throw Caffe2Error(
                    .argument,
                    "For N-dim input tensor, support num_reduce_dims in range [0, N]. (num_reduce_dim \(k), input has \(dims.count) dims)"
                )
            }
            let split = front ? k : dims.count - k
            rows = dims[0..<split].reduce(1) { $0 * Int($1) }
            cols = dims[split...].reduce(1) { $0 * Int($1) }
            kept = front ? Array(dims[k...]) : Array(dims[0..<split])
            self.front = front
        }

        /// Checks an optional `lengths` input: int32, one per output, each in `0...reduced`.
        func lengths(_ view: TensorView?, k: Int) throws -> UnsafePointer<Int32>? {
            guard let view else { return nil }
            guard k == 1 else {
                throw Caffe2Error(
                    .argument, "Given lengths input, the number of reduce dimensions should be one.", blob: view.name)
            }
            guard view.dataType == .int32 else { throw view.unsupportedType([.int32]) }
            guard view.count == batch else {
                throw Caffe2Error(
                    .shape,
                    "The size of lengths vector doesn't match the batch size. ('\(view.name)' has \(view.count) elements, expected \(batch))",
                    blob: view.name)
            }
            let p = view.pointer(Int32.self)
            for i in 0..<view.count where p[i] < 0 || Int(p[i]) > reduced {
                throw Caffe2Error(
                    .argument, "length \(p[i]) at index \(i) of '\(view.name)' is outside [0, \(reduced)]", blob: view.name)
            }
            return p
        }
    }

    static let frontBackTypes: [DataType] = [.int32, .int64, .float, .double]

    static func frontBackOp(_ type: String, front: Bool, mean: Bool) -> OperatorDefinition {
        let which = front ? "first" : "last"
        return OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(1, 2).numOutputs(1)
                .tensorInference("kept dims") { def, inputs in
                    guard let x = inputs.first else { throw inferenceInputError(def, 0) }
                    let s = try FrontBackSizes(dims: x.dims, k: try numReduceDims(try Arguments(def)), front: front)
                    return [TensorShape(dims: s.kept, dataType: x.dataType)]
                }
                .types(frontBackTypes)
                .doc(
                    """
                    The \(mean ? "mean" : "sum") over the \(which) `num_reduce_dim` dims of X; the output has \
                    the remaining dims. With the optional int32 `lengths` (one per output, \
                    `num_reduce_dim` = 1), only the first `lengths[i]` elements of each \
                    \(front ? "column" : "row") count\(mean ? ", and the mean divides by that length" : ""). \
                    An empty X gives zeros. (A length of 0 gives \(mean ? "NaN for floats and an error for integers" : "0"); \
                    Caffe2 still reads one element there.) Gradient: `\(type)Gradient(dY, X[, lengths]) -> dX`.
                    """
                )
                .arg("num_reduce_dim", "*(int, default 1)* How many \(which) dims to reduce (`num_reduce_dims` is accepted too).")
                .input(0, "X", "Input tensor (int32, int64, float or double).")
                .input(1, "lengths", "Optional int32 lengths, one per output.")
                .output(0, "Y", "The reduced tensor, of X's type."),
            kernels: [
                OperatorKernel { _, args in
                    let k = try numReduceDims(args)
                    return { ctx in
                        let x = try ctx.input(0)
                        let lengthsView = ctx.inputCount > 1 ? try ctx.input(1) : nil
                        let s = try FrontBackSizes(dims: x.dims, k: k, front: front)
                        let lengths = try s.lengths(lengthsView, k: k)
                        switch x.dataType {
                        case .float: try frontBack(Float.self, ctx, x, s, lengths, mean: mean)
                        case .double: try frontBack(Double.self, ctx, x, s, lengths, mean: mean)
                        case .int32: try frontBack(Int32.self, ctx, x, s, lengths, mean: mean)
                        case .int64: try frontBack(Int64.self, ctx, x, s, lengths, mean: mean)
                        default: throw x.unsupportedType(frontBackTypes)
                        }
                    }
                }
            ],
            gradient: .make { g in
                try g.singleGradientDef(
                    "\(type)Gradient", inputs: [g.GO(0)] + g.def.input, outputs: [g.GI(0)])
            })
    }

    static func frontBack<T: NumericElement>(
        _: T.Type, _ ctx: OperatorContext, _ x: TensorView, _ s: FrontBackSizes, _ lengths: UnsafePointer<Int32>?,
        mean: Bool
    ) throws {
        if mean && T.hasIntegerDivision, s.rows > 0 && s.cols > 0, let lengths {
            for i in 0..<s.batch where lengths[i] == 0 {
                throw Caffe2Error(.runtime, "integer mean of length 0 at index \(i) of the lengths input")
            }
        }
        let y = try ctx.output(0, dims: s.kept, type: T.dataType)
        let xp = x.pointer(T.self)
        let yp = y.pointer(T.self)
        let rows = s.rows
        let cols = s.cols
        if rows == 0 || cols == 0 {
            for i in 0..<y.count { yp[i] = T.zero }
            return
        }
        if s.front {
            // Column sums: a vectorisable pass over each row.
            for j in 0..<cols { yp[j] = T.zero }
            if let lengths {
                for i in 0..<rows {
                    let xr = xp + i * cols
                    for j in 0..<cols where i < Int(lengths[j]) { yp[j] = T.accumulate(yp[j], xr[j]) }
                }
            } else {
                for i in 0..<rows {
                    let xr = xp + i * cols
                    for j in 0..<cols { yp[j] = T.accumulate(yp[j], xr[j]) }
                }
            }
        } else {
            Parallel.forChunks(rows, minPerThread: Swift.max(1, Parallel.minElementsPerThread / cols)) { r in
                for i in r {
                    let xr = xp + i * cols
                    let n = lengths.map { Int($0[i]) } ?? cols
                    var acc = T.zero
                    for j in 0..<n { acc = T.accumulate(acc, xr[j]) }
                    yp[i] = acc
                }
            }
        }
        if mean {
            if let lengths {
                for i in 0..<s.batch { yp[i] = T.div(yp[i], T.fromCount(Int(lengths[i]))) }
            } else {
                let d = T.fromCount(s.reduced)
                for i in 0..<s.batch { yp[i] = T.div(yp[i], d) }
            }
        }
    }

    static func frontBackGradientOp(_ type: String, front: Bool, mean: Bool) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(2, 3).numOutputs(1)
                .tensorInference("dims of input 1, type of input 0") { def, inputs in
                    guard inputs.count >= 2 else { throw inferenceInputError(def, 1) }
                    // An old-style input 1 holds X's shape as values: unknown here.
                    if inputs[1].dims.count == 1 && inputs[1].dataType == .int64 { return [TensorShape.unknown()] }
                    return [TensorShape(dims: inputs[1].dims, dataType: inputs[0].dataType)]
                }
                .types(frontBackTypes)
                .doc(
                    """
                    Gradient of \(type.dropLast(8)): dY repeated over the reduced dims\(mean ? ", divided by the count (or the length)" : ""); \
                    positions beyond `lengths[i]` get 0. Inputs are `(dY, X[, lengths])`; input 1 may instead \
                    be an old-style 1-D int64 tensor holding X's shape.
                    """
                )
                .arg("num_reduce_dim", "*(int, default 1)* As in the forward op.")
                .input(0, "dY", "Gradient of Y.")
                .input(1, "X", "Forward input (its dims are read), or X's shape as a 1-D int64 tensor.")
                .input(2, "lengths", "Optional int32 lengths of the forward op.")
                .output(0, "dX", "Gradient of X."),
            kernels: [
                OperatorKernel { _, args in
                    let k = try numReduceDims(args)
                    return { ctx in
                        let dy = try ctx.input(0)
                        let x = try ctx.input(1)
                        let lengthsView = ctx.inputCount > 2 ? try ctx.input(2) : nil
                        let dims: [Int64]
                        if x.rank == 1 && x.dataType == .int64 {
                            let p = x.pointer(Int64.self)
                            dims = (0..<x.count).map { p[$0] }
                            guard dims.allSatisfy({ $0 >= 0 }) else {
                                throw Caffe2Error(.shape, "shape input '\(x.name)' holds a negative dim: \(dims)", blob: x.name)
                            }
                        } else {
                            dims = x.dims
                        }
                        let s = try FrontBackSizes(dims: dims, k: k, front: front)
                        let lengths = try s.lengths(lengthsView, k: k)
                        guard dy.count == s.batch else {
                            throw Caffe2Error(
                                .shape, "gradient '\(dy.name)' has \(dy.count) elements, expected \(s.batch) for X \(dims)",
                                blob: dy.name)
                        }
                        switch dy.dataType {
                        case .float: try frontBackGradient(Float.self, ctx, dy, dims, s, lengths, mean: mean)
                        case .double: try frontBackGradient(Double.self, ctx, dy, dims, s, lengths, mean: mean)
                        case .int32: try frontBackGradient(Int32.self, ctx, dy, dims, s, lengths, mean: mean)
                        case .int64: try frontBackGradient(Int64.self, ctx, dy, dims, s, lengths, mean: mean)
                        default: throw dy.unsupportedType(frontBackTypes)
                        }
                    }
                }
            ])
    }

    static func frontBackGradient<T: NumericElement>(
        _: T.Type, _ ctx: OperatorContext, _ dy: TensorView, _ dims: [Int64], _ s: FrontBackSizes,
        _ lengths: UnsafePointer<Int32>?, mean: Bool
    ) throws {
        if mean && T.hasIntegerDivision && s.reduced > 0 {
            if let lengths {
                for i in 0..<s.batch where lengths[i] == 0 {
                    throw Caffe2Error(.runtime, "integer mean gradient of length 0 at index \(i) of the lengths input")
                }
            }
        }
        let dx = try ctx.output(0, dims: dims, type: T.dataType)
        let g = dy.pointer(T.self)
        let out = dx.pointer(T.self)
        let rows = s.rows
        let cols = s.cols
        guard rows > 0 && cols > 0 else { return }
        // The value every in-range element of output `b` receives.
        func value(_ b: Int) -> T {
            guard mean else { return g[b] }
            let n = lengths.map { Int($0[b]) } ?? s.reduced
            return n == 0 ? T.zero : T.div(g[b], T.fromCount(n))
        }
        if s.front {
            withUnsafeTemporaryAllocation(of: T.self, capacity: cols) { values in
                for j in 0..<cols { values[j] = value(j) }
                for i in 0..<rows {
                    let r = out + i * cols
                    if let lengths {
                        for j in 0..<cols { r[j] = i < Int(lengths[j]) ? values[j] : T.zero }
                    } else {
                        for j in 0..<cols { r[j] = values[j] }
                    }
                }
            }
        } else {
            Parallel.forChunks(rows, minPerThread: Swift.max(1, Parallel.minElementsPerThread / cols)) { range in
                for i in range {
                    let r = out + i * cols
                    let n = lengths.map { Int($0[i]) } ?? cols
                    let v = value(i)
                    for j in 0..<n { r[j] = v }
                    for j in n..<cols { r[j] = T.zero }
                }
            }
        }
    }
}
