import Testing

@testable import Caffe2

/// Finite-difference checks (the public GradientChecker) of every element-wise
/// operator with a gradient, and the exact gradient ops each maker emits.
@Suite struct ElementwiseGradientCheckTests {
    static let checker = GradientChecker(stepSize: 1e-3, threshold: 1e-2)

    /// Random float tensor in `range`, away from 0 when `awayFromZero`.
    static func input(_ dims: [Int], _ range: ClosedRange<Float> = -1...1, seed: UInt64, awayFromZero: Bool = false)
        -> Tensor
    {
        var g = SeededGenerator(seed: seed)
        let n = dims.reduce(1, *)
        let values = (0..<n).map { _ -> Float in
            var v = Float.random(in: range, using: &g)
            if awayFromZero && Swift.abs(v) < 0.2 { v = v < 0 ? v - 0.3 : v + 0.3 }
            return v
        }
        return try! Tensor(dims: dims, values: values)
    }

    /// Checks the gradient of every listed input of `type`.
    static func check(
        _ type: String, _ inputs: [Tensor], args: [Argument] = [], checking indices: [Int]? = nil,
        checker: GradientChecker = checker
    ) throws {
        let op = OperatorDef(
            type: type, input: inputs.indices.map { "in\($0)" }, output: ["out"], arg: args)
        for i in indices ?? Array(inputs.indices) {
            let r = try checker.checkOperator(op, inputs: inputs, inputIndex: i)
            #expect(r.passed, "\(type) \(inputs.map(\.dims)) input \(i): \(r)")
        }
    }

    struct BinaryCase: Sendable, CustomTestStringConvertible {
        let op: String
        let a: [Int]
        let b: [Int]
        let args: [Argument]
        var testDescription: String { "\(op) \(a) \(b)\(args.isEmpty ? "" : " legacy")" }
    }

    static let legacy = [Argument(name: "broadcast", int: 1), Argument(name: "axis", int: 1)]
    static let binaryCases: [BinaryCase] = ["Add", "Sub", "Mul", "Div"].flatMap { op in
        [
            BinaryCase(op: op, a: [2, 3], b: [2, 3], args: []),
            BinaryCase(op: op, a: [2, 3, 4], b: [3, 1], args: []),
            BinaryCase(op: op, a: [4], b: [2, 3, 4], args: []),
            BinaryCase(op: op, a: [1, 3], b: [2, 1], args: []),
            BinaryCase(op: op, a: [], b: [3], args: []),
            BinaryCase(op: op, a: [2, 3, 2], b: [3], args: legacy),
            BinaryCase(op: op, a: [2, 3], b: [1], args: [Argument(name: "broadcast", int: 1)]),
        ]
    }

    @Test(arguments: binaryCases)
    func binaryBroadcastGradients(_ c: BinaryCase) throws {
        let a = Self.input(c.a, seed: 11)
        let b = Self.input(c.b, 0.5...1.5, seed: 12)  // away from 0 for Div
        try Self.check(c.op, [a, b], args: c.args)
    }

    @Test func doubleInputs() throws {
        let a = try Tensor(dims: [2, 3], values: (0..<6).map { Double($0) * 0.3 - 0.7 })
        let b = try Tensor(dims: [3], values: [0.7, 1.1, -1.3] as [Double])
        for op in ["Add", "Sub", "Mul", "Div"] { try Self.check(op, [a, b]) }
        try Self.check("Sqrt", [try Tensor(dims: [3], values: [0.5, 1, 2] as [Double])])
        try Self.check("Swish", [b])
        try Self.check("Mean", [a, a.reshaped(to: [2, 3])])
    }

    @Test func naryGradients() throws {
        let xs = (0..<3).map { Self.input([2, 3], seed: 20 + UInt64($0)) }
        try Self.check("Sum", xs)
        try Self.check("Mean", xs)
        // Distinct random values: no ties, so Max and Min are differentiable.
        try Self.check("Max", xs)
        try Self.check("Min", xs)
        let w0 = Tensor([0.7] as [Float])
        let w1 = Tensor([-1.3] as [Float])
        try Self.check("WeightedSum", [xs[0], w0, xs[1], w1], checking: [0, 2])
        try Self.check(
            "WeightedSum", [xs[0], w0, xs[1], w1], args: [Argument(name: "grad_on_w", int: 1)], checking: [0, 1, 2, 3])
        let x = Self.input([3, 4], seed: 30)
        try Self.check("ElementwiseLinear", [x, Self.input([4], seed: 31), Self.input([4], seed: 32)])
        try Self.check(
            "ElementwiseLinear", [Self.input([2, 3, 2], seed: 33), Self.input([2], seed: 34), Self.input([2], seed: 35)],
            args: [Argument(name: "axis", int: -1)])
        // Glow's reading: w and b of X.dims[axis] elements.
        try Self.check(
            "ElementwiseLinear", [Self.input([2, 3, 2], seed: 36), Self.input([3], seed: 37), Self.input([3], seed: 38)])
    }

