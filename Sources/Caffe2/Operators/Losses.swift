import Foundation

/// Losses and metrics: SoftmaxWithLoss, LabelCrossEntropy, CrossEntropy,
/// AveragedLoss, SquaredL2Distance, DotProduct and Accuracy, with their
/// gradient operators. All float32; integer labels are int32.
enum LossOperators {
    static let definitions: [OperatorDefinition] = [
        softmaxWithLoss, softmaxWithLossGradient,
        labelCrossEntropy, labelCrossEntropyGradient,
        crossEntropy, crossEntropyGradient,
        averagedLoss, averagedLossGradient,
        squaredL2Distance, squaredL2DistanceGradient,
        dotProduct, dotProductGradient,
        accuracy,
    ]

    /// Caffe2's `kLOG_THRESHOLD`: probabilities are clamped to this before a logarithm.
    static let logThreshold: Float = 1e-20

    static func requireFloat(_ t: TensorView) throws { try ActivationOperators.requireFloat(t) }

    /// Throws a `.dataType` error unless `t` holds int32 labels.
    static func requireInt32Labels(_ t: TensorView, _ what: String = "labels") throws {
        guard t.dataType == .int32 else {
            throw Caffe2Error(
                .dataType, "\(what) '\(t.name)' must be int32, got \(t.dataType) elements", blob: t.name)
        }
    }

    /// Throws Caffe2's out-of-range message unless every label is in `[0, d)`.
    static func checkLabelRange(_ t: TensorView, count n: Int, classes d: Int, message: (Int32) -> String) throws {
        let labels = t.pointer(Int32.self)
        for i in 0..<n where labels[i] < 0 || Int(labels[i]) >= d {
            throw Caffe2Error(.runtime, message(labels[i]) + " (input '\(t.name)', element \(i))", blob: t.name)
        }
    }

    /// The 1-D gradient `dY` of a per-row loss: float, `[n]`.
    static func requireRowGradient(_ g: TensorView, rows n: Int) throws {
        try requireFloat(g)
        guard g.rank == 1, g.dim(0) == n else {
            throw Caffe2Error(.shape, "gradient '\(g.name)' \(g.dims) must be 1-D with \(n) elements", blob: g.name)
        }
    }

    /// The gradient of a 0-d loss: float, one element.
    static func requireScalarGradient(_ g: TensorView) throws -> Float {
        try requireFloat(g)
        guard g.count == 1 else {
            throw Caffe2Error(.shape, "gradient '\(g.name)' \(g.dims) must hold exactly one element", blob: g.name)
        }
        return g.pointer(Float.self)[0]
    }

    // MARK: SoftmaxWithLoss

    /// SoftmaxWithLoss's arguments, parsed once.
    struct SoftmaxLossArguments: Sendable {
        var labelProb: Bool
        var axis: Int
        var scale: Float
        var averageByBatchSize: Bool

        init(_ args: Arguments) throws {
            labelProb = try args.single("label_prob", default: 0) != 0
            axis = try args.single("axis", default: 1)
            scale = try args.single("scale", default: Float(1))
            averageByBatchSize = try args.single("average_by_batch_size", default: 0) != 0
            let order = try args.single("order", default: "NCHW")
            guard order == "NCHW" else {
                throw Caffe2Error(.argument, "Only NCHW order is supported right now (argument order is \(order)).")
            }
        }
    }

