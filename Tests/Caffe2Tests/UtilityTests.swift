import Foundation
import Testing

@testable import Caffe2

@Suite struct UtilityCopyTests {
    @Test func copySharesUntilWritten() throws {
        let ws = Workspace()
        let x = OpTesting.iota([2, 3])
        ws.feedBlob("X", x)
        try ws.runOperatorOnce(OperatorDef(type: "Copy", input: ["X"], output: ["Y"]))
        #expect(try ws.fetchBlob("Y") == x)
        // An in-place op on the copy leaves the source alone.
        try ws.runOperatorOnce(OperatorDef(type: "Reciprocal", input: ["Y"], output: ["Y"]))
        #expect(try ws.fetchBlob("X").values(as: Float.self) == [0, 1, 2, 3, 4, 5])
        #expect(try ws.fetchBlob("Y").values(as: Float.self)[2] == 0.5)
        let s = try OpTesting.run("Copy", [try Tensor(dims: [2], strings: ["a", "b"])])[0]
        #expect(s.strings == ["a", "b"])
        let c = try OpTesting.run("CopyOnDeviceLike", [OpTesting.iota([2]), OpTesting.iota([5])])[0]
        #expect(try c.values(as: Float.self) == [0, 1])
    }

    @Test func gradients() throws {
        let op = OperatorDef(type: "Copy", input: ["X"], output: ["Y"])
        let meta = try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("Y_grad")])
        #expect(meta.ops.map(\.type) == ["CopyOnDeviceLike"])
        #expect(meta.ops[0].input == ["Y_grad", "X"] && meta.ops[0].output == ["X_grad"])
        try OpTesting.checkGradients(op, [randomTensor([3, 2], seed: 31)], inputsToCheck: [0])
        let stop = OperatorDef(type: "StopGradient", input: ["X"], output: ["Y"])
        let none = try OperatorRegistry.standard.gradient(for: stop, gOutput: [.dense("Y_grad")])
        #expect(none.ops.isEmpty && none.gInput == [nil])
        OpTesting.expectError("Gradient maker for operator CopyOnDeviceLike not implemented", kind: .gradient) {
            _ = try OperatorRegistry.standard.gradient(
                for: OperatorDef(type: "CopyOnDeviceLike", input: ["a", "b"], output: ["c"]), gOutput: [.dense("g")])
        }
    }

    @Test func stopGradientAliasEnsureDense() throws {
        let x = OpTesting.iota([4])
        for type in ["StopGradient", "Alias", "EnsureDense"] {
            let y = try OpTesting.run(type, [x])[0]
            #expect(y == x && y.sharesStorage(with: x), "\(type)")
        }
        let ws = Workspace()
        ws.feedBlob("X", x)
        try ws.runOperatorOnce(OperatorDef(type: "StopGradient", input: ["X"], output: ["X"]))
        #expect(try ws.fetchBlob("X") == x)
        let dense = try OperatorRegistry.standard.gradient(
            for: OperatorDef(type: "EnsureDense", input: ["X"], output: ["Y"]), gOutput: [.dense("Y_grad")])
        #expect(dense.ops.isEmpty && dense.gInput == [.dense("Y_grad")])
        let sparse = try OperatorRegistry.standard.gradient(
            for: OperatorDef(type: "EnsureDense", input: ["X"], output: ["Y"]),
            gOutput: [.sparse(indices: "i", values: "v")])
        #expect(sparse.ops.map(\.type) == ["SparseToDense"] && sparse.ops[0].input == ["i", "v", "X"])
    }
}

@Suite struct UtilityCastTests {
    static let numeric: [DataType] = [.float, .double, .int32, .int64, .int16, .int8, .uint16, .uint8, .bool]

    /// A tensor of `type` holding `values` (all representable in every numeric type).
    static func tensor(_ type: DataType, _ values: [Double]) throws -> Tensor {
        let dims = [values.count]
        switch type {
        case .float: return try Tensor(dims: dims, values: values.map { Float($0) })
        case .double: return try Tensor(dims: dims, values: values)
        case .int32: return try Tensor(dims: dims, values: values.map { Int32($0) })
        case .int64: return try Tensor(dims: dims, values: values.map { Int64($0) })
        case .int16: return try Tensor(dims: dims, values: values.map { Int16($0) })
        case .int8: return try Tensor(dims: dims, values: values.map { Int8($0) })
        case .uint16: return try Tensor(dims: dims, values: values.map { UInt16($0) })
        case .uint8: return try Tensor(dims: dims, values: values.map { UInt8($0) })
        default: return try Tensor(dims: dims, values: values.map { $0 != 0 })
        }
    }