    @Test func unaryGradients() throws {
        let x = Self.input([2, 3], seed: 40)
        let positive = Self.input([2, 3], 0.5...2, seed: 41)
        try Self.check("Negative", [x])
        try Self.check("Scale", [x], args: [Argument(name: "scale", float: -2.5)])
        try Self.check("Sqr", [x])
        try Self.check("Sqrt", [positive])
        try Self.check("RSqrt", [positive])
        try Self.check("Exp", [x])
        try Self.check("Log", [positive])
        try Self.check("Abs", [Self.input([2, 3], seed: 42, awayFromZero: true)])
        // Away from the bounds, where Clip is differentiable.
        try Self.check(
            "Clip", [try Tensor(dims: [6], values: [-2, -0.7, -0.2, 0.1, 0.6, 1.8] as [Float])],
            args: [Argument(name: "min", float: -1), Argument(name: "max", float: 1)])
        try Self.check("Swish", [Self.input([2, 3], -3...3, seed: 43)])
    }

    @Test func powGradients() throws {
        let x = Self.input([2, 3], 0.5...2, seed: 50)
        for e: Float in [3, 2, 0.5, -1.5] {
            try Self.check("Pow", [x], args: [Argument(name: "exponent", float: e)])
        }
        // Exponent tensor: both gradients (uses ConstantFill, Sub, Pow, Mul, Log).
        try Self.check("Pow", [x, Self.input([2, 3], -2...2, seed: 51)])
        // Legacy broadcast exponent: the exponent's gradient goes through SumReduceLike.
        try Self.check("Pow", [Self.input([2, 3, 2], 0.5...2, seed: 52), Self.input([3], -2...2, seed: 53)], args: Self.legacy)
        try Self.check("Pow", [x, Tensor([1.7] as [Float])], args: [Argument(name: "broadcast", int: 1)])
    }

    @Test func inPlacePowGradientUsesTheOutput() throws {
        // Pow(X) -> X in place: the maker raises Y to (e-1)/e instead of X to e-1.
        let meta = try OperatorRegistry.standard.gradient(
            for: OperatorDef(type: "Pow", input: ["X"], output: ["X"], arg: [Argument(name: "exponent", float: 4)]),
            gOutput: [.dense("dY")])
        #expect(meta.ops.map(\.type) == ["Pow", "Mul", "Scale"])
        #expect(meta.ops[0].arg == [Argument(name: "exponent", float: 0.75)])
        // Numerically: run the forward in place, then the gradient ops.
        let ws = Workspace()
        let x = try Tensor(dims: [3], values: [0.5, 1.5, 2] as [Float])
        ws.feedBlob("X", x)
        try ws.runOperatorOnce(OperatorDef(type: "Pow", input: ["X"], output: ["X"], arg: [Argument(name: "exponent", float: 4)]))
        ws.feedBlob("dY", Tensor([1, 1, 1] as [Float]))
        for op in meta.ops { try ws.runOperatorOnce(op) }
        #expect(allClose(try ws.fetchBlob("X_grad"), [4 * 0.125, 4 * 3.375, 4 * 8], atol: 1e-4))
    }
}

/// The gradient operators each maker emits: types, inputs, outputs, arguments.
@Suite struct ElementwiseGradientMakerTests {
    static func grad(_ def: OperatorDef) throws -> GradientOpsMeta {
        try OperatorRegistry.standard.gradient(for: def, gOutput: def.output.map { .dense($0 + "_grad") })
    }

    static func summary(_ ops: [OperatorDef]) -> [String] {
        ops.map { "\($0.type)(\($0.input.joined(separator: ","))) -> \($0.output.joined(separator: ","))" }
    }

