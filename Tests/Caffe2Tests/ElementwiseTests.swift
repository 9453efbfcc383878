import Foundation
import Testing

@testable import Caffe2

/// Helpers of the element-wise and reduction tests.
enum EW {
    /// Runs `def` in a fresh workspace fed with `feeds`; returns the workspace.
    @discardableResult
    static func run(_ def: OperatorDef, _ feeds: [String: Tensor]) throws -> Workspace {
        let ws = Workspace()
        for (k, v) in feeds { ws.feedBlob(k, v) }
        try ws.runOperatorOnce(def)
        return ws
    }
}

@Suite struct ElementwiseValueTests {
    @Test func floatDivisionFollowsIEEE() throws {
        let y = try TestSupport.run("Div", [Tensor([1, -1, 0, 6] as [Float]), Tensor([0, 0, 0, -4] as [Float])])[0]
        let v = try y.values(as: Float.self)
        #expect(v[0] == .infinity && v[1] == -.infinity && v[2].isNaN && v[3] == -1.5)
    }

    @Test func integerArithmeticTruncatesAndWraps() throws {
        let q = try TestSupport.run("Div", [Tensor([-7, 7, -7, Int32.min] as [Int32]), Tensor([2, -2, -2, -1] as [Int32])])[0]
        #expect(try q.values(as: Int32.self) == [-3, -3, 3, Int32.min])
        let s = try TestSupport.run("Add", [Tensor([Int64.max] as [Int64]), Tensor([1] as [Int64])])[0]
        #expect(try s.values(as: Int64.self) == [Int64.min])
        let n = try TestSupport.run("Negative", [Tensor([Int32.min, 5] as [Int32])])[0]
        #expect(try n.values(as: Int32.self) == [Int32.min, -5])
    }

    @Test func integerDivisionByZeroThrows() {
        let e = caffe2Error { _ = try TestSupport.run("Div", [Tensor([1, 2] as [Int32]), Tensor([1, 0] as [Int32])]) }
        #expect(e?.kind == .runtime && e?.message.contains("division by zero") == true && e?.blob == "X1")
        let g = caffe2Error {
            _ = try TestSupport.run(
                "DivGradient", [Tensor([1] as [Int64]), Tensor([1] as [Int64]), Tensor([0] as [Int64]), Tensor([1] as [Int64])],
                outputs: 2)
        }
        #expect(g?.kind == .runtime)
    }

    @Test func nanSemantics() throws {
        let nan = Float.nan
        let a = Tensor([nan, 1, nan] as [Float])
        let b = Tensor([1, nan, nan] as [Float])
        for (op, expected) in [("EQ", false), ("LT", false), ("LE", false), ("GT", false), ("GE", false), ("NE", true)] {
            let c = try TestSupport.run(op, [a, b])[0]
            #expect(c.dataType == .bool)
            #expect(try c.values(as: Bool.self) == [expected, expected, expected], "\(op)")
        }
        let sign = try TestSupport.run("Sign", [Tensor([nan, -2, 0, 3] as [Float])])[0]
        #expect(try sign.values(as: Float.self) == [0, -1, 0, 1])
        let clip = try TestSupport.run("Clip", [Tensor([nan, 5] as [Float])], args: [Argument(name: "max", float: 1)])[0]
        let cv = try clip.values(as: Float.self)
        #expect(cv[0].isNaN && cv[1] == 1)
        for op in ["Max", "Min"] {
            let m = try TestSupport.run(op, [Tensor([nan, 1, 2] as [Float]), Tensor([1, nan, 3] as [Float])])[0]
            let mv = try m.values(as: Float.self)
            #expect(mv[0].isNaN && mv[1].isNaN && mv[2] == (op == "Max" ? 3 : 2), "\(op)")
        }
        let log = try TestSupport.run("Log", [Tensor([0, -1] as [Float])])[0].values(as: Float.self)
        #expect(log[0] == -.infinity && log[1].isNaN)
        let rs = try TestSupport.run("RSqrt", [Tensor([0, 4] as [Float])])[0].values(as: Float.self)
        #expect(rs == [.infinity, 0.5])
    }