    @Test(arguments: numeric, numeric)
    func everyPairOfNumericTypes(_ from: DataType, _ to: DataType) throws {
        let values: [Double] = [0, 1, 2, 5, 100, 127]
        let x = try Self.tensor(from, values)
        let y = try OpTesting.run("Cast", [x], args: [Argument(name: "to", int: Int(to.rawValue))])[0]
        #expect(y.dataType == to && y.dims == [6])
        // Bool sources hold 0/1; bool destinations get non-zero ⇒ 1.
        let src = from == .bool ? values.map { $0 != 0 ? 1.0 : 0 } : values
        let want = to == .bool ? src.map { $0 != 0 ? 1.0 : 0 } : src
        #expect(y.doubleValues() == want, "\(from) → \(to)")
    }

    @Test func cppConversionRules() throws {
        func cast(_ x: Tensor, _ to: DataType) throws -> Tensor {
            try OpTesting.run("Cast", [x], args: [Argument(name: "to", int: Int(to.rawValue))])[0]
        }
        // Floats truncate toward zero.
        #expect(try cast(Tensor([-2.7, 2.7, -0.5, 1e10] as [Float]), .int32).values(as: Int32.self) == [-2, 2, 0, Int32.max])
        // Integers narrow by wrapping.
        #expect(try cast(Tensor([300, -1, 128] as [Int32]), .int8).values(as: Int8.self) == [44, -1, -128])
        #expect(try cast(Tensor([-1, 65536] as [Int64]), .uint16).values(as: UInt16.self) == [65535, 0])
        // int64 → float rounds once to nearest.
        #expect(try cast(Tensor([(1 << 24) + 1] as [Int64]), .float).values(as: Float.self) == [16_777_216])
        // Non-zero (NaN too) is true.
        #expect(try cast(Tensor([0, -0.0, .nan, 0.1] as [Float]), .bool).values(as: Bool.self) == [false, false, true, true])
        // Strings as C++ to_string.
        #expect(try cast(Tensor([1.5, -2] as [Float]), .string).strings == ["1.500000", "-2.000000"])
        #expect(try cast(Tensor([true, false] as [Bool]), .string).strings == ["1", "0"])
        #expect(try cast(Tensor([-7] as [Int64]), .string).strings == ["-7"])
    }

    @Test func toByNameAndErrors() throws {
        let x = Tensor([1.9] as [Float])
        for name in ["INT32", "int32", "Int32"] {
            let y = try OpTesting.run("Cast", [x], args: [Argument(name: "to", string: name)])[0]
            #expect(try y.values(as: Int32.self) == [1], "\(name)")
        }
        #expect(try OpTesting.run("Cast", [Tensor([3] as [Int32])])[0].dataType == .float, "default FLOAT")
        OpTesting.expectError("Unknown 'to' argument: BOGUS") {
            _ = try OpTesting.run("Cast", [x], args: [Argument(name: "to", string: "bogus")])
        }
        OpTesting.expectError("Cast op must have 'to' argument of type DataType") {
            _ = try OpTesting.run("Cast", [x], args: [Argument(name: "to", int: 0)])
        }
        OpTesting.expectError("Casting to and from at::Half on CPU is not supported yet") {
            _ = try OpTesting.run("Cast", [x], args: [Argument(name: "to", int: 12)])
        }
        OpTesting.expectError("BYTE is deprecated") {
            _ = try OpTesting.run("Cast", [x], args: [Argument(name: "to", int: 3)])
        }
        OpTesting.expectError("Unsupported type of tensor", kind: .dataType) {
            _ = try OpTesting.run("Cast", [try Tensor(dims: [1], strings: ["1"])], args: [Argument(name: "to", int: 1)])
        }
    }

    @Test func inference() throws {
        let op = OperatorDef(type: "Cast", input: ["X"], output: ["Y"], arg: [Argument(name: "to", string: "double")])
        let s = try OpTesting.infer(op, [TensorShape(dims: [2, 3], dataType: .int32)])
        #expect(s[0].dims == [2, 3] && s[0].dataType == .double)
    }

    @Test func gradientSwapsTheTypes() throws {
        let op = OperatorDef(
            type: "Cast", input: ["X"], output: ["Y"],
            arg: [Argument(name: "to", int: 13), Argument(name: "from_type", string: "float")])
        let meta = try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("Y_grad")])
        #expect(meta.ops.map(\.type) == ["Cast"])
        #expect(meta.ops[0].argument(named: "to")?.i == 1 && meta.ops[0].argument(named: "from_type")?.i == 13)
        #expect(meta.ops[0].arg.count == 2)
        try OpTesting.checkGradients(op, [randomTensor([2, 3], seed: 41)], inputsToCheck: [0])
        let back = OperatorDef(
            type: "Cast", input: ["X"], output: ["Y"], arg: [Argument(name: "to", int: 1), Argument(name: "from_type", int: 13)])
        let d = try Tensor(dims: [4], values: [0.5, -1.25, 2, 3.5] as [Double])
        try OpTesting.checkGradients(back, [d], inputsToCheck: [0])
        OpTesting.expectError("Argument 'from_type' of type int or string is required", kind: .gradient) {
            _ = try OperatorRegistry.standard.gradient(
                for: OperatorDef(type: "Cast", input: ["X"], output: ["Y"], arg: [Argument(name: "to", int: 13)]),
                gOutput: [.dense("Y_grad")])
        }
    }
}

