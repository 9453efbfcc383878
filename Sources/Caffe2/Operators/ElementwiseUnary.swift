import Foundation

/// Unary element-wise math: Negative, Scale, Sqr, Sqrt, RSqrt, Exp, Log, Abs,
/// Pow (exponent argument or tensor), Sign, Clip, Swish, and the gradient ops
/// RSqrtGradient, AbsGradient, ClipGradient, SwishGradient.
enum ElementwiseUnaryOperators {
    static let definitions: [OperatorDefinition] = [
        negative, scale, sqr, sqrt, rsqrt, rsqrtGradient, exp, log, abs, absGradient, pow, sign, clip,
        clipGradient, swish, swishGradient,
    ]

    // MARK: Negative, Scale

    static let negative = OperatorDefinition(
        schema: OperatorSchema("Negative")
            .numInputs(1).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShape()
            .types(numericTypes)
            .doc("Element-wise `Y = -X` (integers wrap around). Gradient: `Negative(dY) -> dX`.")
            .input(0, "X", "Input tensor.")
            .output(0, "Y", "Negated tensor of X's shape and type."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    switch x.dataType {
                    case .float: try negate(Float.self, ctx, x)
                    case .double: try negate(Double.self, ctx, x)
                    case .int32: try negate(Int32.self, ctx, x)
                    case .int64: try negate(Int64.self, ctx, x)
                    default: throw x.unsupportedType(numericTypes)
                    }
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef("Negative", inputs: [g.GO(0)], outputs: [g.GI(0)])
        })

    static func negate<T: NumericElement>(_: T.Type, _ ctx: OperatorContext, _ x: TensorView) throws {
        let y = try ctx.output(0, like: x)
        mapUnary(x.pointer(T.self), y.pointer(T.self), x.count) { T.neg($0) }
    }