    @Test func zeroDimensionalAndEmptyTensors() throws {
        let s = try TestSupport.run("Mul", [Tensor(scalar: Float(3)), Tensor(scalar: Float(-2))])[0]
        #expect(s.dims == [])
        #expect(try s.values(as: Float.self) == [-6])
        let e = try TestSupport.run("Add", [try Tensor(dims: [0, 3], dataType: .float), Tensor([1, 2, 3] as [Float])])[0]
        #expect(e.dims == [0, 3] && e.count == 0)
        let lt = try TestSupport.run("LT", [try Tensor(dims: [2, 0], dataType: .int64), try Tensor(dims: [1], dataType: .int64)])[0]
        #expect(lt.dims == [2, 0] && lt.dataType == .bool)
        let sum = try TestSupport.run("Sum", [try Tensor(dims: [0], dataType: .float), try Tensor(dims: [0], dataType: .float)])[0]
        #expect(sum.dims == [0])
        let ws = try TestSupport.run(
            "WeightedSum", [try Tensor(dims: [0, 2], dataType: .float), Tensor([2] as [Float]), randomTensor([3]), Tensor([1] as [Float])])[0]
        #expect(ws.dims == [0, 2])
        let neg = try TestSupport.run("Negative", [Tensor(scalar: Int64(4))])[0]
        #expect(neg.dims == [])
        #expect(try neg.values(as: Int64.self) == [-4])
        // Gradient of a broadcast into an empty output: dA is zero-filled.
        let g = try TestSupport.run(
            "MulGradient",
            [try Tensor(dims: [3, 0], dataType: .float), try Tensor(dims: [3, 1], values: [1, 2, 3] as [Float]),
             try Tensor(dims: [0], dataType: .float)], outputs: 2)
        #expect(g[0].dims == [3, 1])
        #expect(try g[0].values(as: Float.self) == [0, 0, 0])
        #expect(g[1].dims == [0])
        let r = try TestSupport.run("ReduceSum", [try Tensor(dims: [0, 3], dataType: .float)], args: [Argument(name: "axes", ints: [0])])[0]
        #expect(r.dims == [1, 3])
        #expect(try r.values(as: Float.self) == [0, 0, 0])
        let m = try TestSupport.run("ReduceMean", [try Tensor(dims: [0, 2], dataType: .float)], args: [Argument(name: "axes", ints: [0]), Argument(name: "keepdims", int: 0)])[0]
        #expect(m.dims == [2])
        #expect(try m.values(as: Float.self).allSatisfy(\.isNaN))
    }

    @Test func axisWithoutBroadcastIsIgnored() throws {
        // PyTorch-era Caffe2: numpy broadcasting; `axis` is read only with broadcast=1.
        let c = try TestSupport.run(
            "Add", [try Tensor(dims: [2, 3], values: [0, 1, 2, 3, 4, 5] as [Float]), Tensor([10, 20, 30] as [Float])],
            args: [Argument(name: "axis", int: 0)])[0]
        #expect(try c.values(as: Float.self) == [10, 21, 32, 13, 24, 35])
    }

    @Test func leNetStyleBiasAdd() throws {
        // LeNet's conv bias: Add(X [N, C, H, W], b [C], broadcast=1, axis=1).
        let x = try Tensor(dims: [2, 3, 2, 2], values: (0..<24).map { Float($0) })
        let b = Tensor([100, 200, 300] as [Float])
        let y = try TestSupport.run("Add", [x, b], args: [Argument(name: "broadcast", int: 1), Argument(name: "axis", int: 1)])[0]
        let v = try y.values(as: Float.self)
        for n in 0..<2 {
            for c in 0..<3 {
                for k in 0..<4 {
                    let i = n * 12 + c * 4 + k
                    #expect(v[i] == Float(i) + Float(100 * (c + 1)))
                }
            }
        }
    }

    @Test func inPlaceBroadcastReusesStorage() throws {
        let ws = Workspace()
        ws.feedBlob("A", try Tensor(dims: [2, 3], values: [1, 2, 3, 4, 5, 6] as [Float]))
        ws.feedBlob("B", Tensor([1, 1, 1] as [Float]))
        let op = OperatorDef(type: "Add", input: ["A", "B"], output: ["A"])
        try ws.runOperatorOnce(op)  // first run: the fed tensor is still held by nobody but the blob
        let address = try ws.fetchBlob("A").storageAddress
        try ws.runOperatorOnce(op)
        let a = try ws.fetchBlob("A")
        #expect(a.storageAddress == address)
        #expect(try a.values(as: Float.self) == [3, 4, 5, 6, 7, 8])
    }