    /// Checks the labels (and, in probability mode, their values) against an
    /// `n × d` view of the logits.
    static func checkSoftmaxLabels(_ t: TensorView, n: Int, d: Int, axis: Int, labelProb: Bool) throws {
        if labelProb {
            try requireFloat(t)
            guard t.rank >= 2, t.rank >= axis, t.sizeToDim(axis) == n, t.sizeFromDim(axis) == d else {
                throw Caffe2Error(
                    .shape,
                    "label probabilities '\(t.name)' \(t.dims) must have at least 2 dims and view as \(n) x \(d) at axis \(axis) (label_prob=1)",
                    blob: t.name)
            }
            let p = t.pointer(Float.self)
            for i in 0..<n {
                var total: Float = 0
                for j in 0..<d {
                    let v = p[i * d + j]
                    guard v >= 0 else {
                        throw Caffe2Error(
                            .runtime,
                            "Label prob seems incorrect: label prob value must be nonnegative: \(v) (input '\(t.name)', row \(i))",
                            blob: t.name)
                    }
                    total += v
                }
                guard abs(total - 1) < 1e-5 else {
                    throw Caffe2Error(
                        .runtime,
                        "Label prob seems incorrect: label prob values do not sum to 1.0: \(total) vs 1.0 (+/- 1e-5) (input '\(t.name)', row \(i))",
                        blob: t.name)
                }
            }
            return
        }
        try requireInt32Labels(t)
        let fits =
            t.rank == axis
            ? t.count == n
            : (t.rank > axis && t.sizeToDim(axis) == n && t.sizeFromDim(axis) == 1)
        guard fits else {
            throw Caffe2Error(
                .shape,
                "labels '\(t.name)' \(t.dims) must hold one label per row of the \(n) x \(d) view at axis \(axis) (e.g. [\(n)] or [\(n), 1])",
                blob: t.name)
        }
        try checkLabelRange(t, count: n, classes: d) {
            "Label seems incorrect: label value larger than number of classes: \($0) vs \(d)"
        }
    }

    /// Checks the optional per-row weights.
    static func checkWeights(_ w: TensorView, n: Int) throws {
        try requireFloat(w)
        guard w.count == n else {
            throw Caffe2Error(
                .shape, "weights '\(w.name)' \(w.dims) must hold one weight per row (\(n))", blob: w.name)
        }
    }

    /// Room for each row's log-partition, kept between runs so a steady-state run allocates nothing.
    final class RowScratch {
        private var storage: UnsafeMutablePointer<Float>
        private var capacity: Int

        init() {
            capacity = 64
            storage = .allocate(capacity: capacity)
        }

        deinit { storage.deallocate() }