    static let scale = OperatorDefinition(
        schema: OperatorSchema("Scale")
            .numInputs(1).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShape()
            .types([.float, .double])
            .doc("Element-wise `Y = scale * X`. Gradient: `Scale(dY) -> dX` with the same `scale`.")
            .arg("scale", "*(float, default 1.0)* The multiplier (a float also for double input).")
            .input(0, "X", "Input tensor (float or double).")
            .output(0, "Y", "Scaled tensor of X's shape and type."),
        kernels: [
            OperatorKernel { _, args in
                let s = try args.single("scale", default: Float(1))
                return { ctx in
                    let x = try ctx.input(0)
                    switch x.dataType {
                    case .float:
                        let y = try ctx.output(0, like: x)
                        mapUnary(x.pointer(Float.self), y.pointer(Float.self), x.count) { s * $0 }
                    case .double:
                        let y = try ctx.output(0, like: x)
                        let d = Double(s)
                        mapUnary(x.pointer(Double.self), y.pointer(Double.self), x.count) { d * $0 }
                    default:
                        throw x.unsupportedType([.float, .double])
                    }
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef("Scale", inputs: [g.GO(0)], outputs: [g.GI(0)])
        })

    // MARK: Sqr, Sqrt, RSqrt

    static let sqr = OperatorDefinition(
        schema: floatUnarySchema("Sqr", "Y = X * X")
            .doc(
                "Element-wise `Y = X * X`. Gradient: `Scale(dY) -> dY` with `scale = 2` (overwriting the incoming gradient), then `Mul(dY, X) -> dX`; it reads X, so an in-place Sqr gives a wrong gradient."
            ),
        kernels: [floatUnaryKernel { mapUnary($0, $1, $2) { $0 * $0 } }],
        gradient: .make { g in
            [
                g.gradientDef(
                    "Scale", inputs: [try g.GO(0)], outputs: [try g.GO(0)],
                    args: [Argument(name: "scale", float: 2)]),
                g.gradientDef("Mul", inputs: [try g.GO(0), try g.I(0)], outputs: [try g.GI(0)]),
            ]
        })

    static let sqrt = OperatorDefinition(
        schema: OperatorSchema("Sqrt")
            .numInputs(1).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShape()
            .types([.float, .double])
            .doc(
                "Element-wise `Y = sqrt(X)` (negative values give NaN). Gradient: `Scale(dY) -> dX` with `scale = 0.5`, then `Div(dX, Y) -> dX`."
            )
            .input(0, "X", "Input tensor (float or double).")
            .output(0, "Y", "Square roots, of X's shape and type."),
        kernels: [
            unaryFloatingKernel(
                float: { mapUnary($0, $1, $2) { $0.squareRoot() } },
                double: { mapUnary($0, $1, $2) { $0.squareRoot() } })
        ],
        gradient: .make { g in
            [
                g.gradientDef(
                    "Scale", inputs: [try g.GO(0)], outputs: [try g.GI(0)],
                    args: [Argument(name: "scale", float: 0.5)]),
                g.gradientDef("Div", inputs: [try g.GI(0), try g.O(0)], outputs: [try g.GI(0)]),
            ]
        })

    static let rsqrt = OperatorDefinition(
        schema: floatUnarySchema("RSqrt", "Y = 1 / sqrt(X)")
            .doc(
                "Element-wise `Y = 1 / sqrt(X)` (`0 -> +inf`, negative values give NaN). Gradient: `RSqrtGradient(dY, Y) -> dX`."
            ),
        kernels: [floatUnaryKernel { mapUnary($0, $1, $2) { 1 / $0.squareRoot() } }],
        gradient: .make { g in
            try g.singleGradientDef("RSqrtGradient", inputs: [g.GO(0), g.O(0)], outputs: [g.GI(0)])
        })

    static let rsqrtGradient = OperatorDefinition(
        schema: OperatorSchema("RSqrtGradient")
            .numInputs(2).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShapeOfInput(0)
            .types([.float])
            .doc("Gradient of RSqrt: `dX = dY * Y^3 * (-0.5)`. Inputs are `(dY, Y)`.")
            .input(0, "dY", "Gradient of Y.")
            .input(1, "Y", "Output of the forward RSqrt.")
            .output(0, "dX", "Gradient of X."),
        kernels: [
            sameCountFloatKernel(outputLike: 0) { dy, y, dx, n in
                mapBinary(dy, y, dx, n) { dy, y in dy * y * y * y * -0.5 }
            }
        ])

    // MARK: Exp, Log, Abs

    static let exp = OperatorDefinition(
        schema: floatUnarySchema("Exp", "Y = e^X")
            .doc("Element-wise `Y = e^X`. Gradient: `Mul(Y, dY) -> dX`."),
        kernels: [floatUnaryKernel { mapUnaryTranscendental($0, $1, $2) { Float.naturalExp($0) } }],
        gradient: .make { g in
            try g.singleGradientDef("Mul", inputs: [g.O(0), g.GO(0)], outputs: [g.GI(0)])
        })

    static let log = OperatorDefinition(
        schema: floatUnarySchema("Log", "Y = ln(X)")
            .doc(
                "Element-wise natural logarithm (`ln 0 = -inf`, negative values give NaN). Gradient: `Div(dY, X) -> dX`; it reads X, so an in-place Log gives a wrong gradient."
            ),
        kernels: [floatUnaryKernel { mapUnaryTranscendental($0, $1, $2) { Float.naturalLog($0) } }],
        gradient: .make { g in
            try g.singleGradientDef("Div", inputs: [g.GO(0), g.I(0)], outputs: [g.GI(0)])
        })

    static let abs = OperatorDefinition(
        schema: OperatorSchema("Abs")
            .numInputs(1).numOutputs(1)
            .identicalTypeAndShape()
            .types([.float])
            .doc("Element-wise `Y = |X|` (not in place). Gradient: `AbsGradient(X, dY) -> dX`.")
            .input(0, "X", "Input tensor (float).")
            .output(0, "Y", "Absolute values."),
        kernels: [floatUnaryKernel { mapUnary($0, $1, $2) { Swift.abs($0) } }],
        gradient: .make { g in
            try g.singleGradientDef("AbsGradient", inputs: [g.I(0), g.GO(0)], outputs: [g.GI(0)])
        })

    static let absGradient = OperatorDefinition(
        schema: OperatorSchema("AbsGradient")
            .numInputs(2).numOutputs(1)
            .identicalTypeAndShapeOfInput(0)
            .types([.float])
            .doc("Gradient of Abs: `dX = dY` where `X > 0`, `-dY` where `X < 0`, `0` where `X == 0`. Inputs are `(X, dY)`.")
            .input(0, "X", "Input of the forward Abs.")
            .input(1, "dY", "Gradient of Y.")
            .output(0, "dX", "Gradient of X."),
        kernels: [
            sameCountFloatKernel(outputLike: 0) { x, dy, dx, n in
                mapBinary(x, dy, dx, n) { x, dy in x > 0 ? dy : (x < 0 ? -dy : 0) }
            }
        ])

    // MARK: Pow

    static let pow = OperatorDefinition(
        schema: OperatorSchema("Pow")
            .numInputs(1, 2).numOutputs(1)
            .allowInplace([(0, 0), (1, 0)])
            .identicalTypeAndShapeOfInput(0)
            .types([.float])
            .doc(
                """
                Element-wise `Y = X^exponent`, with the exponent either the `exponent` argument (one input) \
                or a second tensor. Without `broadcast` the exponent tensor must have X's dims; with \
                `broadcast=1` it is matched against X's dims at `axis` (legacy broadcast only). Gradient \
                (arguments not copied): with the argument, `Pow(X) -> dX` [exponent-1], `Mul(dX, dY) -> dX`, \
                `Scale(dX) -> dX` [exponent]; with a tensor, ConstantFill / Sub / Pow / Mul / Mul for X and \
                Log / Mul / Mul (/ SumReduceLike) for the exponent.
                """
            )
            .arg("exponent", "*(float)* The exponent, when there is one input.")
            .broadcastArgumentDocs()
            .input(0, "X", "Base (float).")
            .input(1, "exponent", "Optional exponent tensor (float).")
            .output(0, "Y", "Powers, of X's shape."),
        kernels: [powKernel],
        gradient: powGradient)

    static let powKernel = OperatorKernel { def, args in
        if def.input.count == 1, args.has("exponent") {
            let e = try args.single("exponent", default: Float(0))
            return { ctx in
                let x = try ctx.input(0)
                guard x.dataType == .float else { throw x.unsupportedType([.float]) }
                let y = try ctx.output(0, like: x)
                mapUnaryTranscendental(x.pointer(Float.self), y.pointer(Float.self), x.count) { powf($0, e) }
            }
        }
        guard def.input.count == 2 else {
            throw Caffe2Error(
                .argument,
                "Only a tensor with an argument or two input tensors are supported as input to pow operator.")
        }
        let bargs = try BroadcastArguments(args)
        if !bargs.legacy && bargs.axisGiven {
            throw Caffe2Error(.argument, "Do not specify axis or axis_str if broadcast is not enabled.")
        }
        return { ctx in
            let x = try ctx.input(0)
            let e = try ctx.input(1)
            guard x.dataType == .float else { throw x.unsupportedType([.float]) }
            try requireType(e, .float, like: x)
            if !bargs.legacy {
                guard x.dims == e.dims else {
                    throw Caffe2Error(
                        .shape,
                        "Dimension mismatch - did you forget to set broadcast=1? (X '\(x.name)' \(x.dims), exponent '\(e.name)' \(e.dims))",
                        blob: e.name)
                }
                let y = try ctx.output(0, like: x)
                mapBinaryTranscendental(x.pointer(Float.self), e.pointer(Float.self), y.pointer(Float.self), x.count) {
                    powf($0, $1)
                }
                return
            }
            let shapes = try BinaryShapes(
                ctx, x, e, bargs, legacyInPlaceMessage: "In-place is allowed only with the first tensor when broadcasting")
            if e.count == 1 {
                let k = e.pointer(Float.self)[0]
                let y = try ctx.output(0, like: x)
                let xp = x.pointer(Float.self)
                let yp = y.pointer(Float.self)
                switch k {
                case -1: mapUnary(xp, yp, x.count) { 1 / $0 }
                case 0.5: mapUnary(xp, yp, x.count) { $0.squareRoot() }
                case -0.5: mapUnary(xp, yp, x.count) { 1 / $0.squareRoot() }
                case 2: mapUnary(xp, yp, x.count) { $0 * $0 }
                default: mapUnaryTranscendental(xp, yp, x.count) { powf($0, k) }
                }
                return
            }
            let y = try ctx.output(0, like: x)
            broadcastBinary(shapes.layout, x.pointer(Float.self), e.pointer(Float.self), y.pointer(Float.self)) {
                powf($0, $1)
            }
        }
    }

    static let powGradient = GradientMaker.make(copyArguments: false) { g in
        let args = try Arguments(g.def)
        if args.has("exponent") {
            let e = try args.single("exponent", default: Float(0))
            let powArg: Float
            if try g.I(0) != g.O(0) {
                powArg = e - 1
            } else {
                guard Swift.abs(e) > 1e-12 else {
                    throw Caffe2Error(
                        .gradient, "In-place Pow gradient needs a non-zero exponent, got \(e)", opType: g.def.type)
                }
                powArg = (e - 1) / e
            }
            return [
                g.gradientDef(
                    "Pow", inputs: [try g.I(0)], outputs: [try g.GI(0)],
                    args: [Argument(name: "exponent", float: powArg)]),
                g.gradientDef("Mul", inputs: [try g.GI(0), try g.GO(0)], outputs: [try g.GI(0)]),
                g.gradientDef(
                    "Scale", inputs: [try g.GI(0)], outputs: [try g.GI(0)], args: [Argument(name: "scale", float: e)]),
            ]
        }
        guard try g.I(0) != g.O(0) && g.I(1) != g.O(0) else {
            throw Caffe2Error(
                .gradient,
                "Gradient computation cannot be carried out if Pow uses in-place computation: \(g.def.input) -> \(g.def.output)",
                opType: g.def.type)
        }
        var broadcastArgs: [Argument] = []
        var reduceArgs: [Argument] = []
        if args.has("broadcast") {
            let broadcast = args["broadcast"]!
            let axis = args["axis"] ?? Argument(name: "axis", int: -1)
            let axisString = args["axis_str"] ?? Argument(name: "axis_str", string: "")
            let order = args["order"] ?? Argument(name: "order", string: "NCHW")
            broadcastArgs = [broadcast, axis, axisString, order]
            reduceArgs = [axis, axisString, order]
        }
        let x = try g.I(0)
        let e = try g.I(1)
        let y = try g.O(0)
        let dY = try g.GO(0)
        let dX = try g.GI(0)
        let dE = try g.GI(1)
        let preReduce = dE + "_autogen_pre_red"
        var ops = [
            g.gradientDef("ConstantFill", inputs: [e], outputs: [dE], args: [Argument(name: "value", float: 1)]),
            g.gradientDef("Sub", inputs: [e, dE], outputs: [dE]),
            g.gradientDef("Pow", inputs: [x, dE], outputs: [dX], args: broadcastArgs),
            g.gradientDef("Mul", inputs: [dX, dY], outputs: [dX]),
            g.gradientDef("Mul", inputs: [dX, e], outputs: [dX], args: broadcastArgs),
            g.gradientDef("Log", inputs: [x], outputs: [preReduce]),
            g.gradientDef("Mul", inputs: [preReduce, y], outputs: [preReduce]),
        ]
        if args.has("broadcast") {
            ops.append(g.gradientDef("Mul", inputs: [preReduce, dY], outputs: [preReduce]))
            ops.append(g.gradientDef("SumReduceLike", inputs: [preReduce, e], outputs: [dE], args: reduceArgs))
        } else {
            ops.append(g.gradientDef("Mul", inputs: [preReduce, dY], outputs: [dE]))
        }
        return ops
    }

    // MARK: Sign, Clip

    static let sign = OperatorDefinition(
        schema: OperatorSchema("Sign")
            .numInputs(1).numOutputs(1)
            .identicalTypeAndShapeOfInput(0)
            .types(numericTypes)
            .doc("Element-wise sign: -1, 0 or +1 in X's type. NaN gives 0 (as Eigen's `(x > 0) - (x < 0)`). No gradient.")
            .input(0, "X", "Input tensor.")
            .output(0, "Y", "Signs, of X's shape and type."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    switch x.dataType {
                    case .float: try signs(Float.self, ctx, x)
                    case .double: try signs(Double.self, ctx, x)
                    case .int32: try signs(Int32.self, ctx, x)
                    case .int64: try signs(Int64.self, ctx, x)
                    default: throw x.unsupportedType(numericTypes)
                    }
                }
            }
        ],
        gradient: .shouldNotDoGradient)