    @Test func largeBroadcastsMatchASimpleLoop() throws {
        // Big enough to be split across threads.
        let rows = 700
        let cols = 1000
        let a = randomTensor([rows, cols], seed: 3)
        let b = randomTensor([cols], seed: 4)
        let av = try a.values(as: Float.self)
        let bv = try b.values(as: Float.self)
        let c = try TestSupport.run("Mul", [a, b])[0].values(as: Float.self)
        let gt = try TestSupport.run("GT", [a, b])[0].values(as: Bool.self)
        var ok = true
        for i in 0..<rows {
            for j in 0..<cols where c[i * cols + j] != av[i * cols + j] * bv[j] || gt[i * cols + j] != (av[i * cols + j] > bv[j]) {
                ok = false
            }
        }
        #expect(ok)
        // The gradient of B sums over the rows.
        let g = try TestSupport.run("AddGradient", [a, a, b], outputs: 2)
        let db = try g[1].values(as: Float.self)
        let expected = (0..<cols).map { j in (0..<rows).reduce(0.0) { $0 + Double(av[$1 * cols + j]) } }
        #expect(allClose(db.map(Double.init), expected, atol: 1e-3, rtol: 1e-4))
        #expect(try g[0].values(as: Float.self) == av)
    }

    @Test func largeTranscendentalMapsMatchLibm() throws {
        // Split across threads above 16k elements.
        let x = randomTensor([300, 400], in: 0.1...3, seed: 5)
        let xv = try x.values(as: Float.self)
        let e = try TestSupport.run("Exp", [x])[0].values(as: Float.self)
        let l = try TestSupport.run("Log", [x])[0].values(as: Float.self)
        let p = try TestSupport.run("Pow", [x], args: [Argument(name: "exponent", float: 1.5)])[0].values(as: Float.self)
        let q = try TestSupport.run("Pow", [x, x])[0].values(as: Float.self)
        #expect(e == xv.map { expf($0) })
        #expect(l == xv.map { logf($0) })
        #expect(p == xv.map { powf($0, 1.5) })
        #expect(q == xv.map { powf($0, $0) })
    }

    @Test func maxGradientGivesEveryTieTheGradient() throws {
        let x = Tensor([1, 5, 3] as [Float])
        let y = Tensor([1, 5, 3] as [Float])
        let dy = Tensor([2, 4, 6] as [Float])
        let g = try TestSupport.run("MaxGradient", [y, dy, x, x], outputs: 2)
        #expect(try g[0].values(as: Float.self) == [2, 4, 6])
        #expect(try g[1].values(as: Float.self) == [2, 4, 6])
    }
}

@Suite struct ElementwiseErrorTests {
    @Test func numpyMismatchNamesBlobsAndDims() {
        let e = caffe2Error { _ = try TestSupport.run("Add", [randomTensor([2, 3]), randomTensor([4])]) }
        #expect(e?.kind == .shape)
        #expect(e?.message.contains("A_dim: 3,B_dim: 4") == true)
        #expect(e?.message.contains("'X0' [2, 3]") == true && e?.message.contains("'X1' [4]") == true)
        #expect(e?.opType == "Add")
    }

    @Test func legacyErrors() {
        let broadcast = Argument(name: "broadcast", int: 1)
        let tooManyDims = caffe2Error { _ = try TestSupport.run("Mul", [randomTensor([3]), randomTensor([2, 3])], args: [broadcast]) }
        #expect(tooManyDims?.message.contains("If you are doing broadcasting, input1 should have a smaller or equal number of dimensions.") == true)
        let mismatch = caffe2Error {
            _ = try TestSupport.run("Sub", [randomTensor([2, 3, 4]), randomTensor([4])], args: [broadcast, Argument(name: "axis", int: 1)])
        }
        #expect(mismatch?.message.contains("Broadcast dimension mismatch.") == true)
        // Without broadcast=1 the same shapes are a numpy error ([3,4] vs [4,5]).
        let numpy = caffe2Error { _ = try TestSupport.run("Add", [randomTensor([2, 3, 4, 5]), randomTensor([3, 4])]) }
        #expect(numpy?.message.contains("A_dim: 4,B_dim: 3") == true)
    }