@Suite struct UtilityPrintTests {
    @Test func lineFormat() throws {
        let t = try Tensor(dims: [2, 2], values: [1, 2.5, -3, 1e-7] as [Float])
        #expect(UtilityOperators.printLine(t, name: "w", limit: 0) == "Tensor w of type float. Dims: (2,2,): 1,2.5,-3,1e-07")
        #expect(UtilityOperators.printLine(t, name: "w", limit: 2) == "Tensor w of type float. Dims: (2,2,): 1,2.5")
        #expect(
            UtilityOperators.printLine(Tensor([7, -1] as [Int64]), name: "i", limit: 0)
                == "Tensor i of type int64. Dims: (2,): 7,-1")
        #expect(
            UtilityOperators.printLine(try Tensor(dims: [0], dataType: .float), name: "e", limit: 0)
                == "Tensor e of type float. Dims: (0,): ")
        #expect(
            UtilityOperators.printLine(try Tensor(dims: [], strings: ["x"]), name: "s", limit: 0)
                == "Tensor s of type string. Dims: (): x")
        let big = OpTesting.iota([1500])
        #expect(UtilityOperators.printLine(big, name: "b", limit: 0).split(separator: ",").count == 1000 + 1)
    }

    @Test func writesTheLogFileEveryNRuns() throws {
        let dir = ".build/print-test-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let blob = dir + "/x"
        let ws = Workspace()
        ws.feedBlob(blob, Tensor([1, 2] as [Int32]))
        let op = OperatorDef(
            type: "Print", input: [blob], arg: [Argument(name: "to_file", int: 1), Argument(name: "every_n", int: 2)])
        let net = try ws.createNet(NetDef(name: "p", op: [op]))
        try ws.runNet(named: net.name, iterations: 3)
        let text = try String(contentsOfFile: blob + ".log", encoding: .utf8)
        #expect(text == "Tensor \(blob) of type int32. Dims: (2,): 1,2\n" + "Tensor \(blob) of type int32. Dims: (2,): 1,2\n")
        OpTesting.expectError("every_n must be >= 1") {
            _ = try TestSupport.run(
                OperatorDef(type: "Print", input: ["X"], arg: [Argument(name: "every_n", int: 0)]), [OpTesting.iota([1])])
        }
    }
}

@Suite struct UtilityGoldenTests {
    static let file = "utility/goldens.json"
    static var cases: [ShapeGolden] { (try? ShapeGolden.load(file)) ?? [] }

    @Test func goldenFileCoversLayerNormAndTopK() throws {
        #expect(Set(try ShapeGolden.load(Self.file).map(\.op)) == ["LayerNorm", "TopK"])
    }

    @Test(arguments: cases)
    func matchesNumpy(_ g: ShapeGolden) throws {
        let inputs = try g.inputs.map { try $0.tensor() }
        let got = try TestSupport.run(g.operatorDef, inputs)
        for (t, want) in zip(got, g.outputs) {
            #expect(t.shape == want.dims, "\(g.name): \(want.name) dims \(t.dims)")
            #expect(t.dataType == (try want.tensor()).dataType, "\(g.name): \(want.name) type")
            #expect(allClose(t, want.values, atol: 2e-6, rtol: 2e-6), "\(g.name): \(want.name) \(t.doubleValues()) vs \(want.values)")
        }
        let inferred = try OpTesting.infer(g.operatorDef, inputs.map { TensorShape(dims: $0.dims, dataType: $0.dataType) })
        #expect(zip(inferred, got).allSatisfy { $0.dims == $1.dims && $0.dataType == $1.dataType }, "\(g.name): inference")
    }
}

@Suite struct UtilityLayerNormTopKTests {
    @Test func layerNormHandComputed() throws {
        // Row [1, 3]: mean 2, var 1, σ = √(1 + 0) ⇒ Y = [-1, 1].
        let out = try OpTesting.run(
            "LayerNorm", [try Tensor(dims: [1, 2], values: [1, 3] as [Float])], outputs: 3,
            args: [Argument(name: "epsilon", float: 0)])
        #expect(try out[0].values(as: Float.self) == [-1, 1])
        #expect(try out[1].dims == [1, 1] && out[1].values(as: Float.self) == [2])
        #expect(try out[2].values(as: Float.self) == [1])
    }