    static func signs<T: NumericElement>(_: T.Type, _ ctx: OperatorContext, _ x: TensorView) throws {
        let y = try ctx.output(0, like: x)
        let one = T.fromCount(1)
        let minusOne = T.neg(one)
        mapUnary(x.pointer(T.self), y.pointer(T.self), x.count) { v in
            v > T.zero ? one : (v < T.zero ? minusOne : T.zero)
        }
    }

    static let clip = OperatorDefinition(
        schema: OperatorSchema("Clip")
            .numInputs(1).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShape()
            .types([.float])
            .doc(
                "Element-wise `Y = min(max(X, min), max)`; an absent bound is unbounded, and with `min > max` every element becomes `max`. NaN stays NaN. Gradient: `ClipGradient(Y, dY) -> dX`."
            )
            .arg("min", "*(float, default lowest float)* Lower bound.")
            .arg("max", "*(float, default largest float)* Upper bound.")
            .input(0, "X", "Input tensor (float).")
            .output(0, "Y", "Clipped tensor."),
        kernels: [
            OperatorKernel { _, args in
                let lo = try args.single("min", default: -Float.greatestFiniteMagnitude)
                let hi = try args.single("max", default: Float.greatestFiniteMagnitude)
                return { ctx in
                    let x = try ctx.input(0)
                    guard x.dataType == .float else { throw x.unsupportedType([.float]) }
                    let y = try ctx.output(0, like: x)
                    mapUnary(x.pointer(Float.self), y.pointer(Float.self), x.count) { v in
                        let t = v < lo ? lo : v
                        return t > hi ? hi : t
                    }
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef("ClipGradient", inputs: [g.O(0), g.GO(0)], outputs: [g.GI(0)])
        })

    static let clipGradient = OperatorDefinition(
        schema: OperatorSchema("ClipGradient")
            .numInputs(2).numOutputs(1)
            .allowInplace([(1, 0)])
            .identicalTypeAndShapeOfInput(0)
            .types([.float])
            .doc(
                "Gradient of Clip: `dX = dY` where `min < Y < max` (strictly), else 0. Inputs are `(Y, dY)`; takes Clip's `min` and `max`."
            )
            .arg("min", "*(float, default lowest float)* Lower bound of the forward Clip.")
            .arg("max", "*(float, default largest float)* Upper bound of the forward Clip.")
            .input(0, "Y", "Output of the forward Clip.")
            .input(1, "dY", "Gradient of Y.")
            .output(0, "dX", "Gradient of X."),
        kernels: [
            OperatorKernel { _, args in
                let lo = try args.single("min", default: -Float.greatestFiniteMagnitude)
                let hi = try args.single("max", default: Float.greatestFiniteMagnitude)
                return { ctx in
                    let y = try ctx.input(0)
                    let dy = try ctx.input(1)
                    try requireFloatPair(y, dy)
                    let dx = try ctx.output(0, like: y)
                    mapBinary(y.pointer(Float.self), dy.pointer(Float.self), dx.pointer(Float.self), y.count) {
                        y, dy in lo < y && y < hi ? dy : 0
                    }
                }
            }
        ])

    // MARK: Swish

    static let swish = OperatorDefinition(
        schema: OperatorSchema("Swish")
            .numInputs(1).numOutputs(1)
            .identicalTypeAndShape()
            .types([.float, .double])
            .doc("Element-wise `Y = X / (1 + e^-X)` (X times its sigmoid). Gradient: `SwishGradient(X, Y, dY) -> dX`.")
            .input(0, "X", "Input tensor (float or double).")
            .output(0, "Y", "Output tensor of X's shape and type."),
        kernels: [
            unaryFloatingKernel(
                float: { mapUnaryTranscendental($0, $1, $2) { $0 / (1 + Float.naturalExp(-$0)) } },
                double: { mapUnaryTranscendental($0, $1, $2) { $0 / (1 + Double.naturalExp(-$0)) } })
        ],
        gradient: .make { g in
            try g.singleGradientDef("SwishGradient", inputs: [g.I(0), g.O(0), g.GO(0)], outputs: [g.GI(0)])
        })

    static let swishGradient = OperatorDefinition(
        schema: OperatorSchema("SwishGradient")
            .numInputs(3).numOutputs(1)
            .allowInplace([(2, 0)])
            .identicalTypeAndShapeOfInput(0)
            .types([.float, .double])
            .doc("Gradient of Swish: `dX = dY * (Y + sigmoid(X) * (1 - Y))`. Inputs are `(X, Y, dY)`.")
            .input(0, "X", "Input of the forward Swish.")
            .input(1, "Y", "Output of the forward Swish.")
            .input(2, "dY", "Gradient of Y.")
            .output(0, "dX", "Gradient of X."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.input(0)
                    let y = try ctx.input(1)
                    let dy = try ctx.input(2)
                    for v in [y, dy] {
                        try requireType(v, x.dataType, like: x)
                        guard v.count == x.count else {
                            throw Caffe2Error(
                                .shape, "input '\(v.name)' has \(v.count) elements, '\(x.name)' has \(x.count)",
                                blob: v.name)
                        }
                    }
                    switch x.dataType {
                    case .float: try swishGradient(Float.self, ctx, x, y, dy)
                    case .double: try swishGradient(Double.self, ctx, x, y, dy)
                    default: throw x.unsupportedType([.float, .double])
                    }
                }
            }
        ])