    @Test func constructionErrors() {
        let both = caffe2Error {
            _ = try TestSupport.run(
                "Add", [randomTensor([2, 3]), randomTensor([3])],
                args: [Argument(name: "broadcast", int: 1), Argument(name: "axis", int: 1), Argument(name: "axis_str", string: "C")])
        }
        #expect(both?.message == "Args axis and axis_str cannot be used simultaneously.")
        let long = caffe2Error {
            _ = try TestSupport.run(
                "Add", [randomTensor([2, 3]), randomTensor([3])],
                args: [Argument(name: "broadcast", int: 1), Argument(name: "axis_str", string: "CH")])
        }
        #expect(long?.message == "Unsupported axis string CH")
        let unknown = caffe2Error {
            _ = try TestSupport.run(
                "Add", [randomTensor([2, 3]), randomTensor([3])],
                args: [Argument(name: "broadcast", int: 1), Argument(name: "axis_str", string: "Q")])
        }
        #expect(unknown?.message == "Unrecognizable axis string Q from order string NCHW")
    }

    @Test func illegalInPlace() throws {
        // Div allows only {0,0}: the schema rejects B as output when the op is created.
        let div = caffe2Error {
            try EW.run(OperatorDef(type: "Div", input: ["A", "B"], output: ["B"]), ["A": randomTensor([3]), "B": randomTensor([3])])
        }
        #expect(div?.kind == .schema)
        // Legacy broadcast: B may never be the output.
        let legacy = caffe2Error {
            try EW.run(
                OperatorDef(type: "Add", input: ["A", "B"], output: ["B"], arg: [Argument(name: "broadcast", int: 1)]),
                ["A": randomTensor([2, 3]), "B": randomTensor([3])])
        }
        #expect(legacy?.message == "In-place is allowed only with the first tensor when legacy-broadcasting")
        // Numpy: an output over an input must keep its dims.
        let grows = caffe2Error {
            try EW.run(OperatorDef(type: "Add", input: ["A", "B"], output: ["A"]), ["A": randomTensor([3]), "B": randomTensor([2, 3])])
        }
        #expect(grows?.kind == .shape && grows?.blob == "A")
        // Abs has no in-place form.
        let abs = caffe2Error { try EW.run(OperatorDef(type: "Abs", input: ["X"], output: ["X"]), ["X": randomTensor([3])]) }
        #expect(abs?.kind == .schema)
        // WeightedSum: only X0 may be the output.
        let ws = caffe2Error {
            try EW.run(
                OperatorDef(type: "WeightedSum", input: ["X", "w", "Z", "v"], output: ["Z"]),
                ["X": randomTensor([3]), "w": Tensor([1] as [Float]), "Z": randomTensor([3]), "v": Tensor([1] as [Float])])
        }
        #expect(ws?.kind == .schema)
    }

    @Test func wrongTypes() {
        let mixed = caffe2Error { _ = try TestSupport.run("Add", [Tensor([1] as [Float]), Tensor([1] as [Int32])]) }
        #expect(mixed?.kind == .dataType && mixed?.blob == "X1")
        let bools = caffe2Error { _ = try TestSupport.run("Mul", [Tensor([true]), Tensor([false])]) }
        #expect(bools?.kind == .dataType && bools?.message.contains("Unsupported type") == true)
        let expDouble = caffe2Error { _ = try TestSupport.run("Exp", [Tensor([1] as [Double])]) }
        #expect(expDouble?.kind == .dataType)
        let andFloat = caffe2Error { _ = try TestSupport.run("And", [Tensor([1] as [Float]), Tensor([1] as [Float])]) }
        #expect(andFloat?.kind == .dataType)
        let meanInt = caffe2Error { _ = try TestSupport.run("Mean", [Tensor([1] as [Int32])]) }
        #expect(meanInt?.kind == .dataType)
        let reduceMeanInt = caffe2Error { _ = try TestSupport.run("ReduceMean", [Tensor([1] as [Int32])]) }
        #expect(reduceMeanInt?.kind == .dataType)
    }

