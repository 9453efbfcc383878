/// N-ary element-wise operators and helpers: Sum, Mean (+ MeanGradient),
/// Max and Min (+ MaxGradient, MinGradient), WeightedSum
/// (+ WeightedSumGradient), SumReduceLike, ElementwiseLinear
/// (+ ElementwiseLinearGradient).
enum ElementwiseNaryOperators {
    static let definitions: [OperatorDefinition] = [
        sum, mean, meanGradient, max, min, maxGradient, minGradient, weightedSum, weightedSumGradient,
        sumReduceLike, elementwiseLinear, elementwiseLinearGradient,
    ]

    /// Input views `0..<count`, each of `first`'s type and dims.
    static func sameShapeInputs(_ ctx: OperatorContext, types: [DataType]) throws -> [TensorView] {
        let first = try ctx.input(0)
        guard types.contains(first.dataType) else { throw first.unsupportedType(types) }
        var views = [first]
        for i in 1..<ctx.inputCount {
            let v = try ctx.input(i)
            try requireType(v, first.dataType, like: first)
            guard v.dims == first.dims else {
                throw Caffe2Error(
                    .shape,
                    "Input #\(i) ('\(v.name)'), input dimension: \(v.dims) should match output dimension: \(first.dims)",
                    blob: v.name)
            }
            views.append(v)
        }
        return views
    }

    // MARK: Sum, Mean