        /// At least `n` floats, valid until the next call.
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            if n > capacity {
                storage.deallocate()
                capacity = n
                storage = .allocate(capacity: n)
            }
            return storage
        }
    }

    static let softmaxWithLoss = OperatorDefinition(
        schema: OperatorSchema("SoftmaxWithLoss")
            .numInputs(2, 3).numOutputs([2, 3])
            .tensorInference("P: [batch, classes]; loss: scalar float") { def, inputs in
                guard let x = inputs.first else { throw inferenceInputError(def, 0) }
                let axisArg = try Arguments(def).single("axis", default: 1)
                let axis = try ActivationOperators.canonicalAxis(axisArg, rank: x.dims.count)
                let n = x.dims[..<axis].reduce(1, *)
                let d = x.dims[axis...].reduce(1, *)
                var out = [TensorShape(dims: [n, d], dataType: x.dataType), TensorShape(dims: [], dataType: .float)]
                if def.output.count > 2 { out.append(.unknown()) }
                return out
            }
            .types([.float])
            .doc(
                """
                Softmax and cross-entropy in one numerically stable step. The logits X are viewed as \
                `N x D` at `axis` (`N = product of dims [0, axis)`). Label mode: T holds int32 labels, \
                `[N]` or `[N, 1]` (or any shape of `axis` dims holding N labels, e.g. `[B, H, W]` for \
                per-pixel classes with X `[B, H, W, C]` and `axis=3`); `loss_i = -log P[i, T_i] * w_i`. \
                Probability mode (`label_prob=1`): T is float `N x D`, rows non-negative and summing to 1; \
                `loss_i = -sum_j T_ij log(max(P_ij, 1e-20)) * w_i`. The output loss is \
                `scale * sum(loss_i) / sum(w_i)` (or `/ N` with `average_by_batch_size`), 0 when the weights \
                sum to 0. P has X's full dims. Caffe2 has no `spatial` argument here and no separate \
                LogSoftmax operator.
                """
            )
            .arg("label_prob", "*(int, default 0)* 1: T holds probability distributions instead of labels.")
            .arg("axis", "*(int, default 1)* Where X is split into N x D; negative counts from the end.")
            .arg("scale", "*(float, default 1.0)* Multiplies the averaged loss (must be >= 0).")
            .arg("average_by_batch_size", "*(int, default 0)* 1: divide by N instead of the weight sum.")
            .arg("order", "*(string, default \"NCHW\")* Only \"NCHW\" is supported.")
            .input(0, "logits", "Unscaled log-probabilities X (float).")
            .input(1, "labels", "int32 labels, or float distributions with label_prob=1.")
            .input(2, "weight_tensor", "*(optional)* Per-row weights, float `[N]`.")
            .output(0, "softmax", "Softmax of X, X's dims.")
            .output(1, "loss", "Averaged loss, a 0-d float.")
            .output(2, "unused", "*(optional)* Accepted for compatibility; not written on CPU."),
        kernels: [
            OperatorKernel { _, rawArgs in
                let args = try SoftmaxLossArguments(rawArgs)
                let scratch = RowScratch()
                return { ctx in
                    let x = try ctx.input(0)
                    try requireFloat(x)
                    let axis = try ActivationOperators.canonicalAxis(args.axis, rank: x.rank, blob: x.name)
                    let n = x.sizeToDim(axis)
                    let d = x.sizeFromDim(axis)
                    let t = try ctx.input(1)
                    try checkSoftmaxLabels(t, n: n, d: d, axis: axis, labelProb: args.labelProb)
                    var weights: UnsafePointer<Float>?
                    if ctx.inputCount > 2 {
                        let w = try ctx.input(2)
                        try checkWeights(w, n: n)
                        weights = w.pointer(Float.self)
                    }
                    let p = try ctx.output(0, like: x)
                    let xp = x.pointer(Float.self)
                    let pp = p.pointer(Float.self)
                    var lossSum: Double = 0
                    var weightSum: Double = 0
                    if args.labelProb {
                        ActivationKernels.softmax(xp, pp, rows: n, cols: d)
                        let tp = t.pointer(Float.self)
                        for i in 0..<n {
                            let w = weights.map { Double($0[i]) } ?? 1
                            var l: Double = 0
                            for j in 0..<d {
                                let k = i * d + j
                                l -= Double(Foundation.log(Swift.max(pp[k], logThreshold))) * Double(tp[k])
                            }
                            lossSum += l * w
                            weightSum += w
                        }
                    } else {
                        let logZ = scratch.buffer(n)
                        ActivationKernels.softmaxWithLogPartition(xp, pp, logPartition: logZ, rows: n, cols: d)
                        let labels = t.pointer(Int32.self)
                        for i in 0..<n {
                            let w = weights.map { Double($0[i]) } ?? 1
                            let logP = xp[i * d + Int(labels[i])] - logZ[i]
                            lossSum -= Double(logP) * w
                            weightSum += w
                        }
                    }
                    let loss = try ctx.output(1, dims: [], type: .float)
                    var value: Double = 0
                    if weightSum != 0 {
                        value = Double(args.scale) * lossSum / (args.averageByBatchSize ? Double(n) : weightSum)
                    }
                    loss.pointer(Float.self)[0] = Float(value)
                }
            }
        ],
        gradient: .make { g in
            var inputs = [try g.I(0), try g.I(1), try g.O(0), try g.GO(1)]
            if g.def.input.count == 3 { inputs.insert(try g.I(2), at: 2) }
            return g.singleGradientDef("SoftmaxWithLossGradient", inputs: inputs, outputs: [try g.GI(0)])
        })

    static let softmaxWithLossGradient = OperatorDefinition(
        schema: OperatorSchema("SoftmaxWithLossGradient")
            .numOutputs(1)
            .types([.float])
            .doc(
                """
                Gradient of SoftmaxWithLoss with respect to the logits. Inputs `(X, T, [W,] P, dL)`; weights are \
                used when there are more than 4 inputs. Label mode: `dX = w_i * (P - onehot(T_i))`; probability \
                mode: `dX = w_i * (P - T)`; then, when the weights sum to more than 0, everything is multiplied \
                by `scale * dL / sum(w)` (or `/ N` without weights or with `average_by_batch_size`). Arguments \
                are copied from the forward op.
                """
            )
            .arg("label_prob", "*(int, default 0)* As in the forward op.")
            .arg("axis", "*(int, default 1)* As in the forward op.")
            .arg("scale", "*(float, default 1.0)* As in the forward op.")
            .arg("average_by_batch_size", "*(int, default 0)* As in the forward op.")
            .arg("order", "*(string, default \"NCHW\")* As in the forward op.")
            .input(0, "X", "Logits of the forward op.")
            .input(1, "T", "Labels (or probabilities) of the forward op.")
            .input(2, "W or P", "Weights of the forward op when it had them (then P and dL follow), else P.")
            .input(3, "P or dL", "Softmax output of the forward op when weights are given, else dL.")
            .input(4, "dL", "*(with weights)* Gradient of the loss (one element).")
            .output(0, "dX", "Gradient with respect to X."),
        kernels: [
            OperatorKernel { def, rawArgs in
                let args = try SoftmaxLossArguments(rawArgs)
                let inputCount = def.input.count
                guard inputCount >= 4 else {
                    throw Caffe2Error(
                        .schema,
                        "SoftmaxWithLossGradient needs inputs (X, T, [W,] P, dL), got \(inputCount) inputs")
                }
                return { ctx in
                    let x = try ctx.input(0)
                    try requireFloat(x)
                    let axis = try ActivationOperators.canonicalAxis(args.axis, rank: x.rank, blob: x.name)
                    let n = x.sizeToDim(axis)
                    let d = x.sizeFromDim(axis)
                    let t = try ctx.input(1)
                    try checkSoftmaxLabels(t, n: n, d: d, axis: axis, labelProb: args.labelProb)
                    var weights: UnsafePointer<Float>?
                    if inputCount > 4 {
                        let w = try ctx.input(2)
                        try checkWeights(w, n: n)
                        weights = w.pointer(Float.self)
                    }
                    let p = try ctx.input(inputCount - 2)
                    try requireFloat(p)
                    try ActivationOperators.requireSameDims(x, p)
                    let dL = try requireScalarGradient(try ctx.input(inputCount - 1))
                    let dx = try ctx.output(0, like: x)
                    let pp = p.pointer(Float.self)
                    let g = dx.pointer(Float.self)
                    var totalWeight: Double = 0
                    if args.labelProb {
                        let tp = t.pointer(Float.self)
                        for i in 0..<n {
                            let w = weights?[i] ?? 1
                            for j in 0..<d {
                                let k = i * d + j
                                g[k] = (pp[k] - tp[k]) * w
                            }
                            totalWeight += Double(w)
                        }
                    } else {
                        let labels = t.pointer(Int32.self)
                        if n * d > 0 { g.update(from: pp, count: n * d) }
                        for i in 0..<n {
                            let k = i * d + Int(labels[i])
                            g[k] = pp[k] - 1
                            if let weights {
                                let w = weights[i]
                                for j in 0..<d { g[i * d + j] *= w }
                                totalWeight += Double(w)
                            }
                        }
                        if weights == nil { totalWeight = Double(n) }
                    }
                    if totalWeight > 0 {
                        let denom = args.averageByBatchSize ? Double(n) : totalWeight
                        let factor = Float(Double(args.scale) / denom * Double(dL))
                        ActivationKernels.scale(g, g, count: dx.count, by: factor)
                    }
                }
            }
        ])

    // MARK: LabelCrossEntropy

    /// `(N, D)` of a cross-entropy input: dim 0 and the rest, or `(1, dim 0)` for 1-D X.
    static func crossEntropyRows(_ x: TensorView) throws -> (n: Int, d: Int) {
        guard x.rank >= 1 else {
            throw Caffe2Error(.shape, "input '\(x.name)' must have at least 1 dim, got a 0-d tensor", blob: x.name)
        }
        return x.rank > 1 ? (x.dim(0), x.sizeFromDim(1)) : (1, x.dim(0))
    }

    /// Checks LabelCrossEntropy's int32 labels: `[N]` or `[N, 1]`, each in `[0, D)`.
    static func checkClassLabels(_ label: TensorView, n: Int, d: Int) throws {
        try requireInt32Labels(label)
        guard label.rank == 1 || (label.rank == 2 && label.dim(1) == 1), label.dim(0) == n else {
            throw Caffe2Error(
                .shape, "labels '\(label.name)' \(label.dims) must be [\(n)] or [\(n), 1]", blob: label.name)
        }
        try checkLabelRange(label, count: n, classes: d) { _ in
            "Label seems to be outside of supported range. Supported labels are in range [0,\(d))"
        }
    }

    static let labelCrossEntropy = OperatorDefinition(
        schema: OperatorSchema("LabelCrossEntropy")
            .numInputs(2).numOutputs(1)
            .identicalTypeAndShapeOfInputDim(0, 0)
            .types([.float])
            .doc(
                """
                Cross-entropy against integer labels: `Y_i = -log(max(X[i, label_i], 1e-20))`. X is viewed as \
                `N x D` (dim 0 by the rest; a 1-D X is one row); labels are int32 `[N]` or `[N, 1]` in `[0, D)`.
                """
            )
            .input(0, "X", "Probabilities, usually a Softmax output (float).")
            .input(1, "label", "int32 labels, `[N]` or `[N, 1]`.")
            .output(0, "Y", "Per-row loss, `[N]`."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    let label = try ctx.input(1)
                    try requireFloat(x)
                    let (n, d) = try crossEntropyRows(x)
                    try checkClassLabels(label, n: n, d: d)
                    let y = try ctx.output(0, dims: [Int64(n)], type: .float)
                    let xp = x.pointer(Float.self)
                    let lp = label.pointer(Int32.self)
                    let yp = y.pointer(Float.self)
                    for i in 0..<n {
                        yp[i] = -Foundation.log(Swift.max(xp[i * d + Int(lp[i])], logThreshold))
                    }
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef(
                "LabelCrossEntropyGradient", inputs: [g.I(0), g.I(1), g.GO(0)], outputs: [g.GI(0)])
        })

    static let labelCrossEntropyGradient = OperatorDefinition(
        schema: OperatorSchema("LabelCrossEntropyGradient")
            .numInputs(3).numOutputs(1)
            .types([.float])
            .doc("Gradient of LabelCrossEntropy: zero except `dX[i, label_i] = -dY_i / max(X[i, label_i], 1e-20)`.")
            .input(0, "X", "Input of the forward op.")
            .input(1, "label", "Labels of the forward op.")
            .input(2, "dY", "Gradient of the per-row loss, `[N]`.")
            .output(0, "dX", "Gradient with respect to X."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    let label = try ctx.input(1)
                    let dy = try ctx.input(2)
                    try requireFloat(x)
                    let (n, d) = try crossEntropyRows(x)
                    try checkClassLabels(label, n: n, d: d)
                    try requireRowGradient(dy, rows: n)
                    let dx = try ctx.output(0, like: x)
                    dx.zero()
                    let xp = x.pointer(Float.self)
                    let lp = label.pointer(Int32.self)
                    let gp = dy.pointer(Float.self)
                    let out = dx.pointer(Float.self)
                    for i in 0..<n {
                        let k = i * d + Int(lp[i])
                        out[k] = -gp[i] / Swift.max(xp[k], logThreshold)
                    }
                }
            }
        ])

    // MARK: CrossEntropy

    /// Checks CrossEntropy's soft labels: float `[N, D]` (or `[N]` when D is 1), each in `[0, 1]`.
    static func checkSoftLabels(_ label: TensorView, n: Int, d: Int) throws {
        try requireFloat(label)
        guard label.rank == 1 || (label.rank == 2 && label.dim(1) == d), label.dim(0) == n, label.count == n * d
        else {
            throw Caffe2Error(
                .shape, "soft labels '\(label.name)' \(label.dims) must be [\(n), \(d)]", blob: label.name)
        }
        let p = label.pointer(Float.self)
        for i in 0..<(n * d) where !(p[i] >= 0 && p[i] <= 1) {
            throw Caffe2Error(
                .runtime,
                "Soft label seems incorrect: label value should be a probability between 0 and 1.0. You may be using the wrong cross entropy operator; use LabelCrossEntropy if the labels are integers whose values are at most the number of classes, \(d). (input '\(label.name)', element \(i) is \(p[i]))",
                blob: label.name)
        }
    }

    static let crossEntropy = OperatorDefinition(
        schema: OperatorSchema("CrossEntropy")
            .numInputs(2).numOutputs(1)
            .identicalTypeAndShapeOfInputDim(0, 0)
            .types([.float])
            .doc(
                """
                Cross-entropy against soft labels: `Y_i = -sum_j label_ij * log(max(X_ij, 1e-20))`. X is viewed \
                as `N x D` as in LabelCrossEntropy; the label is float `N x D` with entries in [0, 1].
                """
            )
            .input(0, "X", "Probabilities (float).")
            .input(1, "label", "Soft labels, float `[N, D]`.")
            .output(0, "Y", "Per-row loss, `[N]`."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    let label = try ctx.input(1)
                    try requireFloat(x)
                    let (n, d) = try crossEntropyRows(x)
                    try checkSoftLabels(label, n: n, d: d)
                    let y = try ctx.output(0, dims: [Int64(n)], type: .float)
                    let xp = x.pointer(Float.self)
                    let lp = label.pointer(Float.self)
                    let yp = y.pointer(Float.self)
                    for i in 0..<n {
                        var s: Float = 0
                        for j in 0..<d {
                            let k = i * d + j
                            s += lp[k] * Foundation.log(Swift.max(xp[k], logThreshold))
                        }
                        yp[i] = -s
                    }
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef("CrossEntropyGradient", inputs: [g.I(0), g.I(1), g.GO(0)], outputs: [g.GI(0)])
        })

    static let crossEntropyGradient = OperatorDefinition(
        schema: OperatorSchema("CrossEntropyGradient")
            .numInputs(3).numOutputs(1)
            .types([.float])
            .doc("Gradient of CrossEntropy: `dX_ij = -dY_i * label_ij / max(X_ij, 1e-20)`.")
            .input(0, "X", "Input of the forward op.")
            .input(1, "label", "Soft labels of the forward op.")
            .input(2, "dY", "Gradient of the per-row loss, `[N]`.")
            .output(0, "dX", "Gradient with respect to X."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    let label = try ctx.input(1)
                    let dy = try ctx.input(2)
                    try requireFloat(x)
                    let (n, d) = try crossEntropyRows(x)
                    try checkSoftLabels(label, n: n, d: d)
                    try requireRowGradient(dy, rows: n)
                    let dx = try ctx.output(0, like: x)
                    let xp = x.pointer(Float.self)
                    let lp = label.pointer(Float.self)
                    let gp = dy.pointer(Float.self)
                    let out = dx.pointer(Float.self)
                    for i in 0..<n {
                        let gi = -gp[i]
                        for j in 0..<d {
                            let k = i * d + j
                            out[k] = gi * lp[k] / Swift.max(xp[k], logThreshold)
                        }
                    }
                }
            }
        ])

    // MARK: AveragedLoss

    static let averagedLoss = OperatorDefinition(
        schema: OperatorSchema("AveragedLoss")
            .numInputs(1).numOutputs(1)
            .scalarType(.float)
            .types([.float])
            .doc("The mean of all elements of X as a 0-d float: `L = sum(X) / numel(X)` (0 for an empty X).")
            .input(0, "X", "Per-example losses (float), any shape.")
            .output(0, "loss", "The averaged loss, 0-d."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    try requireFloat(x)
                    let s = ActivationKernels.sum(x.pointer(Float.self), x.count)
                    let l = try ctx.output(0, dims: [], type: .float)
                    l.pointer(Float.self)[0] = x.count > 0 ? Float(s / Double(x.count)) : 0
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef("AveragedLossGradient", inputs: [g.I(0), g.GO(0)], outputs: [g.GI(0)])
        })

    static let averagedLossGradient = OperatorDefinition(
        schema: OperatorSchema("AveragedLossGradient")
            .numInputs(2).numOutputs(1)
            .types([.float])
            .doc("Gradient of AveragedLoss: every element of dX is `dL / numel(X)`.")
            .input(0, "X", "Input of the forward op.")
            .input(1, "dL", "Gradient of the averaged loss (one element).")
            .output(0, "dX", "Gradient with respect to X, X's shape."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    try requireFloat(x)
                    let dL = try requireScalarGradient(try ctx.input(1))
                    let dx = try ctx.output(0, like: x)
                    ActivationKernels.fill(dx.pointer(Float.self), dx.count, dL / Float(Swift.max(x.count, 1)))
                }
            }
        ])

    // MARK: SquaredL2Distance and DotProduct

    /// Checks that `x` and `y` are float with identical dims; returns Caffe2's row split `(N, D)`.
    static func pairedRows(_ x: TensorView, _ y: TensorView) throws -> (n: Int, d: Int) {
        try requireFloat(x)
        try requireFloat(y)
        try ActivationOperators.requireSameDims(x, y)
        let n = x.rank > 0 ? x.dim(0) : 1
        return (n, n > 0 ? x.count / n : 0)
    }

    static let squaredL2Distance = OperatorDefinition(
        schema: OperatorSchema("SquaredL2Distance")
            .numInputs(2).numOutputs(1)
            .identicalTypeAndShapeOfInputDim(0, 0)
            .types([.float])
            .doc(
                """
                Half the squared Euclidean distance per row: `Z_i = 0.5 * ||X_i - Y_i||^2`, rows along dim 0 \
                (a 0-d input is one row). X and Y must have identical dims.
                """
            )
            .input(0, "X", "First input (float).")
            .input(1, "Y", "Second input, X's dims.")
            .output(0, "Z", "Per-row distances, `[N]`."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    let y = try ctx.input(1)
                    let (n, d) = try pairedRows(x, y)
                    let z = try ctx.output(0, dims: [Int64(n)], type: .float)
                    let xp = x.pointer(Float.self)
                    let yp = y.pointer(Float.self)
                    let zp = z.pointer(Float.self)
                    for i in 0..<n {
                        var s: Double = 0
                        let a = xp + i * d
                        let b = yp + i * d
                        for j in 0..<d {
                            let diff = Double(a[j]) - Double(b[j])
                            s += diff * diff
                        }
                        zp[i] = Float(0.5 * s)
                    }
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef(
                "SquaredL2DistanceGradient", inputs: [g.I(0), g.I(1), g.GO(0)], outputs: [g.GI(0), g.GI(1)])
        })

    static let squaredL2DistanceGradient = OperatorDefinition(
        schema: OperatorSchema("SquaredL2DistanceGradient")
            .numInputs(3).numOutputs(2)
            .types([.float])
            .doc("Gradient of SquaredL2Distance: `dX_i = (X_i - Y_i) * dZ_i`, `dY = -dX`.")
            .input(0, "X", "First input of the forward op.")
            .input(1, "Y", "Second input of the forward op.")
            .input(2, "dZ", "Gradient of the distances, `[N]`.")
            .output(0, "dX", "Gradient with respect to X.")
            .output(1, "dY", "Gradient with respect to Y."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    let y = try ctx.input(1)
                    let dz = try ctx.input(2)
                    let (n, d) = try pairedRows(x, y)
                    try requireRowGradient(dz, rows: n)
                    let dx = try ctx.output(0, like: x)
                    let dy = try ctx.output(1, like: y)
                    let xp = x.pointer(Float.self)
                    let yp = y.pointer(Float.self)
                    let gp = dz.pointer(Float.self)
                    let dxp = dx.pointer(Float.self)
                    let dyp = dy.pointer(Float.self)
                    for i in 0..<n {
                        let gi = gp[i]
                        for j in 0..<d {
                            let k = i * d + j
                            let v = (xp[k] - yp[k]) * gi
                            dxp[k] = v
                            dyp[k] = -v
                        }
                    }
                }
            }
        ])

    /// DotProduct's rows: Caffe2 makes an empty input 0 rows of 0.
    static func dotRows(_ x: TensorView, _ y: TensorView) throws -> (n: Int, d: Int) {
        let (n, d) = try pairedRows(x, y)
        return x.count > 0 ? (n, d) : (0, 0)
    }

    static let dotProduct = OperatorDefinition(
        schema: OperatorSchema("DotProduct")
            .numInputs(2).numOutputs(1)
            .tensorInference("[X.dims[0]] (1 for a 0-d X)") { def, inputs in
                guard let x = inputs.first else { throw inferenceInputError(def, 0) }
                return [TensorShape(dims: [x.dims.first ?? 1], dataType: x.dataType)]
            }
            .types([.float])
            .doc(
                """
                Row-wise dot product: `Z_i = sum_j X_ij * Y_ij`, rows along dim 0 (a 1-D input gives one \
                product per element). X and Y must have identical dims.
                """
            )
            .input(0, "X", "First input (float).")
            .input(1, "Y", "Second input, X's dims.")
            .output(0, "Z", "Per-row dot products, `[N]`."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    let y = try ctx.input(1)
                    let (n, d) = try dotRows(x, y)
                    let z = try ctx.output(0, dims: [Int64(n)], type: .float)
                    let xp = x.pointer(Float.self)
                    let yp = y.pointer(Float.self)
                    let zp = z.pointer(Float.self)
                    for i in 0..<n {
                        zp[i] = Float(ActivationKernels.dotProduct(xp + i * d, yp + i * d, d))
                    }
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef(
                "DotProductGradient", inputs: [g.I(0), g.I(1), g.GO(0)], outputs: [g.GI(0), g.GI(1)])
        })

    static let dotProductGradient = OperatorDefinition(
        schema: OperatorSchema("DotProductGradient")
            .numInputs(3).numOutputs(2)
            .types([.float])
            .doc("Gradient of DotProduct: `dX_i = dZ_i * Y_i`, `dY_i = dZ_i * X_i`.")
            .input(0, "X", "First input of the forward op.")
            .input(1, "Y", "Second input of the forward op.")
            .input(2, "dZ", "Gradient of the products, `[N]`.")
            .output(0, "dX", "Gradient with respect to X.")
            .output(1, "dY", "Gradient with respect to Y."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    let y = try ctx.input(1)
                    let dz = try ctx.input(2)
                    let (n, d) = try dotRows(x, y)
                    try requireRowGradient(dz, rows: n)
                    let dx = try ctx.output(0, like: x)
                    let dy = try ctx.output(1, like: y)
                    let xp = x.pointer(Float.self)
                    let yp = y.pointer(Float.self)
                    let gp = dz.pointer(Float.self)
                    let dxp = dx.pointer(Float.self)
                    let dyp = dy.pointer(Float.self)
                    for i in 0..<n {
                        let gi = gp[i]
                        for j in 0..<d {
                            let k = i * d + j
                            dxp[k] = gi * yp[k]
                            dyp[k] = gi * xp[k]
                        }
                    }
                }
            }
        ])

    // MARK: Accuracy

    static let accuracy = OperatorDefinition(
        schema: OperatorSchema("Accuracy")
            .numInputs(2).numOutputs(1)
            .scalarType(.float)
            .types([.float])
            .doc(
                """
                Fraction of rows whose label is among the `top_k` highest predictions. Ties rank by class \
                index (a lower index ranks higher), as a stable sort would. Output: 0-d float `correct / N`.
                """
            )
            .arg("top_k", "*(int, default 1)* How many top predictions count as correct.")
            .input(0, "predictions", "Scores, float `[N, D]`.")
            .input(1, "labels", "int32 labels `[N]`, each in `[0, D)`.")
            .output(0, "accuracy", "0-d float."),
        kernels: [
            OperatorKernel { _, args in
                let topK = try args.single("top_k", default: 1)
                return { ctx in
                    let x = try ctx.input(0)
                    let label = try ctx.input(1)
                    try requireFloat(x)
                    guard x.rank == 2 else {
                        throw Caffe2Error(.shape, "predictions '\(x.name)' \(x.dims) must be 2-D [N, D]", blob: x.name)
                    }
                    let n = x.dim(0)
                    let d = x.dim(1)
                    try requireInt32Labels(label)
                    guard label.rank == 1, label.dim(0) == n else {
                        throw Caffe2Error(.shape, "labels '\(label.name)' \(label.dims) must be [\(n)]", blob: label.name)
                    }
                    try checkLabelRange(label, count: n, classes: d) { _ in
                        "Label seems to be outside of supported range. Supported labels are in range [0,\(d))"
                    }
                    let xp = x.pointer(Float.self)
                    let lp = label.pointer(Int32.self)
                    var correct = 0
                    for i in 0..<n {
                        let row = xp + i * d
                        let l = Int(lp[i])
                        let s = row[l]
                        var ahead = 0
                        for j in 0..<d where row[j] > s || (row[j] == s && j < l) {
                            ahead += 1
                            if ahead >= topK { break }
                        }
                        if ahead < topK { correct += 1 }
                    }
                    let out = try ctx.output(0, dims: [], type: .float)
                    out.pointer(Float.self)[0] = Float(correct) / Float(n)
                }
            }
        ],
        gradient: .shouldNotDoGradient)
}