    @Test func binaryMakersCopyBroadcastArguments() throws {
        let args = [Argument(name: "broadcast", int: 1), Argument(name: "axis", int: 1)]
        for op in ["Add", "Sub", "Mul"] {
            let m = try Self.grad(OperatorDef(type: op, input: ["A", "B"], output: ["C"], arg: args))
            #expect(Self.summary(m.ops) == ["\(op)Gradient(C_grad,A,B) -> A_grad,B_grad"])
            #expect(m.ops[0].arg == args && m.ops[0].isGradientOp)
            #expect(m.gInput == [.dense("A_grad"), .dense("B_grad")])
        }
        let div = try Self.grad(OperatorDef(type: "Div", input: ["A", "B"], output: ["C"]))
        #expect(Self.summary(div.ops) == ["DivGradient(C_grad,A,B,C) -> A_grad,B_grad"])
    }

    @Test func naryMakers() throws {
        let sum = try Self.grad(OperatorDef(type: "Sum", input: ["a", "b", "c"], output: ["s"]))
        #expect(sum.ops.isEmpty)
        #expect(sum.gInput == [.dense("s_grad"), .dense("s_grad"), .dense("s_grad")])
        let mean = try Self.grad(OperatorDef(type: "Mean", input: ["a", "b"], output: ["m"]))
        #expect(Self.summary(mean.ops) == ["MeanGradient(m_grad) -> a_grad,b_grad"])
        let max = try Self.grad(OperatorDef(type: "Max", input: ["a", "b"], output: ["m"]))
        #expect(Self.summary(max.ops) == ["MaxGradient(m,m_grad,a,b) -> a_grad,b_grad"])
        let min = try Self.grad(OperatorDef(type: "Min", input: ["a"], output: ["m"]))
        #expect(Self.summary(min.ops) == ["MinGradient(m,m_grad,a) -> a_grad"])
        let ws = try Self.grad(OperatorDef(type: "WeightedSum", input: ["x", "w", "y", "v"], output: ["x"]))
        #expect(Self.summary(ws.ops) == ["WeightedSumGradient(x_grad,x,w,y,v) -> x_grad,y_grad"])
        #expect(ws.gInput == [.dense("x_grad"), nil, .dense("y_grad"), nil])
        let gw = try Self.grad(
            OperatorDef(type: "WeightedSum", input: ["x", "w", "y", "v"], output: ["z"], arg: [Argument(name: "grad_on_w", int: 1)]))
        #expect(Self.summary(gw.ops) == ["WeightedSumGradient(z_grad,x,w,y,v) -> x_grad,y_grad,w_grad,v_grad"])
        let lin = try Self.grad(OperatorDef(type: "ElementwiseLinear", input: ["X", "w", "b"], output: ["Y"]))
        #expect(Self.summary(lin.ops) == ["ElementwiseLinearGradient(Y_grad,X,w) -> X_grad,w_grad,b_grad"])
    }

    @Test func unaryMakers() throws {
        func one(_ type: String, _ args: [Argument] = []) throws -> [String] {
            Self.summary(try Self.grad(OperatorDef(type: type, input: ["X"], output: ["Y"], arg: args)).ops)
        }
        #expect(try one("Negative") == ["Negative(Y_grad) -> X_grad"])
        let scale = try Self.grad(OperatorDef(type: "Scale", input: ["X"], output: ["Y"], arg: [Argument(name: "scale", float: 3)]))
        #expect(Self.summary(scale.ops) == ["Scale(Y_grad) -> X_grad"] && scale.ops[0].arg == [Argument(name: "scale", float: 3)])
        let sqr = try Self.grad(OperatorDef(type: "Sqr", input: ["X"], output: ["Y"]))
        #expect(Self.summary(sqr.ops) == ["Scale(Y_grad) -> Y_grad", "Mul(Y_grad,X) -> X_grad"])
        #expect(sqr.ops[0].arg == [Argument(name: "scale", float: 2)])
        let sqrt = try Self.grad(OperatorDef(type: "Sqrt", input: ["X"], output: ["Y"]))
        #expect(Self.summary(sqrt.ops) == ["Scale(Y_grad) -> X_grad", "Div(X_grad,Y) -> X_grad"])
        #expect(sqrt.ops[0].arg == [Argument(name: "scale", float: 0.5)])
        #expect(try one("RSqrt") == ["RSqrtGradient(Y_grad,Y) -> X_grad"])
        #expect(try one("Exp") == ["Mul(Y,Y_grad) -> X_grad"])
        #expect(try one("Log") == ["Div(Y_grad,X) -> X_grad"])
        #expect(try one("Abs") == ["AbsGradient(X,Y_grad) -> X_grad"])
        #expect(try one("Swish") == ["SwishGradient(X,Y,Y_grad) -> X_grad"])
        let clipArgs = [Argument(name: "min", float: -1), Argument(name: "max", float: 2)]
        let clip = try Self.grad(OperatorDef(type: "Clip", input: ["X"], output: ["Y"], arg: clipArgs))
        #expect(Self.summary(clip.ops) == ["ClipGradient(Y,Y_grad) -> X_grad"] && clip.ops[0].arg == clipArgs)
    }