    static let sum = OperatorDefinition(
        schema: OperatorSchema("Sum")
            .numInputs(1, Int.max).numOutputs(1)
            .allowInplace([(0, 0)])
            .allowInputsToCrossDevices()
            .identicalTypeAndShapeOfInput(0)
            .types(numericTypes)
            .doc(
                "Element-wise sum of one or more tensors of identical dims and type (no broadcasting). Gradient: none needed, every input's gradient is dY."
            )
            .input(0, "X0, X1, ...", "Tensors to add, all of X0's dims and type.")
            .output(0, "Y", "The sum, of X0's dims and type; may be X0 (in place)."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let xs = try sameShapeInputs(ctx, types: numericTypes)
                    switch xs[0].dataType {
                    case .float: try accumulate(Float.self, ctx, xs, scale: nil)
                    case .double: try accumulate(Double.self, ctx, xs, scale: nil)
                    case .int32: try accumulate(Int32.self, ctx, xs, scale: nil)
                    default: try accumulate(Int64.self, ctx, xs, scale: nil)
                    }
                }
            }
        ],
        gradient: .make { g in
            let dY = try g.GO(0)
            for i in 0..<g.def.input.count { try g.SetDense(i, dY) }
            return []
        })

    /// `Y = X0 + X1 + …`, times `scale` if given (Mean).
    static func accumulate<T: NumericElement>(
        _: T.Type, _ ctx: OperatorContext, _ xs: [TensorView], scale: T?
    ) throws {
        let y = try ctx.output(0, like: xs[0])
        let yp = y.pointer(T.self)
        let n = y.count
        if xs.count == 1 {
            let scale = scale ?? T.fromCount(1)
            mapUnary(xs[0].pointer(T.self), yp, n) { T.mul($0, scale) }
            return
        }
        mapBinary(xs[0].pointer(T.self), xs[1].pointer(T.self), yp, n) { T.add($0, $1) }
        for x in xs.dropFirst(2) {
            mapBinary(UnsafePointer(yp), x.pointer(T.self), yp, n) { T.add($0, $1) }
        }
        if let scale { mapUnary(UnsafePointer(yp), yp, n) { T.mul($0, scale) } }
    }

    static let mean = OperatorDefinition(
        schema: OperatorSchema("Mean")
            .numInputs(1, Int.max).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShapeOfInput(0)
            .types([.float, .double])
            .doc(
                "Element-wise mean of one or more tensors of identical dims and type. Gradient: `MeanGradient(dY) -> (dX0, …)`."
            )
            .input(0, "X0, X1, ...", "Tensors to average, all of X0's dims and type.")
            .output(0, "Y", "The mean, of X0's dims and type."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let xs = try sameShapeInputs(ctx, types: [.float, .double])
                    if xs[0].dataType == .float {
                        try accumulate(Float.self, ctx, xs, scale: 1 / Float(xs.count))
                    } else {
                        try accumulate(Double.self, ctx, xs, scale: 1 / Double(xs.count))
                    }
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef(
                "MeanGradient", inputs: [g.GO(0)], outputs: try (0..<g.def.input.count).map { try g.GI($0) })
        })

    static let meanGradient = OperatorDefinition(
        schema: OperatorSchema("MeanGradient")
            .numInputs(1).numOutputs(1, Int.max)
            .allowInplace([(0, 0)])
            .tensorInference("every output like input 0") { def, inputs in
                guard let dY = inputs.first else { throw inferenceInputError(def, 0) }
                return def.output.map { _ in dY }
            }
            .types([.float, .double])
            .doc("Gradient of Mean: every output is `dY / n`, with n the number of outputs.")
            .input(0, "dY", "Gradient of the mean.")
            .output(0, "dX0, dX1, ...", "Gradients of the inputs."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let dy = try ctx.input(0)
                    let n = ctx.outputCount
                    // An output written over dY goes last.
                    let order = Array(1..<n) + [0]
                    switch dy.dataType {
                    case .float:
                        let s = 1 / Float(n)
                        for i in order {
                            let dx = try ctx.output(i, like: dy)
                            mapUnary(dy.pointer(Float.self), dx.pointer(Float.self), dy.count) { $0 * s }
                        }
                    case .double:
                        let s = 1 / Double(n)
                        for i in order {
                            let dx = try ctx.output(i, like: dy)
                            mapUnary(dy.pointer(Double.self), dx.pointer(Double.self), dy.count) { $0 * s }
                        }
                    default:
                        throw dy.unsupportedType([.float, .double])
                    }
                }
            }
        ])

    // MARK: Max, Min

    static let max = extremumOp("Max", isMax: true)
    static let min = extremumOp("Min", isMax: false)
    static let maxGradient = extremumGradientOp("MaxGradient", "Max")
    static let minGradient = extremumGradientOp("MinGradient", "Min")

    static func extremumOp(_ type: String, isMax: Bool) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(1, Int.max).numOutputs(1)
                .allowInplace([(0, 0)])
                .identicalTypeAndShapeOfInput(0)
                .types([.float])
                .doc(
                    "Element-wise \(isMax ? "maximum" : "minimum") of one or more float tensors of identical dims; NaN in any input gives NaN. Gradient: `\(type)Gradient(Y, dY, X0, …) -> (dX0, …)`."
                )
                .input(0, "X0, X1, ...", "Float tensors, all of X0's dims.")
                .output(0, "Y", "The element-wise \(isMax ? "maximum" : "minimum")."),
            kernels: [
                OperatorKernel { _, _ in
                    { ctx in
                        let xs = try sameShapeInputs(ctx, types: [.float])
                        let y = try ctx.output(0, like: xs[0])
                        let yp = y.pointer(Float.self)
                        let n = y.count
                        if xs.count == 1 {
                            mapUnary(xs[0].pointer(Float.self), yp, n) { $0 }
                            return
                        }
                        var source = xs[0].pointer(Float.self)
                        for x in xs.dropFirst() {
                            if isMax {
                                mapBinary(source, x.pointer(Float.self), yp, n) { a, b in b > a || b.isNaN ? b : a }
                            } else {
                                mapBinary(source, x.pointer(Float.self), yp, n) { a, b in b < a || b.isNaN ? b : a }
                            }
                            source = UnsafePointer(yp)
                        }
                    }
                }
            ],
            gradient: .make { g in
                try g.singleGradientDef(
                    "\(type)Gradient", inputs: [g.O(0), g.GO(0)] + g.def.input,
                    outputs: try (0..<g.def.input.count).map { try g.GI($0) })
            })
    }

    static func extremumGradientOp(_ type: String, _ forward: String) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(3, Int.max).numOutputs(1, Int.max)
                .numInputsOutputs { $0 - 2 == $1 }
                .tensorInference("outputs like inputs 2, 3, …") { def, inputs in
                    guard inputs.count >= 3 else { throw inferenceInputError(def, 2) }
                    return Array(inputs.dropFirst(2))
                }
                .types([.float])
                .doc(
                    "Gradient of \(forward): `dXi = dY` where `Xi == Y`, else 0 (every tied input gets the full gradient). Inputs are `(Y, dY, X0, X1, …)`."
                )
                .input(0, "Y", "Output of the forward \(forward).")
                .input(1, "dY", "Gradient of Y.")
                .input(2, "X0, X1, ...", "Inputs of the forward \(forward).")
                .output(0, "dX0, dX1, ...", "Gradients of the inputs."),
            kernels: [
                OperatorKernel { _, _ in
                    { ctx in
                        let xs = try sameShapeInputs(ctx, types: [.float])
                        let y = xs[0]
                        let dy = xs[1]
                        for i in 2..<xs.count {
                            let dx = try ctx.output(i - 2, like: xs[i])
                            mapBinary(xs[i].pointer(Float.self), y.pointer(Float.self), dx.pointer(Float.self), y.count) {
                                x, y in x == y ? 1 : 0
                            }
                            mapBinary(UnsafePointer(dx.pointer(Float.self)), dy.pointer(Float.self), dx.pointer(Float.self), y.count) {
                                $0 * $1
                            }
                        }
                    }
                }
            ])
    }

    // MARK: WeightedSum

    static let weightedSum = OperatorDefinition(
        schema: OperatorSchema("WeightedSum")
            .numInputs(where: { $0 > 0 && $0 % 2 == 0 }).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShapeOfInput(0)
            .types([.float])
            .doc(
                """
                `Y = w0 * X0 + w1 * X1 + …` over pairs `(Xi, wi)`: each Xi a float tensor with X0's element \
                count, each wi a 1-element float tensor. Only X0 may be the output (in place). Gradient: \
                `WeightedSumGradient(dY, X0, w0, X1, w1, …) -> (dX0, dX1, …[, dw0, dw1, …])`, the weight \
                gradients only with `grad_on_w`.
                """
            )
            .arg("grad_on_w", "*(bool, default 0)* Also produce the weights' gradients (read by the gradient maker).")
            .input(0, "X0, w0, X1, w1, ...", "Data tensors and their 1-element weights.")
            .output(0, "Y", "The weighted sum, of X0's dims."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    var pairs: [(x: TensorView, w: Float)] = []
                    let x0 = try ctx.input(0)
                    guard x0.dataType == .float else { throw x0.unsupportedType([.float]) }
                    if x0.count == 0 {
                        // Caffe2 returns an empty output before looking at the other inputs.
                        _ = try ctx.output(0, like: x0)
                        return
                    }
                    for i in stride(from: 0, to: ctx.inputCount, by: 2) {
                        let x = try ctx.input(i)
                        let w = try ctx.input(i + 1)
                        guard x.dataType == .float else { throw x.unsupportedType([.float]) }
                        guard w.dataType == .float else { throw w.unsupportedType([.float]) }
                        guard w.count == 1 else {
                            throw Caffe2Error(
                                .shape, "weight '\(w.name)' must hold 1 element, it has \(w.count) (dims \(w.dims))",
                                blob: w.name)
                        }
                        guard x.count == x0.count else {
                            throw Caffe2Error(
                                .shape,
                                "input '\(x.name)' has \(x.count) elements (dims \(x.dims)), '\(x0.name)' has \(x0.count)",
                                blob: x.name)
                        }
                        if i > 0 && ctx.isInPlace(input: i, output: 0) {
                            throw Caffe2Error(
                                .schema,
                                "Input #\(i) is the same as output. If you want to do in-place updates, put the output as input #0.",
                                blob: x.name)
                        }
                        pairs.append((x, w.pointer(Float.self)[0]))
                    }
                    let y = try ctx.output(0, like: x0)
                    let yp = y.pointer(Float.self)
                    let n = y.count
                    let w0 = pairs[0].w
                    if pairs.count == 1 {
                        mapUnary(x0.pointer(Float.self), yp, n) { w0 * $0 }
                        return
                    }
                    let w1 = pairs[1].w
                    mapBinary(x0.pointer(Float.self), pairs[1].x.pointer(Float.self), yp, n) { w0 * $0 + w1 * $1 }
                    for (x, w) in pairs.dropFirst(2) {
                        mapBinary(UnsafePointer(yp), x.pointer(Float.self), yp, n) { $0 + w * $1 }
                    }
                }
            }
        ],
        gradient: .make { g in
            let n = g.def.input.count
            let gradOnW = try Arguments(g.def).single("grad_on_w", default: false)
            var outputs = try stride(from: 0, to: n, by: 2).map { try g.GI($0) }
            if gradOnW { outputs += try stride(from: 1, to: n, by: 2).map { try g.GI($0) } }
            return try g.singleGradientDef("WeightedSumGradient", inputs: [g.GO(0)] + g.def.input, outputs: outputs)
        })

    static let weightedSumGradient = OperatorDefinition(
        schema: OperatorSchema("WeightedSumGradient")
            .numInputs(where: { $0 > 0 && $0 % 2 == 1 }).numOutputs(1, Int.max)
            .tensorInference("dX like dY, dw of 1 element") { def, inputs in
                guard let dY = inputs.first else { throw inferenceInputError(def, 0) }
                let pairs = inputs.count / 2
                return def.output.indices.map { $0 < pairs ? dY : TensorShape(dims: [1], dataType: .float) }
            }
            .types([.float])
            .doc(
                "Gradient of WeightedSum: `dXi = wi * dY` (dY's dims) and, with `grad_on_w`, `dwi = <dY, Xi>` (1 element). Inputs are `(dY, X0, w0, X1, w1, …)`."
            )
            .arg("grad_on_w", "*(bool, default 0)* Also produce the weights' gradients.")
            .input(0, "dY", "Gradient of Y.")
            .input(1, "X0, w0, X1, w1, ...", "The forward inputs.")
            .output(0, "dX0, dX1, ...[, dw0, dw1, ...]", "Gradients of the data tensors, then of the weights."),
        kernels: [
            OperatorKernel { _, args in
                let gradOnW = try args.single("grad_on_w", default: false)
                return { ctx in
                    let pairs = ctx.inputCount / 2
                    let expected = gradOnW ? ctx.inputCount - 1 : pairs
                    guard ctx.outputCount == expected else {
                        throw Caffe2Error(
                            .schema,
                            "WeightedSumGradient with \(ctx.inputCount) inputs\(gradOnW ? " and grad_on_w" : "") needs \(expected) outputs, got \(ctx.outputCount)"
                        )
                    }
                    let dy = try ctx.input(0)
                    guard dy.dataType == .float else { throw dy.unsupportedType([.float]) }
                    var xs: [TensorView] = []
                    var ws: [Float] = []
                    for i in 0..<pairs {
                        let x = try ctx.input(2 * i + 1)
                        let w = try ctx.input(2 * i + 2)
                        guard w.dataType == .float, w.count == 1 else {
                            throw Caffe2Error(
                                .shape, "weight '\(w.name)' must be a 1-element float tensor (got \(w.dataType) \(w.dims))",
                                blob: w.name)
                        }
                        if gradOnW {
                            try requireType(x, .float, like: dy)
                            guard x.count == dy.count else {
                                throw Caffe2Error(
                                    .shape, "input '\(x.name)' has \(x.count) elements, '\(dy.name)' has \(dy.count)",
                                    blob: x.name)
                            }
                        }
                        xs.append(x)
                        ws.append(w.pointer(Float.self)[0])
                    }
                    for i in 0..<pairs {
                        let w = ws[i]
                        let dx = try ctx.output(i, like: dy)
                        mapUnary(dy.pointer(Float.self), dx.pointer(Float.self), dy.count) { w * $0 }
                    }
                    if gradOnW {
                        for i in 0..<pairs {
                            let dw = try ctx.output(pairs + i, dims: [1], type: .float)
                            let a = dy.pointer(Float.self)
                            let b = xs[i].pointer(Float.self)
                            var acc: Float = 0
                            for j in 0..<dy.count { acc = Float.accumulate(acc, a[j] * b[j]) }
                            dw.pointer(Float.self)[0] = acc
                        }
                    }
                }
            }
        ])

    // MARK: SumReduceLike

    static let sumReduceLike = OperatorDefinition(
        schema: OperatorSchema("SumReduceLike")
            .numInputs(2).numOutputs(1)
            .tensorInference("dims of input 1, type of input 0") { def, inputs in
                guard inputs.count >= 2 else { throw inferenceInputError(def, 1) }
                return [TensorShape(dims: inputs[1].dims, dataType: inputs[0].dataType)]
            }
            .types([.float, .double])
            .doc(
                """
                Sums A over the axes along which B would be legacy-broadcast into it, giving a tensor of \
                B's dims: with B of one element `C = sum(A)`, otherwise A is seen as `pre × n × post` \
                (B matched at `axis`) and `C[j] = sum over i, k of A[i, j, k]`. A helper of the gradient \
                of legacy-broadcast ops. (Caffe2's shape inference reports A's dims; the output has B's.)
                """
            )
            .arg("axis", "*(int, default -1)* The dim of A where B's dims start; -1 aligns B with A's last dims.")
            .arg("axis_str", "*(string)* The axis as one character of `order`.")
            .arg("order", "*(string, default \"NCHW\")* Resolves `axis_str`.")
            .input(0, "A", "Tensor to reduce (float or double).")
            .input(1, "B", "Tensor whose dims the result takes.")
            .output(0, "C", "The reduction, of B's dims and A's type."),
        kernels: [
            OperatorKernel { _, args in
                let bargs = try BroadcastArguments(args, alwaysLegacy: true)
                return { ctx in
                    let a = try ctx.input(0)
                    let b = try ctx.input(1)
                    if ctx.isInPlace(input: 1, output: 0) {
                        throw Caffe2Error(.schema, "In-place is not allowed.", blob: b.name)
                    }
                    let v = try legacyView(a, b, axis: bargs.axis)
                    let layout = try BroadcastLayout(output: v.a, operands: [v.a, v.b])
                    switch a.dataType {
                    case .float: try reduceLike(Float.self, ctx, a, b, layout)
                    case .double: try reduceLike(Double.self, ctx, a, b, layout)
                    default: throw a.unsupportedType([.float, .double])
                    }
                }
            }
        ])

    static func reduceLike<T: NumericElement>(
        _: T.Type, _ ctx: OperatorContext, _ a: TensorView, _ b: TensorView, _ layout: BroadcastLayout
    ) throws {
        let c = try ctx.output(0, dims: b.dims, type: T.dataType)
        let ap = a.pointer(T.self)
        reduceIntoOperand(layout, target: 1, other: 0, ap, ap, ap, c.pointer(T.self), count: c.count) { v, _, _ in v }
    }

    // MARK: ElementwiseLinear

    /// ElementwiseLinear's view of `X` as `n × d × p` for its vectors of `d` elements.
    ///
    /// Caffe2 takes `d = size_from_dim(axis)` (so `p = 1`). As Glow's Caffe2
    /// importer does, vectors of `dims[axis]` elements are accepted too, and
    /// then apply along `axis` only (`p = size_from_dim(axis + 1)`); Caffe2
    /// rejects that case, so every net Caffe2 runs gives the same result.
    static func linearSizes(_ x: TensorView, axis: Int, _ vectors: [TensorView]) throws -> (n: Int, d: Int, p: Int) {
        guard x.rank > 0, axis >= -x.rank, axis < x.rank else {
            throw Caffe2Error(
                .argument, "axis \(axis) is out of range for input '\(x.name)' with \(x.rank) dims", blob: x.name)
        }
        let a = axis < 0 ? axis + x.rank : axis
        let n = x.sizeToDim(a)
        let full = x.sizeFromDim(a)
        let d = vectors.first.map { $0.count == full ? full : x.dim(a) } ?? full
        let p = d == full ? 1 : x.sizeFromDim(a + 1)
        for v in vectors {
            guard v.dataType == .float else { throw v.unsupportedType([.float]) }
            guard v.rank == 1, v.count == d else {
                throw Caffe2Error(
                    .shape,
                    "input '\(v.name)' must be 1-D with \(full) elements (X '\(x.name)' \(x.dims) from axis \(a) on), got \(v.dims)",
                    blob: v.name)
            }
        }
        return (n, d, p)
    }

    static let elementwiseLinear = OperatorDefinition(
        schema: OperatorSchema("ElementwiseLinear")
            .numInputs(3).numOutputs(1)
            .identicalTypeAndShapeOfInput(0)
            .types([.float])
            .doc(
                """
                `Y[i, j] = X[i, j] * w[j] + b[j]` with X seen as `N × D` at `axis` (D = the product of \
                X's dims from `axis` on). As in Glow's importer, w and b may instead hold `X.dims[axis]` \
                elements and then scale and shift along that axis only (Caffe2 rejects those shapes). \
                Gradient: `ElementwiseLinearGradient(dY, X, w) -> (dX, dw, db)`.
                """
            )
            .arg("axis", "*(int, default 1)* Where D starts in X's dims.")
            .input(0, "X", "Float tensor seen as N × D.")
            .input(1, "w", "1-D scale of D elements.")
            .input(2, "b", "1-D bias of D elements.")
            .output(0, "Y", "Result of X's dims."),
        kernels: [
            OperatorKernel { _, args in
                let axis = try args.single("axis", default: 1)
                return { ctx in
                    let x = try ctx.input(0)
                    let w = try ctx.input(1)
                    let b = try ctx.input(2)
                    guard x.dataType == .float else { throw x.unsupportedType([.float]) }
                    let (n, d, p) = try linearSizes(x, axis: axis, [w, b])
                    let y = try ctx.output(0, like: x)
                    let xp = x.pointer(Float.self)
                    let wp = w.pointer(Float.self)
                    let bp = b.pointer(Float.self)
                    let yp = y.pointer(Float.self)
                    let row = d * p
                    Parallel.forChunks(n, minPerThread: Swift.max(1, Parallel.minElementsPerThread / Swift.max(row, 1))) { rows in
                        for i in rows {
                            let xr = xp + i * row
                            let yr = yp + i * row
                            if p == 1 {
                                for j in 0..<d { yr[j] = xr[j] * wp[j] + bp[j] }
                            } else {
                                for j in 0..<d {
                                    let scale = wp[j]
                                    let shift = bp[j]
                                    let xs = xr + j * p
                                    let ys = yr + j * p
                                    for k in 0..<p { ys[k] = xs[k] * scale + shift }
                                }
                            }
                        }
                    }
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef(
                "ElementwiseLinearGradient", inputs: [g.GO(0), g.I(0), g.I(1)],
                outputs: [g.GI(0), g.GI(1), g.GI(2)])
        })

    static let elementwiseLinearGradient = OperatorDefinition(
        schema: OperatorSchema("ElementwiseLinearGradient")
            .numInputs(3).numOutputs(3)
            .tensorInference("dX like X, dw and db like w") { def, inputs in
                guard inputs.count >= 3 else { throw inferenceInputError(def, 2) }
                return [inputs[1], inputs[2], inputs[2]]
            }
            .types([.float])
            .doc(
                "Gradient of ElementwiseLinear: `dX = dY * w`, `dw = sum_i dY[i, :] * X[i, :]`, `db = sum_i dY[i, :]`. Inputs are `(dY, X, w)`."
            )
            .arg("axis", "*(int, default 1)* As in the forward op.")
            .input(0, "dY", "Gradient of Y.")
            .input(1, "X", "Forward input X.")
            .input(2, "w", "Forward input w.")
            .output(0, "dX", "Gradient of X.")
            .output(1, "dw", "Gradient of w.")
            .output(2, "db", "Gradient of b."),
        kernels: [
            OperatorKernel { _, args in
                let axis = try args.single("axis", default: 1)
                return { ctx in
                    let dy = try ctx.input(0)
                    let x = try ctx.input(1)
                    let w = try ctx.input(2)
                    guard x.dataType == .float else { throw x.unsupportedType([.float]) }
                    try requireType(dy, .float, like: x)
                    guard dy.count == x.count else {
                        throw Caffe2Error(
                            .shape, "gradient '\(dy.name)' has \(dy.count) elements, X '\(x.name)' has \(x.count)",
                            blob: dy.name)
                    }
                    let (n, d, p) = try linearSizes(x, axis: axis, [w])
                    let dx = try ctx.output(0, like: x)
                    let dw = try ctx.output(1, like: w)
                    let db = try ctx.output(2, like: w)
                    let gp = dy.pointer(Float.self)
                    let xp = x.pointer(Float.self)
                    let wp = w.pointer(Float.self)
                    let dxp = dx.pointer(Float.self)
                    let dwp = dw.pointer(Float.self)
                    let dbp = db.pointer(Float.self)
                    for j in 0..<d {
                        dwp[j] = 0
                        dbp[j] = 0
                    }
                    for i in 0..<n {
                        for j in 0..<d {
                            let o = (i * d + j) * p
                            let g = gp + o
                            let xr = xp + o
                            let dxr = dxp + o
                            if p == 1 {
                                let v = g[0]
                                dwp[j] += v * xr[0]
                                dbp[j] += v
                                dxr[0] = v * wp[j]
                            } else {
                                let scale = wp[j]
                                var sw: Float = 0
                                var sb: Float = 0
                                for k in 0..<p {
                                    let v = g[k]
                                    sw = Float.accumulate(sw, v * xr[k])
                                    sb = Float.accumulate(sb, v)
                                    dxr[k] = v * scale
                                }
                                dwp[j] += sw
                                dbp[j] += sb
                            }
                        }
                    }
                }
            }
        ])
}
