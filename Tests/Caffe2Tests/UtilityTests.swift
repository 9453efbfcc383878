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