    static func swishGradient<T: RealElement>(
        _: T.Type, _ ctx: OperatorContext, _ x: TensorView, _ y: TensorView, _ dy: TensorView
    ) throws {
        let dx = try ctx.output(0, like: x)
        let xp = x.pointer(T.self)
        let yp = y.pointer(T.self)
        let dyp = dy.pointer(T.self)
        let dxp = dx.pointer(T.self)
        let one = T.fromCount(1)
        // dX may be dY's buffer; each element is read before it is written.
        Parallel.forChunks(x.count, minPerThread: transcendentalElementsPerThread) { r in
            for i in r {
                let s = one / (one + T.naturalExp(-xp[i]))
                dxp[i] = dyp[i] * (yp[i] + s * (one - yp[i]))
            }
        }
    }

    // MARK: Helpers

    /// The schema of a float-only unary op: 1 -> 1, in place {0,0}, `IdenticalTypeAndShape`.
    static func floatUnarySchema(_ type: String, _ formula: String) -> OperatorSchema {
        OperatorSchema(type)
            .numInputs(1).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShape()
            .types([.float])
            .input(0, "X", "Input tensor (float).")
            .output(0, "Y", "`\(formula)`, of X's shape.")
    }

    /// A float-only unary kernel: output 0 shaped like input 0 (possibly the same blob).
    static func floatUnaryKernel(
        _ loop: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    ) -> OperatorKernel {
        OperatorKernel { _, _ in
            { ctx in
                let x = try ctx.input(0)
                guard x.dataType == .float else { throw x.unsupportedType([.float]) }
                let y = try ctx.output(0, like: x)
                loop(x.pointer(Float.self), y.pointer(Float.self), x.count)
            }
        }
    }

    /// A float-only kernel of two inputs with equal element counts; the output
    /// is shaped like input `outputLike` and may be either input's blob.
    static func sameCountFloatKernel(
        outputLike: Int,
        _ loop: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) ->
            Void
    ) -> OperatorKernel {
        OperatorKernel { _, _ in
            { ctx in
                let a = try ctx.input(0)
                let b = try ctx.input(1)
                try requireFloatPair(a, b)
                let out = try ctx.output(0, like: outputLike == 0 ? a : b)
                loop(a.pointer(Float.self), b.pointer(Float.self), out.pointer(Float.self), a.count)
            }
        }
    }

    /// Both inputs float with the same element count.
    static func requireFloatPair(_ a: TensorView, _ b: TensorView) throws {
        guard a.dataType == .float else { throw a.unsupportedType([.float]) }
        guard b.dataType == .float else { throw b.unsupportedType([.float]) }
        guard a.count == b.count else {
            throw Caffe2Error(
                .shape,
                "inputs '\(a.name)' \(a.dims) and '\(b.name)' \(b.dims) must have the same number of elements",
                blob: b.name)
        }
    }
}
