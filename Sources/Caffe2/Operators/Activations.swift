/// Activations (Relu, LeakyRelu, PRelu, Sigmoid, Tanh, Softplus, Elu),
/// Softmax and Dropout, with their gradient operators.
///
/// Every forward activation's gradient op reads the forward *output* `Y`
/// (`XGradient(Y, dY) → dX`), which is what makes the in-place forward
/// (`X → X`) legal. Caffe2 has no `LogSoftmax` operator; the only
/// log-softmax is the one inside `SoftmaxWithLoss` (Operators/Losses.swift).
enum ActivationOperators {
    static let definitions: [OperatorDefinition] = [
        relu, reluGradient,
        leakyRelu, leakyReluGradient,
        prelu, preluGradient,
        sigmoid, sigmoidGradient,
        tanh, tanhGradient,
        softplus, softplusGradient,
        elu, eluGradient,
        softmax, softmaxGradient,
        dropout, dropoutGrad,
    ]

    // MARK: Shared kernels and helpers

    /// A float32 loop over `(x, y, count)`; `y` may be `x`.
    typealias UnaryLoop = (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    /// A float32 loop over `(y, dy, dx, count)`; `dx` may be `dy`.
    typealias GradientLoop = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void

    /// A kernel for a float32 unary element-wise operator: output 0 is shaped
    /// like input 0 and may be the same blob. `make` parses the arguments
    /// once, when the operator is created, and returns the loop.
    static func unaryKernel(_ make: @escaping @Sendable (Arguments) throws -> UnaryLoop) -> OperatorKernel {
        OperatorKernel { _, args in
            let loop = try make(args)
            return { ctx in
                let x = try ctx.input(0)
                guard x.dataType == .float else { throw x.unsupportedType([.float]) }
                let y = try ctx.output(0, like: x)
                loop(x.pointer(Float.self), y.pointer(Float.self), x.count)
            }
        }
    }

    /// A kernel for a `(Y, dY) → dX` gradient operator over float32: `Y` and
    /// `dY` must have the same dims; `dX` is shaped like `dY` and may be the
    /// same blob (in-place `{1, 0}`).
    static func gradientKernel(_ make: @escaping @Sendable (Arguments) throws -> GradientLoop) -> OperatorKernel {
        OperatorKernel { _, args in
            let loop = try make(args)
            return { ctx in
                let y = try ctx.input(0)
                let dy = try ctx.input(1)
                try requireFloat(y)
                try requireFloat(dy)
                try requireSameDims(y, dy)
                let dx = try ctx.output(0, like: dy)
                loop(y.pointer(Float.self), dy.pointer(Float.self), dx.pointer(Float.self), dy.count)
            }
        }
    }

    /// Throws Caffe2's "Unsupported type" error unless `t` holds float32 elements.
    static func requireFloat(_ t: TensorView) throws {
        guard t.dataType == .float else { throw t.unsupportedType([.float]) }
    }

    /// Throws a `.shape` error naming both blobs unless their dims are equal.
    static func requireSameDims(_ a: TensorView, _ b: TensorView) throws {
        guard a.dims == b.dims else {
            throw Caffe2Error(
                .shape, "inputs '\(a.name)' \(a.dims) and '\(b.name)' \(b.dims) must have the same dims", blob: b.name)
        }
    }

    /// Caffe2's `canonical_axis_index_`: `axis` in `[-rank, rank)`, negative counting from the end.
    static func canonicalAxis(_ axis: Int, rank: Int, blob: String? = nil) throws -> Int {
        guard axis >= -rank && axis < rank else {
            let of = blob.map { " of '\($0)'" } ?? ""
            throw Caffe2Error(
                .argument,
                "argument axis=\(axis) is out of range for the \(rank)-D input\(of): expected \(-rank) <= axis < \(rank)",
                blob: blob)
        }
        return axis < 0 ? axis + rank : axis
    }

    /// The single gradient op `type(Y, dY) → dX` of a unary activation.
    static func outputGradient(_ type: String) -> GradientMaker {
        .make { g in
            try g.singleGradientDef(type, inputs: [g.O(0), g.GO(0)], outputs: [g.GI(0)])
        }
    }

    /// The schema of a `(Y, dY) → dX` gradient op.
    static func gradientSchema(_ type: String, _ math: String, inferred: Bool) -> OperatorSchema {
        var s = OperatorSchema(type)
            .numInputs(2).numOutputs(1)
            .allowInplace([(1, 0)])
            .types([.float])
            .doc(math)
            .input(0, "Y", "Output of the forward operator.")
            .input(1, "dY", "Gradient of the loss with respect to Y.")
            .output(0, "dX", "Gradient of the loss with respect to X (may be dY's blob).")
        if inferred { s = s.identicalTypeAndShapeOfInput(1) }
        return s
    }

    /// The schema of a float32 unary activation `X → Y`, in-place allowed.
    static func unarySchema(_ type: String, _ math: String) -> OperatorSchema {
        OperatorSchema(type)
            .numInputs(1).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShape()
            .types([.float])
            .doc(math)
            .input(0, "X", "Input tensor (float).")
            .output(0, "Y", "Output tensor of X's shape (may be X's blob).")
    }

    // MARK: Relu

    static let relu = OperatorDefinition(
        schema: unarySchema("Relu", "Rectified linear unit, element-wise: `Y = max(X, 0)`."),
        kernels: [
            OperatorKernel { def, args in
                // The net fused this in-place Relu into the op before it, which applies it.
                if FusionRequest.accept(.absorbRelu) { return { _ in } }
                return try unaryKernel { _ in { ActivationKernels.relu($0, $1, count: $2) } }.factory(def, args)
            }
        ],
        gradient: outputGradient("ReluGradient"))

    static let reluGradient = OperatorDefinition(
        schema: gradientSchema("ReluGradient", "Gradient of Relu: `dX = dY` where `Y > 0`, else 0.", inferred: true),
        kernels: [gradientKernel { _ in { ActivationKernels.reluGradient($0, $1, $2, count: $3) } }])

    // MARK: LeakyRelu

    static let leakyRelu = OperatorDefinition(
        schema: unarySchema(
            "LeakyRelu", "Leaky rectified linear unit: `Y = X` where `X >= 0`, else `alpha * X`."
        )
        .arg("alpha", "*(float, default 0.01)* Slope for negative inputs."),
        kernels: [
            unaryKernel { args in
                let alpha = try args.single("alpha", default: Float(0.01))
                return { ActivationKernels.leakyRelu($0, $1, count: $2, alpha: alpha) }
            }
        ],
        gradient: outputGradient("LeakyReluGradient"))

    static let leakyReluGradient = OperatorDefinition(
        schema: gradientSchema(
            "LeakyReluGradient", "Gradient of LeakyRelu: `dX = dY` where `Y >= 0`, else `alpha * dY`.",
            inferred: true
        )
        .arg("alpha", "*(float, default 0.01)* Slope for negative inputs (copied from the forward op)."),
        kernels: [
            gradientKernel { args in
                let alpha = try args.single("alpha", default: Float(0.01))
                return { ActivationKernels.leakyReluGradient($0, $1, $2, count: $3, alpha: alpha) }
            }
        ])

    // MARK: PRelu

    /// How PRelu walks a tensor: `outer × channels × inner` elements.
    struct PReluLayout {
        var outer: Int
        var channels: Int
        var inner: Int
    }

    /// Parses PRelu's `order` argument.
    static func preluOrder(_ args: Arguments) throws -> Bool {
        let order = try args.single("order", default: "NCHW")
        switch order {
        case "NCHW": return false
        case "NHWC": return true
        default:
            throw Caffe2Error(.argument, "Unknown storage order: \(order) (argument order must be NCHW or NHWC)")
        }
    }

    /// The channel layout of `x` for PRelu, checking the slope size.
    static func preluLayout(_ x: TensorView, slope: TensorView, nhwc: Bool) throws -> (PReluLayout, shared: Bool) {
        let layout: PReluLayout
        if nhwc {
            guard x.rank >= 1 else {
                throw Caffe2Error(.shape, "input '\(x.name)' must have at least 1 dim for order NHWC", blob: x.name)
            }
            let c = x.dim(-1)
            layout = PReluLayout(outer: c == 0 ? 0 : x.count / c, channels: c, inner: 1)
        } else {
            guard x.rank >= 2 else {
                throw Caffe2Error(
                    .shape, "input '\(x.name)' \(x.dims) must have at least 2 dims for order NCHW", blob: x.name)
            }
            layout = PReluLayout(outer: x.dim(0), channels: x.dim(1), inner: x.sizeFromDim(2))
        }
        let shared = slope.count == 1
        guard shared || slope.count == layout.channels else {
            throw Caffe2Error(
                .shape,
                "slope '\(slope.name)' has \(slope.count) elements; expected 1 (shared) or \(layout.channels) (one per channel of '\(x.name)' \(x.dims), order \(nhwc ? "NHWC" : "NCHW"))",
                blob: slope.name)
        }
        return (layout, shared)
    }

    static let prelu = OperatorDefinition(
        schema: OperatorSchema("PRelu")
            .numInputs(2).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShapeOfInput(0)
            .types([.float])
            .doc(
                """
                Parametric Relu: `Y = X` where `X > 0`, else `slope_c * X`, with one slope per channel \
                (dim 1 for NCHW, the last dim for NHWC) or one shared slope.
                """
            )
            .arg("order", "*(string, default \"NCHW\")* Where the channel dim is: \"NCHW\" or \"NHWC\".")
            .input(0, "X", "Input tensor (float).")
            .input(1, "Slope", "Slopes: 1 element (shared) or one per channel.")
            .output(0, "Y", "Output tensor of X's shape (may be X's blob)."),
        kernels: [
            OperatorKernel { _, args in
                let nhwc = try preluOrder(args)
                return { ctx in
                    let x = try ctx.input(0)
                    let slope = try ctx.input(1)
                    try requireFloat(x)
                    try requireFloat(slope)
                    let (l, shared) = try preluLayout(x, slope: slope, nhwc: nhwc)
                    let y = try ctx.output(0, like: x)
                    ActivationKernels.prelu(
                        x.pointer(Float.self), slope.pointer(Float.self), y.pointer(Float.self),
                        outer: l.outer, channels: l.channels, inner: l.inner, shared: shared)
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef(
                "PReluGradient", inputs: [g.O(0), g.GO(0), g.I(0), g.I(1)], outputs: [g.GI(0), g.GI(1)])
        })

    static let preluGradient = OperatorDefinition(
        schema: OperatorSchema("PReluGradient")
            .numInputs(4).numOutputs(2)
            .tensorInference("IdenticalTypeAndShapeOfMultipleInputs([2, 3])") { def, inputs in
                guard inputs.count > 3 else { throw inferenceInputError(def, 3) }
                return [inputs[2], inputs[3]]
            }
            .types([.float])
            .doc(
                """
                Gradient of PRelu: `dX = dY` where `X > 0`, else `slope_c * dY`; \
                `dSlope_c = sum of dY * X over the positions of channel c where X <= 0` (one sum when the \
                slope is shared). X must not be the same blob as Y: an in-place PRelu cannot be differentiated.
                """
            )
            .arg("order", "*(string, default \"NCHW\")* As in the forward op.")
            .input(0, "Y", "Output of the forward PRelu.")
            .input(1, "dY", "Gradient of the loss with respect to Y.")
            .input(2, "X", "Input of the forward PRelu.")
            .input(3, "Slope", "Slope of the forward PRelu.")
            .output(0, "dX", "Gradient with respect to X.")
            .output(1, "dSlope", "Gradient with respect to Slope."),
        kernels: [
            OperatorKernel { _, args in
                let nhwc = try preluOrder(args)
                return { ctx in
                    guard ctx.inputName(0) != ctx.inputName(2) else {
                        throw Caffe2Error(
                            .runtime,
                            "Cannot backpropagate through an in-place PReLU: Y and X are both '\(ctx.inputName(0))'",
                            blob: ctx.inputName(0))
                    }
                    let y = try ctx.input(0)
                    let dy = try ctx.input(1)
                    let x = try ctx.input(2)
                    let slope = try ctx.input(3)
                    for t in [y, dy, x, slope] { try requireFloat(t) }
                    try requireSameDims(x, dy)
                    guard y.count == dy.count else {
                        throw Caffe2Error(
                            .shape, "inputs '\(y.name)' \(y.dims) and '\(dy.name)' \(dy.dims) must have the same size",
                            blob: dy.name)
                    }
                    let (l, shared) = try preluLayout(x, slope: slope, nhwc: nhwc)
                    let dx = try ctx.output(0, like: x)
                    let dslope = try ctx.output(1, like: slope)
                    ActivationKernels.preluGradient(
                        x.pointer(Float.self), dy.pointer(Float.self), slope.pointer(Float.self),
                        dx.pointer(Float.self), dslope.pointer(Float.self),
                        outer: l.outer, channels: l.channels, inner: l.inner, shared: shared)
                }
            }
        ])

    // MARK: Sigmoid, Tanh, Softplus, Elu

    static let sigmoid = OperatorDefinition(
        schema: unarySchema("Sigmoid", "Logistic function, element-wise: `Y = 1 / (1 + exp(-X))`."),
        kernels: [unaryKernel { _ in { ActivationKernels.sigmoid($0, $1, count: $2) } }],
        gradient: outputGradient("SigmoidGradient"))

    static let sigmoidGradient = OperatorDefinition(
        schema: gradientSchema("SigmoidGradient", "Gradient of Sigmoid: `dX = dY * Y * (1 - Y)`.", inferred: true),
        kernels: [gradientKernel { _ in { ActivationKernels.sigmoidGradient($0, $1, $2, count: $3) } }])

    static let tanh = OperatorDefinition(
        schema: unarySchema("Tanh", "Hyperbolic tangent, element-wise: `Y = tanh(X)`."),
        kernels: [unaryKernel { _ in { ActivationKernels.tanh($0, $1, count: $2) } }],
        gradient: outputGradient("TanhGradient"))

    static let tanhGradient = OperatorDefinition(
        schema: gradientSchema("TanhGradient", "Gradient of Tanh: `dX = dY * (1 - Y * Y)`.", inferred: true),
        kernels: [gradientKernel { _ in { ActivationKernels.tanhGradient($0, $1, $2, count: $3) } }])

    static let softplus = OperatorDefinition(
        schema: unarySchema(
            "Softplus",
            "Softplus, element-wise: `Y = ln(exp(X) + 1)`, not max-shifted (so `+inf` once `exp(X)` overflows, as in Caffe2)."
        ),
        kernels: [unaryKernel { _ in { ActivationKernels.softplus($0, $1, count: $2) } }],
        gradient: outputGradient("SoftplusGradient"))

    static let softplusGradient = OperatorDefinition(
        schema: gradientSchema("SoftplusGradient", "Gradient of Softplus: `dX = dY * (1 - exp(-Y))`.", inferred: false),
        kernels: [gradientKernel { _ in { ActivationKernels.softplusGradient($0, $1, $2, count: $3) } }])

    static let elu = OperatorDefinition(
        schema: unarySchema("Elu", "Exponential linear unit: `Y = X` where `X >= 0`, else `alpha * (exp(X) - 1)`.")
            .arg("alpha", "*(float, default 1.0)* Scale of the negative part."),
        kernels: [
            unaryKernel { args in
                let alpha = try args.single("alpha", default: Float(1))
                return { ActivationKernels.elu($0, $1, count: $2, alpha: alpha) }
            }
        ],
        gradient: outputGradient("EluGradient"))

    static let eluGradient = OperatorDefinition(
        schema: gradientSchema(
            "EluGradient", "Gradient of Elu: `dX = dY` where `Y >= 0`, else `dY * (Y + alpha)`.", inferred: false
        )
        .arg("alpha", "*(float, default 1.0)* As in the forward op (copied from it)."),
        kernels: [
            gradientKernel { args in
                let alpha = try args.single("alpha", default: Float(1))
                return { ActivationKernels.eluGradient($0, $1, $2, count: $3, alpha: alpha) }
            }
        ])

    // MARK: Softmax

    static let softmax = OperatorDefinition(
        schema: OperatorSchema("Softmax")
            .numInputs(1).numOutputs(1)
            .identicalTypeAndShape()
            .types([.float])
            .doc(
                """
                Softmax over a 2-D view of X: `N = product of dims [0, axis)` rows of \
                `D = product of dims [axis, ndim)` elements; per row `Y = exp(x - max) / sum(exp(x - max))`. \
                Y has X's full dims. A row holding +inf or NaN becomes NaN.
                """
            )
            .arg("axis", "*(int, default 1)* First dim of the row part of the 2-D view; negative counts from the end.")
            .input(0, "X", "Input tensor (float), at least `axis + 1` dims.")
            .output(0, "Y", "Softmax of X, same shape."),
        kernels: [
            OperatorKernel { _, args in
                let axisArg = try args.single("axis", default: 1)
                return { ctx in
                    let x = try ctx.input(0)
                    try requireFloat(x)
                    let axis = try canonicalAxis(axisArg, rank: x.rank, blob: x.name)
                    let y = try ctx.output(0, like: x)
                    ActivationKernels.softmax(
                        x.pointer(Float.self), y.pointer(Float.self), rows: x.sizeToDim(axis),
                        cols: x.sizeFromDim(axis))
                }
            }
        ],
        gradient: outputGradient("SoftmaxGradient"))

    static let softmaxGradient = OperatorDefinition(
        schema: OperatorSchema("SoftmaxGradient")
            .numInputs(2).numOutputs(1)
            .types([.float])
            .doc("Gradient of Softmax, per row of the 2-D view at `axis`: `dX = Y * (dY - sum(dY * Y))`.")
            .arg("axis", "*(int, default 1)* As in the forward op (copied from it).")
            .input(0, "Y", "Output of the forward Softmax.")
            .input(1, "dY", "Gradient of the loss with respect to Y.")
            .output(0, "dX", "Gradient of the loss with respect to X."),
        kernels: [
            OperatorKernel { _, args in
                let axisArg = try args.single("axis", default: 1)
                return { ctx in
                    let y = try ctx.input(0)
                    let dy = try ctx.input(1)
                    try requireFloat(y)
                    try requireFloat(dy)
                    try requireSameDims(y, dy)
                    let axis = try canonicalAxis(axisArg, rank: y.rank, blob: y.name)
                    let dx = try ctx.output(0, like: y)
                    ActivationKernels.softmaxGradient(
                        y.pointer(Float.self), dy.pointer(Float.self), dx.pointer(Float.self),
                        rows: y.sizeToDim(axis), cols: y.sizeFromDim(axis))
                }
            }
        ])

    // MARK: Dropout

    /// Parses and checks Dropout's `ratio` (in `[0, 1)`).
    static func dropoutRatio(_ args: Arguments) throws -> Float {
        let ratio = try args.single("ratio", default: Float(0.5))
        guard ratio >= 0 && ratio < 1 else {
            throw Caffe2Error(.argument, "argument ratio=\(ratio) must be in [0, 1)")
        }
        return ratio
    }

    /// Dropout's (and DropoutGrad's) mode: `is_test` when given, else
    /// training exactly when the op has a mask (an inference net's one-output
    /// Dropout without `is_test` is the identity).
    static func dropoutIsTest(_ args: Arguments, hasMask: Bool) throws -> Bool {
        try args.single("is_test", as: Bool.self) ?? !hasMask
    }

    /// The mask generator of one Dropout operator, kept across runs.
    final class DropoutState {
        var rng: RandomStream
        init(_ rng: RandomStream) { self.rng = rng }
    }

    static let dropout = OperatorDefinition(
        schema: OperatorSchema("Dropout")
            .numInputs(1).numOutputs(1, 2)
            .allowInplace([(0, 0)])
            .tensorInference("Y like X; mask like X, bool") { def, inputs in
                guard let x = inputs.first else { throw inferenceInputError(def, 0) }
                var out = [x]
                if def.output.count == 2 { out.append(TensorShape(dims: x.dims, dataType: .bool)) }
                return out
            }
            .types([.float])
            .doc(
                """
                Dropout. Test mode (`is_test` non-zero): `Y = X` (nothing is copied when in place), and a requested \
                mask is all true. Training mode (`is_test` zero): needs the mask output; each element is kept \
                with probability `1 - ratio` (`mask` true) and `Y = X * mask / (1 - ratio)`. The masks come from \
                a generator owned by the operator and seeded with `device_option.random_seed` when the op (or \
                its net) sets one, so runs are reproducible; otherwise the seed is random. Caffe2's schema \
                requires `is_test`; here an op without it runs in training mode when it has the mask output \
                and in test mode when it has only `Y` (as exported inference nets, e.g. Glow's, write it).
                """
            )
            .arg("ratio", "*(float, default 0.5)* Probability of dropping an element; must be in [0, 1).")
            .arg(
                "is_test",
                "*(int; default 0 with a mask output, 1 without)* Non-zero: test mode, `Y = X`. Zero: training mode, draw a mask.")
            .input(0, "X", "Input tensor (float).")
            .output(0, "Y", "Output tensor of X's shape (may be X's blob).")
            .output(1, "mask", "*(bool)* Kept elements; required in training mode."),
        kernels: [
            OperatorKernel { def, args in
                let ratio = try dropoutRatio(args)
                let isTest = try dropoutIsTest(args, hasMask: def.output.count > 1)
                if !isTest && def.output.count < 2 {
                    throw Caffe2Error(
                        .schema,
                        "Dropout in training mode (is_test=0) needs the mask output: give 2 outputs, got \(def.output.count)")
                }
                if isTest {
                    return { ctx in
                        let x = try ctx.input(0)
                        try requireFloat(x)
                        if !ctx.isInPlace(input: 0, output: 0) { ctx.setOutput(0, try ctx.inputTensor(0)) }
                        if ctx.outputCount > 1 {
                            let mask = try ctx.output(1, dims: x.dims, type: .bool)
                            if mask.count > 0 { mask.pointer(Bool.self).update(repeating: true, count: mask.count) }
                        }
                    }
                }
                let state = DropoutState(RandomKernels.generator(for: def))
                let keep = 1 - Double(ratio)
                let scale = 1 / (1 - ratio)
                return { ctx in
                    let x = try ctx.input(0)
                    try requireFloat(x)
                    let y = try ctx.output(0, like: x)
                    let mask = try ctx.output(1, dims: x.dims, type: .bool)
                    ActivationKernels.dropout(
                        x.pointer(Float.self), y.pointer(Float.self), mask.pointer(Bool.self), count: x.count,
                        keep: keep, scale: scale, rng: &state.rng)
                }
            }
        ],
        gradient: .make { g in
            let isTest = try dropoutIsTest(try Arguments(g.def), hasMask: g.def.output.count > 1)
            if isTest {
                return try g.singleGradientDef("DropoutGrad", inputs: [g.GO(0)], outputs: [g.GI(0)])
            }
            return try g.singleGradientDef("DropoutGrad", inputs: [g.GO(0), g.O(1)], outputs: [g.GI(0)])
        })

    static let dropoutGrad = OperatorDefinition(
        schema: OperatorSchema("DropoutGrad")
            .numInputs(1, 2).numOutputs(1)
            .allowInplace([(0, 0)])
            .types([.float])
            .doc(
                """
                Gradient of Dropout. Test mode: `dX = dY`. Training mode: `dX = dY * mask / (1 - ratio)`, \
                with the forward op's mask as input 1. `ratio` and `is_test` are copied from the forward op.
                """
            )
            .arg("ratio", "*(float, default 0.5)* As in the forward op.")
            .arg("is_test", "*(int; default 0 with a mask input, 1 without)* As in the forward op.")
            .input(0, "dY", "Gradient of the loss with respect to Y.")
            .input(1, "mask", "*(bool)* The forward op's mask (training mode only).")
            .output(0, "dX", "Gradient with respect to X (may be dY's blob)."),
        kernels: [
            OperatorKernel { def, args in
                let ratio = try dropoutRatio(args)
                let isTest = try dropoutIsTest(args, hasMask: def.input.count > 1)
                if isTest {
                    return { ctx in
                        let dy = try ctx.input(0)
                        try requireFloat(dy)
                        if !ctx.isInPlace(input: 0, output: 0) { ctx.setOutput(0, try ctx.inputTensor(0)) }
                    }
                }
                guard def.input.count == 2 else {
                    throw Caffe2Error(
                        .schema, "DropoutGrad in training mode (is_test=0) needs the mask as input 1 (inputs: dY, mask)")
                }
                let scale = 1 / (1 - ratio)
                return { ctx in
                    let dy = try ctx.input(0)
                    let mask = try ctx.input(1)
                    try requireFloat(dy)
                    guard mask.dataType == .bool else { throw mask.unsupportedType([.bool]) }
                    guard mask.count == dy.count else {
                        throw Caffe2Error(
                            .shape,
                            "mask '\(mask.name)' \(mask.dims) must have as many elements as '\(dy.name)' \(dy.dims)",
                            blob: mask.name)
                    }
                    let dx = try ctx.output(0, like: dy)
                    ActivationKernels.dropoutGradient(
                        dy.pointer(Float.self), mask.pointer(Bool.self), dx.pointer(Float.self), count: dy.count,
                        scale: scale)
                }
            }
        ])
}
