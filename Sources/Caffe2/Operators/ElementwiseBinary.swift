/// Binary element-wise operators: Add, Sub, Mul, Div and their gradients,
/// the comparisons (EQ, NE, LT, LE, GT, GE) and the logical And, Or, Xor, Not.
///
/// All binary forms broadcast numpy-style by default (either operand) and
/// follow Caffe2's legacy form (`broadcast=1`, `axis` / `axis_str` + `order`,
/// only B broadcast) when `broadcast` is non-zero.
enum ElementwiseBinaryOperators {
    static let definitions: [OperatorDefinition] =
        arithmetic + arithmeticGradients + comparisons + logical

    // MARK: Add, Sub, Mul, Div

    static let arithmetic: [OperatorDefinition] = [
        arithmeticOp(
            "Add", AddFunctor.self, inPlace: [(0, 0), (1, 0)], formula: "C = A + B",
            gradient: "AddGradient(dC, A, B) -> (dA, dB)",
            maker: .make { g in
                try g.singleGradientDef(
                    "AddGradient", inputs: [g.GO(0), g.I(0), g.I(1)], outputs: [g.GI(0), g.GI(1)])
            }),
        arithmeticOp(
            "Sub", SubFunctor.self, inPlace: [(0, 0), (1, 0)], formula: "C = A - B",
            gradient: "SubGradient(dC, A, B) -> (dA, dB)",
            maker: .make { g in
                try g.singleGradientDef(
                    "SubGradient", inputs: [g.GO(0), g.I(0), g.I(1)], outputs: [g.GI(0), g.GI(1)])
            }),
        arithmeticOp(
            "Mul", MulFunctor.self, inPlace: [(0, 0), (1, 0)], formula: "C = A * B",
            gradient: "MulGradient(dC, A, B) -> (dA, dB)",
            maker: .make { g in
                try g.singleGradientDef(
                    "MulGradient", inputs: [g.GO(0), g.I(0), g.I(1)], outputs: [g.GI(0), g.GI(1)])
            }),
        arithmeticOp(
            "Div", DivFunctor.self, inPlace: [(0, 0)],
            formula: "C = A / B (IEEE for floats; integers truncate toward zero and an integer division by zero is an error)",
            gradient: "DivGradient(dC, A, B, C) -> (dA, dB)",
            maker: .make { g in
                try g.singleGradientDef(
                    "DivGradient", inputs: [g.GO(0), g.I(0), g.I(1), g.O(0)], outputs: [g.GI(0), g.GI(1)])
            }),
    ]