    @Test func powMakers() throws {
        // Exponent argument: three ops, forward arguments not copied.
        let p = try Self.grad(
            OperatorDef(type: "Pow", input: ["X"], output: ["Y"], arg: [Argument(name: "exponent", float: 3)]))
        #expect(Self.summary(p.ops) == ["Pow(X) -> X_grad", "Mul(X_grad,Y_grad) -> X_grad", "Scale(X_grad) -> X_grad"])
        #expect(p.ops[0].arg == [Argument(name: "exponent", float: 2)])
        #expect(p.ops[2].arg == [Argument(name: "scale", float: 3)])
        // Exponent tensor without broadcast: eight ops.
        let t = try Self.grad(OperatorDef(type: "Pow", input: ["X", "E"], output: ["Y"]))
        #expect(Self.summary(t.ops) == [
            "ConstantFill(E) -> E_grad", "Sub(E,E_grad) -> E_grad", "Pow(X,E_grad) -> X_grad",
            "Mul(X_grad,Y_grad) -> X_grad", "Mul(X_grad,E) -> X_grad", "Log(X) -> E_grad_autogen_pre_red",
            "Mul(E_grad_autogen_pre_red,Y) -> E_grad_autogen_pre_red", "Mul(E_grad_autogen_pre_red,Y_grad) -> E_grad",
        ])
        #expect(t.ops[0].arg == [Argument(name: "value", float: 1)])
        // With broadcast: nine ops ending in SumReduceLike, broadcast args on Pow and the second Mul.
        let b = try Self.grad(
            OperatorDef(type: "Pow", input: ["X", "E"], output: ["Y"], arg: [Argument(name: "broadcast", int: 1)]))
        #expect(b.ops.count == 9)
        #expect(Self.summary([b.ops[8]]) == ["SumReduceLike(E_grad_autogen_pre_red,E) -> E_grad"])
        #expect(b.ops[2].arg.map(\.name) == ["broadcast", "axis", "axis_str", "order"])
        #expect(b.ops[8].arg.map(\.name) == ["axis", "axis_str", "order"])
        #expect(b.ops[3].arg.isEmpty)
        // In place with an exponent tensor is refused.
        let e = caffe2Error {
            _ = try Self.grad(OperatorDef(type: "Pow", input: ["X", "E"], output: ["X"]))
        }
        #expect(e?.message.hasPrefix("Gradient computation cannot be carried out if Pow uses in-place computation") == true)
    }

    @Test(arguments: ["EQ", "NE", "LT", "LE", "GT", "GE", "And", "Or", "Xor"])
    func comparisonsHaveNoGradient(_ type: String) {
        let e = caffe2Error { _ = try Self.grad(OperatorDef(type: type, input: ["A", "B"], output: ["C"])) }
        #expect(e?.message == "One should not call gradient for operator \(type).")
    }

    @Test(arguments: ["Not", "Sign"])
    func unaryWithoutGradient(_ type: String) {
        let e = caffe2Error { _ = try Self.grad(OperatorDef(type: type, input: ["X"], output: ["Y"])) }
        #expect(e?.message == "One should not call gradient for operator \(type).")
    }

    @Test func gradientOpsHaveNoMaker() {
        for type in ["AddGradient", "DivGradient", "SumReduceLike", "MaxGradient", "ReduceSumGradient"] {
            let e = caffe2Error { _ = try Self.grad(OperatorDef(type: type, input: ["a", "b", "c"], output: ["d", "e"])) }
            #expect(e?.message == "Gradient maker for operator \(type) not implemented.")
        }
    }
}