    @Test func naryShapeChecks() {
        let sum = caffe2Error { _ = try TestSupport.run("Sum", [randomTensor([2, 3]), randomTensor([3, 2])]) }
        #expect(sum?.message.contains("Input #1") == true && sum?.kind == .shape)
        // Caffe2 misses a wrong-sized X1 of Max; we reject it.
        let max = caffe2Error { _ = try TestSupport.run("Max", [randomTensor([2]), randomTensor([3])]) }
        #expect(max?.kind == .shape)
        let weight = caffe2Error {
            _ = try TestSupport.run("WeightedSum", [randomTensor([2]), Tensor([1, 2] as [Float])])
        }
        #expect(weight?.message.contains("must hold 1 element") == true)
        let count = caffe2Error {
            _ = try TestSupport.run(
                "WeightedSum", [randomTensor([2]), Tensor([1] as [Float]), randomTensor([3]), Tensor([1] as [Float])])
        }
        #expect(count?.kind == .shape)
        let odd = caffe2Error { _ = try TestSupport.run("WeightedSum", [randomTensor([2]), Tensor([1] as [Float]), randomTensor([2])]) }
        #expect(odd?.kind == .schema)
        let lin = caffe2Error { _ = try TestSupport.run("ElementwiseLinear", [randomTensor([2, 3]), randomTensor([2]), randomTensor([3])]) }
        #expect(lin?.kind == .shape && lin?.blob == "X1")
        let gradOutputs = caffe2Error {
            _ = try TestSupport.run("WeightedSumGradient", [randomTensor([2]), randomTensor([2]), Tensor([1] as [Float])], outputs: 2)
        }
        #expect(gradOutputs != nil)
    }

    @Test func powErrors() {
        let noExponent = caffe2Error { _ = try TestSupport.run("Pow", [randomTensor([2])]) }
        #expect(
            noExponent?.message == "Only a tensor with an argument or two input tensors are supported as input to pow operator.")
        let axis = caffe2Error {
            _ = try TestSupport.run("Pow", [randomTensor([2]), randomTensor([2])], args: [Argument(name: "axis", int: 0)])
        }
        #expect(axis?.message == "Do not specify axis or axis_str if broadcast is not enabled.")
        let dims = caffe2Error { _ = try TestSupport.run("Pow", [randomTensor([2, 3]), randomTensor([3])]) }
        #expect(dims?.message.hasPrefix("Dimension mismatch - did you forget to set broadcast=1?") == true)
        let inPlace = caffe2Error {
            try EW.run(
                OperatorDef(type: "Pow", input: ["X", "E"], output: ["E"], arg: [Argument(name: "broadcast", int: 1)]),
                ["X": randomTensor([2, 3]), "E": randomTensor([3])])
        }
        #expect(inPlace?.message == "In-place is allowed only with the first tensor when broadcasting")
    }

    @Test func gradientOpErrors() {
        let same = caffe2Error {
            try EW.run(
                OperatorDef(type: "MulGradient", input: ["dC", "A", "B"], output: ["d", "d"]),
                ["dC": randomTensor([3]), "A": randomTensor([3]), "B": randomTensor([3])])
        }
        #expect(same?.message.hasPrefix("Outputs dA and dB should point to distinct blobs") == true)
        let count = caffe2Error {
            _ = try TestSupport.run("AddGradient", [randomTensor([4]), randomTensor([2, 3]), randomTensor([3])], outputs: 2)
        }
        #expect(count?.kind == .shape && count?.blob == "X0")
        let sumReduceLike = caffe2Error {
            try EW.run(
                OperatorDef(type: "SumReduceLike", input: ["A", "B"], output: ["B"]),
                ["A": randomTensor([2, 3]), "B": randomTensor([3])])
        }
        #expect(sumReduceLike?.kind == .schema)
    }
}

@Suite struct ElementwiseShapeInferenceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let op: OperatorDef
        let inputs: [TensorShape]
        let expected: [TensorShape]
        var testDescription: String { "\(op.type) \(inputs.map(\.dims))" }
    }

    static func s(_ dims: [Int64], _ t: DataType = .float) -> TensorShape { TensorShape(dims: dims, dataType: t) }
    static func op(_ type: String, _ nIn: Int, _ nOut: Int = 1, _ args: [Argument] = []) -> OperatorDef {
        OperatorDef(type: type, input: (0..<nIn).map { "i\($0)" }, output: (0..<nOut).map { "o\($0)" }, arg: args)
    }

    static let broadcast = Argument(name: "broadcast", int: 1)

    static let cases: [Case] = [
        Case(op: op("Add", 2), inputs: [s([2, 3, 4]), s([3, 1])], expected: [s([2, 3, 4])]),
        Case(op: op("Sub", 2), inputs: [s([4], .int32), s([2, 3, 4], .int32)], expected: [s([2, 3, 4], .int32)]),
        Case(op: op("Mul", 2, 1, [broadcast]), inputs: [s([2, 3, 4]), s([3])], expected: [s([2, 3, 4])]),
        Case(op: op("Div", 2), inputs: [s([], .double), s([5], .double)], expected: [s([5], .double)]),
        Case(op: op("AddGradient", 3, 2), inputs: [s([2, 3]), s([2, 3]), s([3])], expected: [s([2, 3]), s([3])]),
        Case(op: op("SubGradient", 3, 2), inputs: [s([2, 3]), s([2, 3]), s([3])], expected: [s([2, 3]), s([3])]),
        Case(op: op("MulGradient", 3, 2), inputs: [s([2, 3]), s([1, 3]), s([2, 1])], expected: [s([1, 3]), s([2, 1])]),
        Case(op: op("DivGradient", 4, 2), inputs: [s([2, 3]), s([2, 3]), s([3]), s([2, 3])], expected: [s([2, 3]), s([3])]),
        Case(op: op("DivGradient", 3, 2), inputs: [s([3]), s([2, 3]), s([2, 3])], expected: [s([2, 3]), s([3])]),
        Case(op: op("EQ", 2), inputs: [s([2, 3], .int64), s([3], .int64)], expected: [s([2, 3], .bool)]),
        Case(op: op("LT", 2, 1, [broadcast]), inputs: [s([2, 3]), s([2])], expected: [s([2, 3], .bool)]),
        Case(op: op("And", 2), inputs: [s([2, 1], .bool), s([3], .bool)], expected: [s([2, 3], .bool)]),
        Case(op: op("Not", 1), inputs: [s([4], .bool)], expected: [s([4], .bool)]),
        Case(op: op("Negative", 1), inputs: [s([2, 2], .int32)], expected: [s([2, 2], .int32)]),
        Case(op: op("Scale", 1), inputs: [s([3], .double)], expected: [s([3], .double)]),
        Case(op: op("Sqr", 1), inputs: [s([3])], expected: [s([3])]),
        Case(op: op("Sqrt", 1), inputs: [s([3])], expected: [s([3])]),
        Case(op: op("RSqrt", 1), inputs: [s([3])], expected: [s([3])]),
        Case(op: op("RSqrtGradient", 2), inputs: [s([3]), s([3])], expected: [s([3])]),
        Case(op: op("Exp", 1), inputs: [s([3])], expected: [s([3])]),
        Case(op: op("Log", 1), inputs: [s([3])], expected: [s([3])]),
        Case(op: op("Abs", 1), inputs: [s([3])], expected: [s([3])]),
        Case(op: op("AbsGradient", 2), inputs: [s([3]), s([3])], expected: [s([3])]),
        Case(op: op("Pow", 1, 1, [Argument(name: "exponent", float: 2)]), inputs: [s([2, 5])], expected: [s([2, 5])]),
        Case(op: op("Pow", 2, 1, [broadcast]), inputs: [s([2, 5]), s([5])], expected: [s([2, 5])]),
        Case(op: op("Sign", 1), inputs: [s([3], .int64)], expected: [s([3], .int64)]),
        Case(op: op("Clip", 1), inputs: [s([3])], expected: [s([3])]),
        Case(op: op("ClipGradient", 2), inputs: [s([3]), s([3])], expected: [s([3])]),
        Case(op: op("Swish", 1), inputs: [s([3], .double)], expected: [s([3], .double)]),
        Case(op: op("SwishGradient", 3), inputs: [s([3]), s([3]), s([3])], expected: [s([3])]),
        Case(op: op("Sum", 3), inputs: [s([2, 3], .int64), s([2, 3], .int64), s([2, 3], .int64)], expected: [s([2, 3], .int64)]),
        Case(op: op("Mean", 2), inputs: [s([2, 3]), s([2, 3])], expected: [s([2, 3])]),
        Case(op: op("MeanGradient", 1, 3), inputs: [s([2, 3])], expected: [s([2, 3]), s([2, 3]), s([2, 3])]),
        Case(op: op("Max", 2), inputs: [s([4]), s([4])], expected: [s([4])]),
        Case(op: op("Min", 2), inputs: [s([4]), s([4])], expected: [s([4])]),
        Case(op: op("MaxGradient", 4, 2), inputs: [s([4]), s([4]), s([4]), s([4])], expected: [s([4]), s([4])]),
        Case(op: op("MinGradient", 3, 1), inputs: [s([4]), s([4]), s([4])], expected: [s([4])]),
        Case(op: op("WeightedSum", 4), inputs: [s([2, 3]), s([1]), s([2, 3]), s([1])], expected: [s([2, 3])]),
        Case(
            op: op("WeightedSumGradient", 5, 4, [Argument(name: "grad_on_w", int: 1)]),
            inputs: [s([2, 3]), s([2, 3]), s([1]), s([2, 3]), s([1])], expected: [s([2, 3]), s([2, 3]), s([1]), s([1])]),
        Case(op: op("SumReduceLike", 2, 1, [Argument(name: "axis", int: 1)]), inputs: [s([2, 3, 4]), s([3])], expected: [s([3])]),
        Case(op: op("ElementwiseLinear", 3), inputs: [s([4, 5]), s([5]), s([5])], expected: [s([4, 5])]),
        Case(op: op("ElementwiseLinearGradient", 3, 3), inputs: [s([4, 5]), s([4, 5]), s([5])], expected: [s([4, 5]), s([5]), s([5])]),
        Case(op: op("ReduceSum", 1, 1, [Argument(name: "axes", ints: [0, -1])]), inputs: [s([2, 3, 4], .int32)], expected: [s([1, 3, 1], .int32)]),
        Case(op: op("ReduceSum", 1, 1, [Argument(name: "keepdims", int: 0)]), inputs: [s([2, 3])], expected: [s([])]),
        Case(op: op("ReduceMean", 1, 1, [Argument(name: "axes", ints: [1]), Argument(name: "keepdims", int: 0)]), inputs: [s([2, 3, 4])], expected: [s([2, 4])]),
        Case(op: op("ReduceSumGradient", 3), inputs: [s([1, 3]), s([2, 3]), s([1, 3])], expected: [s([2, 3])]),
        Case(op: op("ReduceMeanGradient", 3), inputs: [s([1, 3]), s([2, 3]), s([1, 3])], expected: [s([2, 3])]),
        Case(op: op("ReduceFrontSum", 1, 1, [Argument(name: "num_reduce_dim", int: 2)]), inputs: [s([2, 3, 4])], expected: [s([4])]),
        Case(op: op("ReduceBackSum", 1), inputs: [s([2, 3, 4], .int64)], expected: [s([2, 3], .int64)]),
        Case(op: op("ReduceFrontMean", 2), inputs: [s([2, 3]), s([3], .int32)], expected: [s([3])]),
        Case(op: op("ReduceBackMean", 1, 1, [Argument(name: "num_reduce_dims", int: 0)]), inputs: [s([2, 3])], expected: [s([2, 3])]),
        Case(op: op("ReduceBackSumGradient", 2), inputs: [s([2]), s([2, 3])], expected: [s([2, 3])]),
        Case(op: op("ReduceFrontMeanGradient", 3), inputs: [s([3]), s([2, 3]), s([3], .int32)], expected: [s([2, 3])]),
    ]

    @Test(arguments: cases)
    func inference(_ c: Case) throws {
        let schema = try #require(OperatorRegistry.standard.schema(c.op.type))
        try schema.verify(c.op)
        #expect(try schema.inferShapes(c.op, c.inputs) == c.expected)
    }

    @Test func inferenceRejectsBadShapes() throws {
        let add = try #require(OperatorRegistry.standard.schema("Add"))
        #expect(throws: Caffe2Error.self) { try add.inferShapes(Self.op("Add", 2), [Self.s([2, 3]), Self.s([4])]) }
        let reduce = try #require(OperatorRegistry.standard.schema("ReduceSum"))
        #expect(throws: Caffe2Error.self) {
            try reduce.inferShapes(Self.op("ReduceSum", 1, 1, [Argument(name: "axes", ints: [3])]), [Self.s([2, 3])])
        }
        let back = try #require(OperatorRegistry.standard.schema("ReduceBackSum"))
        #expect(throws: Caffe2Error.self) {
            try back.inferShapes(Self.op("ReduceBackSum", 1, 1, [Argument(name: "num_reduce_dim", int: 3)]), [Self.s([2, 3])])
        }
    }

    @Test func everyOperatorOfTheFamilyHasInferenceAndDocs() {
        for d in ElementwiseOperators.definitions + ReductionOperators.definitions {
            #expect(d.schema.inference != nil, "\(d.type) has no shape inference")
            #expect(!d.schema.documentation.isEmpty, "\(d.type) has no doc")
            #expect(!d.schema.supportedTypes.isEmpty, "\(d.type) lists no types")
            #expect(OperatorRegistry.standard.hasKernel(d.type, device: .cpu), "\(d.type) has no CPU kernel")
        }
    }
}