    @Test func layerNormGradients() throws {
        let plain = OperatorDef(
            type: "LayerNorm", input: ["X"], output: ["Y", "mean", "sigma"], arg: [Argument(name: "axis", int: 1)])
        let meta = try OperatorRegistry.standard.gradient(for: plain, gOutput: [.dense("Y_grad"), nil, nil])
        #expect(meta.ops.map(\.type) == ["LayerNormGradient"])
        #expect(meta.ops[0].input == ["Y_grad", "Y", "mean", "sigma", "X"] && meta.ops[0].output == ["X_grad"])
        let checker = GradientChecker(stepSize: 1e-3, threshold: 5e-3)
        let x = randomTensor([2, 3, 2], in: -2...2, seed: 51)
        var r = try checker.checkOperator(plain, inputs: [x], inputIndex: 0)
        #expect(r.passed, "\(r)")
        let affine = OperatorDef(
            type: "LayerNorm", input: ["X", "g", "b"], output: ["Y", "mean", "sigma"],
            arg: [Argument(name: "axis", int: -1), Argument(name: "elementwise_affine", int: 1)])
        let inputs = [x, randomTensor([2], seed: 52), randomTensor([2], seed: 53)]
        for i in 0..<3 {
            r = try checker.checkOperator(affine, inputs: inputs, inputIndex: i)
            #expect(r.passed, "input \(i): \(r)")
        }
        OpTesting.expectError("needs its mean and stddev outputs", kind: .gradient) {
            _ = try OperatorRegistry.standard.gradient(
                for: OperatorDef(type: "LayerNorm", input: ["X"], output: ["Y"]), gOutput: [.dense("Y_grad")])
        }
        OpTesting.expectError("need 2 elements, one per column") {
            _ = try TestSupport.run(affine, [x, randomTensor([3]), randomTensor([2])])
        }
    }

    @Test func topKPadsAndGradient() throws {
        // k larger than the axis: zeros and index -1 fill the rest.
        let out = try OpTesting.run(
            "TopK", [Tensor([2, 9, 4] as [Float])], outputs: 3, args: [Argument(name: "k", int: 4)])
        #expect(try out[0].values(as: Float.self) == [9, 4, 2, 0])
        #expect(try out[1].values(as: Int64.self) == [1, 2, 0, -1])
        #expect(try out[2].values(as: Int64.self) == [1, 2, 0, -1])
        let flat = try OpTesting.run(
            "TopK", [try Tensor(dims: [2, 2], values: [1, 5, 7, 3] as [Float])], outputs: 3, args: [Argument(name: "k", int: 1)])
        #expect(try flat[2].values(as: Int64.self) == [1, 2])
        OpTesting.expectError("k argument must be >= 1") { _ = try OpTesting.run("TopK", [OpTesting.iota([3])], outputs: 2) }
        let op = OperatorDef(type: "TopK", input: ["X"], output: ["V", "I"], arg: [Argument(name: "k", int: 2)])
        let meta = try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("V_grad"), nil])
        #expect(meta.ops.map(\.type) == ["TopKGradient"] && meta.ops[0].input == ["V_grad", "I", "X"])
        // Distinct values so the selection does not change under the finite-difference step.
        let x = try Tensor(dims: [2, 4], values: [0.1, 0.9, -0.5, 0.4, 1.2, -1, 0.3, 0.7] as [Float])
        try OpTesting.checkGradients(op, [x], inputsToCheck: [0])
    }

    @Test func glowNets() throws {
        guard TestSupport.haveModels else { return }
        // layer_norm: axis 2, epsilon 0.05, one output; compare with the numpy case of the same configuration.
        let golden = try #require(try ShapeGolden.load("utility/goldens.json").first { $0.name.hasPrefix("LayerNorm (2, 3, 4) axis=2") })
        var ws = Workspace()
        ws.feedBlob("input", try golden.inputs[0].tensor())
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/layernorm_pred_net.pbtxt")))
        #expect(allClose(try ws.fetchBlob("result"), golden.outputs[0].values, atol: 2e-6, rtol: 2e-6))
        // topk_k2 over the last axis.
        ws = Workspace()
        ws.feedBlob("input", try Tensor(dims: [2, 3], values: [1, 3, 2, 6, 5, 4] as [Float]))
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/topk_k2.pbtxt")))
        #expect(try ws.fetchBlob("values").values(as: Float.self) == [3, 2, 6, 5])
        #expect(try ws.fetchBlob("indices").values(as: Int64.self) == [1, 2, 0, 1])
    }
}