    static func arithmeticOp<F: ArithmeticFunctor>(
        _ type: String, _ functor: F.Type, inPlace: [(Int, Int)], formula: String, gradient: String,
        maker: GradientMaker
    ) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(2).numOutputs(1)
                .allowInplace(inPlace)
                .tensorInference("ElementwiseOpShapeInference", elementwiseOpShapeInference)
                .types(numericTypes)
                .doc(
                    """
                    Element-wise `\(formula)`. Without `broadcast`, A and B broadcast numpy-style \
                    (right-aligned dims, each pair equal or containing a 1; a 0-d tensor is a scalar). \
                    With `broadcast=1`, C has A's dims and B is matched against A's dims starting at \
                    `axis` (leading and trailing 1s of B ignored). Gradient: \(gradient).
                    """
                )
                .broadcastArgumentDocs()
                .input(0, "A", "First operand.")
                .input(1, "B", "Second operand, of A's type.")
                .output(0, "C", "Result, of A's type."),
            kernels: [arithmeticKernel(F.self)],
            gradient: maker)
    }

    static func arithmeticKernel<F: ArithmeticFunctor>(_: F.Type) -> OperatorKernel {
        OperatorKernel { _, args in
            let bargs = try BroadcastArguments(args)
            // A bias Add whose output the convolution before it writes on most runs
            // (docs/architecture.md, "Net-level fusion"): skip those runs.
            let absorbed = FusionRequest.acceptRequest(.absorbBiasAdd)?.producer
            return { ctx in
                if let p = absorbed, p.biasAddDone {
                    p.biasAddDone = false
                    return
                }
                let a = try ctx.input(0)
                let b = try ctx.input(1)
                try requireType(b, a.dataType, like: a)
                let shapes = try BinaryShapes(ctx, a, b, bargs)
                switch a.dataType {
                case .float: try runArithmetic(F.self, Float.self, ctx, a, b, shapes)
                case .double: try runArithmetic(F.self, Double.self, ctx, a, b, shapes)
                case .int32: try runArithmetic(F.self, Int32.self, ctx, a, b, shapes)
                case .int64: try runArithmetic(F.self, Int64.self, ctx, a, b, shapes)
                default: throw a.unsupportedType(numericTypes)
                }
            }
        }
    }

    static func runArithmetic<F: ArithmeticFunctor, T: NumericElement>(
        _: F.Type, _: T.Type, _ ctx: OperatorContext, _ a: TensorView, _ b: TensorView, _ shapes: BinaryShapes
    ) throws {
        if F.isDivision { try requireNonZeroDivisor(b, T.self) }
        let c = try ctx.output(0, dims: shapes.output, type: T.dataType)
        let ap = a.pointer(T.self)
        let bp = b.pointer(T.self)
        let cp = c.pointer(T.self)
        if shapes.sameShape {
            sameShapeArithmetic(F.self, ap, bp, cp, c.count)
        } else {
            broadcastArithmetic(F.self, shapes.layout, ap, bp, cp)
        }
    }

    /// `c = F(a, b)` element-wise, split across cores. The operation is named
    /// by its type, so each thread's loop is specialised and vectorised.
    static func sameShapeArithmetic<F: ArithmeticFunctor, T: NumericElement>(
        _: F.Type, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>, _ n: Int
    ) {
        Parallel.forChunks(n) { r in
            let o = r.lowerBound
            mapBinary(a + o, b + o, c + o, r.count) { F.apply($0, $1) }
        }
    }

    /// `c = F(a, b)` over a broadcast layout, rows split across cores (see ``broadcastBinary``).
    static func broadcastArithmetic<F: ArithmeticFunctor, T: NumericElement>(
        _: F.Type, _ layout: BroadcastLayout, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
        _ c: UnsafeMutablePointer<T>
    ) {
        let n = layout.innerCount
        let sa = layout.innerStride(0)
        let sb = layout.innerStride(1)
        layout.forRowChunksInParallel { rows in
            var cursor = layout.cursor(at: rows.lowerBound)
            for row in rows {
                broadcastBinaryRow(a + cursor.offsets[0], sa, b + cursor.offsets[1], sb, c + row * n, n) {
                    F.apply($0, $1)
                }
                cursor.advance()
            }
        }
    }

    // MARK: Gradients

    static let arithmeticGradients: [OperatorDefinition] = [
        arithmeticGradientOp(
            "AddGradient", .add, "`dA = sum_A(dC)`, `dB = sum_B(dC)`, where `sum_X` sums over the axes X was broadcast along."),
        arithmeticGradientOp(
            "SubGradient", .sub, "`dA = sum_A(dC)`, `dB = -sum_B(dC)`, where `sum_X` sums over the axes X was broadcast along."),
        arithmeticGradientOp(
            "MulGradient", .mul, "`dA = sum_A(dC * B)`, `dB = sum_B(dC * A)`, where `sum_X` sums over the axes X was broadcast along."),
        arithmeticGradientOp(
            "DivGradient", .div,
            "`dA = sum_A(dC / B)`, `dB = sum_B(-dC * C / B)`, where `sum_X` sums over the axes X was broadcast along. Reads only A's dims, so Div may run in place. The legacy 3-input form `(B, C, dC)` takes A's dims from C."),
    ]

    enum GradientKind: Sendable { case add, sub, mul, div }

    static func arithmeticGradientOp(_ type: String, _ kind: GradientKind, _ math: String) -> OperatorDefinition {
        var schema = OperatorSchema(type).numOutputs(2)
        if kind == .div {
            schema = schema.numInputs(3, 4).allowInplace([(0, 0)])
                .tensorInference("ElementwiseGradientOpShapeInference") { def, inputs in
                    // The legacy form (B, C, dC) gives dA C's shape.
                    guard inputs.count >= 3 else { throw inferenceInputError(def, 2) }
                    return inputs.count == 3 ? [inputs[1], inputs[0]] : [inputs[1], inputs[2]]
                }
                .input(0, "dC", "Gradient of C (4-input form).")
                .input(1, "A", "Forward input A; only its dims are read.")
                .input(2, "B", "Forward input B.")
                .input(3, "C", "Forward output C.")
        } else {
            schema = schema.numInputs(3).allowInplace([(0, 0), (0, 1)])
                .tensorInference("ElementwiseGradientOpShapeInference", elementwiseGradientShapeInference)
                .input(0, "dC", "Gradient of C.")
                .input(1, "A", "Forward input A.")
                .input(2, "B", "Forward input B.")
        }
        return OperatorDefinition(
            schema: schema
                .types(numericTypes)
                .doc("Gradient of the forward binary op: \(math) Takes the forward op's broadcast arguments.")
                .broadcastArgumentDocs()
                .output(0, "dA", "Gradient of A, shaped like A.")
                .output(1, "dB", "Gradient of B, shaped like B."),
            kernels: [arithmeticGradientKernel(kind)])
    }

    static func arithmeticGradientKernel(_ kind: GradientKind) -> OperatorKernel {
        OperatorKernel { _, args in
            let bargs = try BroadcastArguments(args)
            return { ctx in
                // Every input view is taken before any output is requested,
                // so an output that replaces an input's storage leaves the view valid.
                let legacyDiv = kind == .div && ctx.inputCount == 3
                let dCIndex = legacyDiv ? 2 : 0
                let dC = try ctx.input(dCIndex)
                let a = legacyDiv ? nil : try ctx.input(1)
                let b = try ctx.input(legacyDiv ? 0 : 2)
                let c = kind == .div ? try ctx.input(legacyDiv ? 1 : 3) : nil
                let shapeOfA = a ?? c!
                guard ctx.outputName(0) != ctx.outputName(1) else {
                    throw Caffe2Error(
                        .schema, "Outputs dA and dB should point to distinct blobs (both are '\(ctx.outputName(0))')")
                }
                let type = shapeOfA.dataType
                try requireType(dC, type, like: shapeOfA)
                try requireType(b, type, like: shapeOfA)
                if let c { try requireType(c, type, like: shapeOfA) }
                let kernelDims =
                    bargs.legacy
                    ? try legacyView(shapeOfA, b, axis: bargs.axis)
                    : (a: shapeOfA.dims, b: b.dims)
                let cDims = try Broadcast.numpyDims(kernelDims.a, kernelDims.b)
                let layout = try BroadcastLayout(output: cDims, operands: [kernelDims.a, kernelDims.b])
                guard dC.count == layout.count else {
                    throw Caffe2Error(
                        .shape,
                        "gradient '\(dC.name)' has \(dC.count) elements (dims \(dC.dims)) but the broadcast of A \(shapeOfA.dims) and B \(b.dims) has \(layout.count)",
                        blob: dC.name)
                }
                if let c, c.count != layout.count {
                    throw Caffe2Error(
                        .shape, "forward output '\(c.name)' has \(c.count) elements, expected \(layout.count)",
                        blob: c.name)
                }
                let operands = GradientOperands(
                    dC: dC, a: a, b: b, c: c, aDims: shapeOfA.dims, layout: layout,
                    dCAliasesDA: ctx.isInPlace(input: dCIndex, output: 0))
                switch type {
                case .float: try runArithmeticGradient(kind, Float.self, ctx, operands)
                case .double: try runArithmeticGradient(kind, Double.self, ctx, operands)
                case .int32: try runArithmeticGradient(kind, Int32.self, ctx, operands)
                case .int64: try runArithmeticGradient(kind, Int64.self, ctx, operands)
                default: throw shapeOfA.unsupportedType(numericTypes)
                }
            }
        }
    }

    struct GradientOperands {
        let dC: TensorView
        let a: TensorView?
        let b: TensorView
        let c: TensorView?
        let aDims: [Int64]
        let layout: BroadcastLayout
        let dCAliasesDA: Bool
    }

    static func runArithmeticGradient<T: NumericElement>(
        _ kind: GradientKind, _: T.Type, _ ctx: OperatorContext, _ x: GradientOperands
    ) throws {
        if kind == .div { try requireNonZeroDivisor(x.b, T.self) }
        let dA = try ctx.output(0, dims: x.aDims, type: T.dataType)
        let dB = try ctx.output(1, dims: x.b.dims, type: T.dataType)
        let g = x.dC.pointer(T.self)
        let bp = x.b.pointer(T.self)
        // Operand data for the unused third argument of a sum: any buffer of the operand's shape.
        let ap = x.a?.pointer(T.self) ?? UnsafePointer(dA.pointer(T.self))
        let cp = x.c?.pointer(T.self) ?? g
        let daP = dA.pointer(T.self)
        let dbP = dB.pointer(T.self)
        let layout = x.layout
        func gradA() {
            switch kind {
            case .add, .sub:
                reduceIntoOperand(layout, target: 0, other: 0, g, g, ap, daP, count: dA.count) { v, _, _ in v }
            case .mul:
                reduceIntoOperand(layout, target: 0, other: 1, g, g, bp, daP, count: dA.count) { v, _, b in T.mul(v, b) }
            case .div:
                reduceIntoOperand(layout, target: 0, other: 1, g, g, bp, daP, count: dA.count) { v, _, b in T.div(v, b) }
            }
        }
        func gradB() {
            switch kind {
            case .add:
                reduceIntoOperand(layout, target: 1, other: 1, g, g, bp, dbP, count: dB.count) { v, _, _ in v }
            case .sub:
                reduceIntoOperand(layout, target: 1, other: 1, g, g, bp, dbP, count: dB.count) { v, _, _ in T.neg(v) }
            case .mul:
                reduceIntoOperand(layout, target: 1, other: 0, g, g, ap, dbP, count: dB.count) { v, _, a in
                    T.mul(v, a)
                }
            case .div:
                reduceIntoOperand(layout, target: 1, other: 1, g, cp, bp, dbP, count: dB.count) { v, c, b in
                    T.div(T.mul(T.neg(v), c), b)
                }
            }
        }
        // An output written over dC goes last.
        if x.dCAliasesDA {
            gradB()
            gradA()
        } else {
            gradA()
            gradB()
        }
    }

    // MARK: Comparisons

    static let comparisons: [OperatorDefinition] = [
        comparisonOp("EQ", EQFunctor.self, "A == B"),
        comparisonOp("NE", NEFunctor.self, "A != B"),
        comparisonOp("LT", LTFunctor.self, "A < B"),
        comparisonOp("LE", LEFunctor.self, "A <= B"),
        comparisonOp("GT", GTFunctor.self, "A > B"),
        comparisonOp("GE", GEFunctor.self, "A >= B"),
    ]

    static let comparisonTypes: [DataType] = [.bool, .int32, .int64, .float, .double]

    static func comparisonOp<F: ComparisonFunctor>(_ type: String, _: F.Type, _ formula: String)
        -> OperatorDefinition
    {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(2).numOutputs(1)
                .tensorInference("binary broadcast, BOOL") { def, inputs in
                    try binaryBroadcastInference(def, inputs, outputType: .bool)
                }
                .types(comparisonTypes)
                .doc(
                    """
                    Element-wise `\(formula)` as a bool tensor, with the broadcasting of Add (numpy-style, \
                    or legacy with `broadcast=1`). Floating-point comparisons follow IEEE: every ordered \
                    comparison with NaN is false and NE is true. No gradient. (Caffe2's shape inference \
                    demands equal dims without `broadcast`; this one reports the dims the kernel produces.)
                    """
                )
                .broadcastArgumentDocs()
                .input(0, "A", "First operand (bool, int32, int64, float or double).")
                .input(1, "B", "Second operand, of A's type.")
                .output(0, "C", "Bool result."),
            kernels: [
                OperatorKernel { _, args in
                    let bargs = try BroadcastArguments(args)
                    return { ctx in
                        let a = try ctx.input(0)
                        let b = try ctx.input(1)
                        try requireType(b, a.dataType, like: a)
                        let shapes = try BinaryShapes(ctx, a, b, bargs)
                        switch a.dataType {
                        case .bool: try runComparison(F.self, UInt8.self, ctx, a, b, shapes)
                        case .int32: try runComparison(F.self, Int32.self, ctx, a, b, shapes)
                        case .int64: try runComparison(F.self, Int64.self, ctx, a, b, shapes)
                        case .float: try runComparison(F.self, Float.self, ctx, a, b, shapes)
                        case .double: try runComparison(F.self, Double.self, ctx, a, b, shapes)
                        default: throw a.unsupportedType(comparisonTypes)
                        }
                    }
                }
            ],
            gradient: .shouldNotDoGradient)
    }

    /// `T` is the element's storage type (`UInt8` for bool, whose values are 0 and 1).
    static func runComparison<F: ComparisonFunctor, T: Comparable>(
        _: F.Type, _: T.Type, _ ctx: OperatorContext, _ a: TensorView, _ b: TensorView, _ shapes: BinaryShapes
    ) throws {
        let c = try ctx.output(0, dims: shapes.output, type: .bool)
        let ap = a.pointer(T.self)
        let bp = b.pointer(T.self)
        let cp = c.pointer(Bool.self)
        if shapes.sameShape {
            mapBinaryConverting(ap, bp, cp, c.count) { F.apply($0, $1) }
        } else {
            broadcastBinaryConverting(shapes.layout, ap, bp, cp) { F.apply($0, $1) }
        }
    }

    // MARK: Logical

    static let logical: [OperatorDefinition] = [
        logicalOp("And", AndFunctor.self, "A && B"),
        logicalOp("Or", OrFunctor.self, "A || B"),
        logicalOp("Xor", XorFunctor.self, "A != B"),
        OperatorDefinition(
            schema: OperatorSchema("Not")
                .numInputs(1).numOutputs(1)
                .identicalTypeAndShapeOfInput(0)
                .types([.bool])
                .doc("Element-wise logical negation of a bool tensor. No gradient.")
                .input(0, "X", "Bool input.")
                .output(0, "Y", "Bool output, `!X`."),
            kernels: [
                OperatorKernel { _, _ in
                    { ctx in
                        let x = try ctx.input(0)
                        guard x.dataType == .bool else { throw x.unsupportedType([.bool]) }
                        let y = try ctx.output(0, like: x)
                        mapUnary(x.pointer(UInt8.self), y.pointer(UInt8.self), x.count) { $0 ^ 1 }
                    }
                }
            ],
            gradient: .shouldNotDoGradient),
    ]

    static func logicalOp<F: LogicalFunctor>(_ type: String, _: F.Type, _ formula: String) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(2).numOutputs(1)
                .allowInplace([(0, 0)])
                .tensorInference("ElementwiseOpShapeInference", elementwiseOpShapeInference)
                .types([.bool])
                .doc(
                    "Element-wise logical `\(formula)` of two bool tensors, with the broadcasting of Add (numpy-style, or legacy with `broadcast=1`). No gradient."
                )
                .broadcastArgumentDocs()
                .input(0, "A", "Bool operand.")
                .input(1, "B", "Bool operand.")
                .output(0, "C", "Bool result."),
            kernels: [
                OperatorKernel { _, args in
                    let bargs = try BroadcastArguments(args)
                    return { ctx in
                        let a = try ctx.input(0)
                        let b = try ctx.input(1)
                        guard a.dataType == .bool else { throw a.unsupportedType([.bool]) }
                        guard b.dataType == .bool else { throw b.unsupportedType([.bool]) }
                        let shapes = try BinaryShapes(ctx, a, b, bargs)
                        let c = try ctx.output(0, dims: shapes.output, type: .bool)
                        let ap = a.pointer(UInt8.self)
                        let bp = b.pointer(UInt8.self)
                        let cp = c.pointer(UInt8.self)
                        if shapes.sameShape {
                            mapBinary(ap, bp, cp, c.count) { F.apply($0, $1) }
                        } else {
                            broadcastBinary(shapes.layout, ap, bp, cp) { F.apply($0, $1) }
                        }
                    }
                }
            ],
            gradient: .shouldNotDoGradient)
    }
}