/// The Glow Caffe2 unit nets that use element-wise and reduction ops, run
/// unchanged with the shapes Glow's importer tests feed them.
@Suite(.enabled(if: TestSupport.haveModels)) struct ElementwiseGlowNetTests {
    static func run(_ file: String, _ feeds: [String: Tensor], fetch: String) throws -> Tensor {
        let ws = Workspace()
        for (k, v) in feeds { ws.feedBlob(k, v) }
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/\(file)")))
        return try ws.fetchBlob(fetch)
    }

    @Test func elementwiseLinear() throws {
        // axis = 0 with X [10, 5] and w, b of 10 elements: along axis 0.
        let x = randomTensor([10, 5], seed: 70)
        let w = randomTensor([10], seed: 71)
        let b = randomTensor([10], seed: 72)
        let y = try Self.run("elementwise_linear_net.pbtxt", ["X": x, "w": w, "b": b], fetch: "el_result")
        let (xv, wv, bv) = (try x.values(as: Float.self), try w.values(as: Float.self), try b.values(as: Float.self))
        #expect(y.dims == [10, 5])
        let expected: [Double] = (0..<50).map { (i: Int) -> Double in Double(xv[i] * wv[i / 5] + bv[i / 5]) }
        #expect(allClose(y, expected))
    }

    @Test func elementwiseLinearAsMulAndAdd() throws {
        // Mul and Add with broadcast=0 (numpy): X [5, 10], w and b [10].
        let x = randomTensor([5, 10], seed: 73)
        let w = randomTensor([10], seed: 74)
        let b = randomTensor([10], seed: 75)
        let y = try Self.run("elementwise_linear_broadcast_net.pbtxt", ["X": x, "w": w, "b": b], fetch: "el_result")
        let (xv, wv, bv) = (try x.values(as: Float.self), try w.values(as: Float.self), try b.values(as: Float.self))
        #expect(y.dims == [5, 10])
        let expected: [Double] = (0..<50).map { (i: Int) -> Double in Double(xv[i] * wv[i % 10] + bv[i % 10]) }
        #expect(allClose(y, expected))
    }

    @Test func clipExpSwishMeanAddReduceBackMean() throws {
        let x = randomTensor([4, 6], in: 0...80, seed: 76)
        let xv = try x.values(as: Float.self)
        let clipped = try Self.run("clip_op_net.pbtxt", ["inputs_0": x], fetch: "clip_result")
        #expect(try clipped.values(as: Float.self) == xv.map { Swift.min(Swift.max($0, 20), 60) })
        let unbounded = try Self.run("clip_op_default_net.pbtxt", ["inputs_0": x], fetch: "clip_result")
        #expect(try unbounded.values(as: Float.self) == xv)

        let small = randomTensor([2, 3], in: -3...3, seed: 77)
        let sv = try small.values(as: Float.self)
        #expect(allClose(try Self.run("exp_op_net.pbtxt", ["data": small], fetch: "result"), sv.map { Double(Foundation.exp($0)) }))
        #expect(
            allClose(
                try Self.run("swish_op_net.pbtxt", ["input": small], fetch: "swish_result"),
                sv.map { Double($0) / (1 + Foundation.exp(-Double($0))) }))

        let inputs = (0..<3).map { randomTensor([2, 3], seed: 78 + UInt64($0)) }
        let iv = try inputs.map { try $0.values(as: Float.self) }
        let mean = try Self.run("mean_3inputs.pbtxt", ["input1": inputs[0], "input2": inputs[1], "input3": inputs[2]], fetch: "output")
        let meanExpected: [Double] = (0..<6).map { (i: Int) -> Double in
            let s: Float = iv[0][i] + iv[1][i] + iv[2][i]
            return Double(s) / 3
        }
        #expect(allClose(mean, meanExpected))
        let sum = try Self.run("multiple_inputs_graph.pbtxt", ["input1": inputs[0], "input2": inputs[1]], fetch: "output")
        #expect(try sum.values(as: Float.self) == (0..<6).map { iv[0][$0] + iv[1][$0] })

        let r = try Self.run("reducebackmean.pbtxt", ["input": inputs[0]], fetch: "output")
        #expect(r.dims == [2])
        let rows = iv[0]
        let expected: [Double] = [0, 1].map { (i: Int) -> Double in
            let s: Float = rows[3 * i] + rows[3 * i + 1] + rows[3 * i + 2]
            return Double(s) / 3
        }
        #expect(allClose(r, expected))
    }
}