// MARK: Functors

/// The element operation of Add, Sub, Mul or Div.
protocol ArithmeticFunctor {
    static func apply<T: NumericElement>(_ a: T, _ b: T) -> T
    /// Integer divisors must be checked for zeros.
    static var isDivision: Bool { get }
}

extension ArithmeticFunctor {
    static var isDivision: Bool { false }
}

enum AddFunctor: ArithmeticFunctor {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> T { T.add(a, b) }
}

enum SubFunctor: ArithmeticFunctor {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> T { T.sub(a, b) }
}

enum MulFunctor: ArithmeticFunctor {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> T { T.mul(a, b) }
}

enum DivFunctor: ArithmeticFunctor {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> T { T.div(a, b) }
    static var isDivision: Bool { true }
}

/// The element operation of a comparison.
protocol ComparisonFunctor {
    static func apply<T: Comparable>(_ a: T, _ b: T) -> Bool
}

enum EQFunctor: ComparisonFunctor {
    @inline(__always) static func apply<T: Comparable>(_ a: T, _ b: T) -> Bool { a == b }
}

enum NEFunctor: ComparisonFunctor {
    @inline(__always) static func apply<T: Comparable>(_ a: T, _ b: T) -> Bool { a != b }
}

enum LTFunctor: ComparisonFunctor {
    @inline(__always) static func apply<T: Comparable>(_ a: T, _ b: T) -> Bool { a < b }
}

enum LEFunctor: ComparisonFunctor {
    @inline(__always) static func apply<T: Comparable>(_ a: T, _ b: T) -> Bool { a <= b }
}

enum GTFunctor: ComparisonFunctor {
    @inline(__always) static func apply<T: Comparable>(_ a: T, _ b: T) -> Bool { a > b }
}

enum GEFunctor: ComparisonFunctor {
    @inline(__always) static func apply<T: Comparable>(_ a: T, _ b: T) -> Bool { a >= b }
}

/// The element operation of a logical op on bools stored as bytes 0 and 1.
protocol LogicalFunctor {
    static func apply(_ a: UInt8, _ b: UInt8) -> UInt8
}

enum AndFunctor: LogicalFunctor {
    @inline(__always) static func apply(_ a: UInt8, _ b: UInt8) -> UInt8 { a & b }
}

enum OrFunctor: LogicalFunctor {
    @inline(__always) static func apply(_ a: UInt8, _ b: UInt8) -> UInt8 { a | b }
}

enum XorFunctor: LogicalFunctor {
    @inline(__always) static func apply(_ a: UInt8, _ b: UInt8) -> UInt8 { a ^ b }
}
