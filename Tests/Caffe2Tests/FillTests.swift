import Foundation
import Testing

@testable import Caffe2

/// Runs a filler with no inputs (or `inputs`) and returns its output.
private func fill(
    _ type: String, _ args: [Argument], inputs: [Tensor] = [], seed: UInt32? = nil
) throws -> Tensor {
    var op = OperatorDef(type: type, input: inputs.indices.map { "X\($0)" }, output: ["Y"], arg: args)
    if let seed { op.deviceOption = DeviceOption(randomSeed: seed) }
    return try TestSupport.run(op, inputs)[0]
}

private func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
private func std(_ v: [Double]) -> Double {
    let m = mean(v)
    return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
}

@Suite struct FillConstantTests {
    @Test func valuesTypesAndShapes() throws {
        var y = try fill("ConstantFill", [Argument(name: "shape", ints: [2, 3]), Argument(name: "value", float: 1.5)])
        #expect(y.dims == [2, 3] && y.dataType == .float)
        #expect(try y.values(as: Float.self) == Array(repeating: 1.5, count: 6))
        // No dtype: an integer `value` gives int64.
        y = try fill("ConstantFill", [Argument(name: "shape", ints: [2]), Argument(name: "value", int: 7)])
        #expect(try y.dataType == .int64 && y.values(as: Int64.self) == [7, 7])
        // No shape and no input: a 0-d tensor.
        y = try fill("ConstantFill", [])
        #expect(try y.dims == [] && y.values(as: Float.self) == [0])
        let cases: [(DataType, Argument, [Double])] = [
            (.int32, Argument(name: "value", int: -4), [-4, -4]),
            (.double, Argument(name: "value", float: 0.25), [0.25, 0.25]),
            (.bool, Argument(name: "value", int: 1), [1, 1]),
            (.int8, Argument(name: "value", int: -128), [-128, -128]),
            (.int16, Argument(name: "value", int: 300), [300, 300]),
            (.uint8, Argument(name: "value", int: 255), [255, 255]),
            (.uint16, Argument(name: "value", int: 65535), [65535, 65535]),
            (.int64, Argument(name: "value", int: 1 << 40), [Double(1 << 40), Double(1 << 40)]),
        ]
        for (t, v, want) in cases {
            let y = try fill(
                "ConstantFill", [Argument(name: "shape", ints: [2]), Argument(name: "dtype", int: Int(t.rawValue)), v])
            #expect(y.dataType == t && y.doubleValues() == want, "\(t)")
        }
        let s = try fill(
            "ConstantFill",
            [Argument(name: "shape", ints: [3]), Argument(name: "dtype", int: 4), Argument(name: "value", string: "hi")])
        #expect(s.dataType == .string && s.strings == ["hi", "hi", "hi"])
    }

    @Test func shapeFromInput() throws {
        let x = try Tensor(dims: [2, 3], dataType: .int32)
        var y = try fill("ConstantFill", [Argument(name: "value", float: 2), Argument(name: "extra_shape", ints: [4])], inputs: [x])
        #expect(y.dims == [2, 3, 4] && y.dataType == .float)
        y = try fill(
            "ConstantFill", [Argument(name: "input_as_shape", int: 1), Argument(name: "value", float: 1)],
            inputs: [Tensor([3, 1, 2] as [Int64])])
        #expect(y.dims == [3, 1, 2])
        // Input 1 overrides `value`.
        y = try fill("ConstantFill", [Argument(name: "dtype", int: 2)], inputs: [x, Tensor([9] as [Int32])])
        #expect(try y.values(as: Int32.self) == Array(repeating: 9, count: 6))
        // In place: the input's dims, the blob overwritten.
        let ws = Workspace()
        ws.feedBlob("A", OpTesting.iota([2, 2]))
        try ws.runOperatorOnce(
            OperatorDef(type: "ConstantFill", input: ["A"], output: ["A"], arg: [Argument(name: "value", float: -1)]))
        #expect(try ws.fetchBlob("A").values(as: Float.self) == [-1, -1, -1, -1])
    }

    @Test func errors() throws {
        let x = OpTesting.iota([2])
        OpTesting.expectError("Cannot set the shape argument and pass in an input at the same time") {
            _ = try fill("ConstantFill", [Argument(name: "shape", ints: [2])], inputs: [x])
        }
        OpTesting.expectError("Cannot set extra_shape when there is no input") {
            _ = try fill("ConstantFill", [Argument(name: "extra_shape", ints: [2])])
        }
        OpTesting.expectError("An input must be given if input_as_shape is true") {
            _ = try fill("ConstantFill", [Argument(name: "input_as_shape", int: 1)])
        }
        OpTesting.expectError("Fill 'shape' argument was a scalar, list expected") {
            _ = try fill("ConstantFill", [Argument(name: "shape", int: 3)])
        }
        OpTesting.expectError("When input_as_shape is true, the input must be a 1D tensor of data type int64_t") {
            _ = try fill("ConstantFill", [Argument(name: "input_as_shape", int: 1)], inputs: [Tensor([2, 2] as [Int32])])
        }
        OpTesting.expectError("does not have the right field") {
            _ = try fill("ConstantFill", [Argument(name: "dtype", int: 2), Argument(name: "value", float: 1.5)])
        }
        OpTesting.expectError("Argument 'value' is of unexpected type") {
            _ = try fill("ConstantFill", [Argument(name: "value", string: "x")])
        }
        OpTesting.expectError("cannot have undefined 'dtype' argument") {
            _ = try fill("ConstantFill", [Argument(name: "dtype", int: 0)])
        }
        OpTesting.expectError("Unexpected 'dtype' argument value: 12") {
            _ = try fill("ConstantFill", [Argument(name: "dtype", int: 12)])
        }
        OpTesting.expectError("constant fill string from tensor is not supported") {
            _ = try fill("ConstantFill", [Argument(name: "dtype", int: 4)], inputs: [x, x])
        }
        OpTesting.expectError("value vector must have 1 element") {
            _ = try fill("ConstantFill", [], inputs: [x, OpTesting.iota([2])])
        }
        OpTesting.expectError("cannot be represented correctly") {
            _ = try fill("ConstantFill", [Argument(name: "dtype", int: 6), Argument(name: "value", int: 256)])
        }
    }

    @Test func inferenceAndNoGradient() throws {
        let op = OperatorDef(
            type: "ConstantFill", output: ["Y"], arg: [Argument(name: "shape", ints: [4, 5]), Argument(name: "value", int: 2)])
        let s = try OpTesting.infer(op, [])
        #expect(s[0].dims == [4, 5] && s[0].dataType == .int64)
        let withInput = OperatorDef(
            type: "ConstantFill", input: ["X"], output: ["Y"],
            arg: [Argument(name: "extra_shape", ints: [2]), Argument(name: "dtype", int: 13)])
        let t = try OpTesting.infer(withInput, [TensorShape(dims: [3])])
        #expect(t[0].dims == [3, 2] && t[0].dataType == .double)
        let asShape = OperatorDef(
            type: "ConstantFill", input: ["X"], output: ["Y"], arg: [Argument(name: "input_as_shape", int: 1)])
        #expect(try OpTesting.infer(asShape, [TensorShape(dims: [3], dataType: .int64)])[0].unknownShape)
        let meta = try OperatorRegistry.standard.gradient(for: withInput, gOutput: [.dense("Y_grad")])
        #expect(meta.ops.isEmpty && meta.gInput == [nil])
    }

    @Test func glowConstantFillUsesTheProvidedShape() throws {
        guard TestSupport.haveModels else { return }
        let ws = Workspace()
        try ws.runNetOnce(
            try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/constant_fill_use_provided_shape.pbtxt")))
        let y = try ws.fetchBlob("result")
        #expect(y.dims == [7, 11, 13, 17] && y.dataType == .float)
        #expect(try y.values(as: Float.self).allSatisfy { $0 == 3 })
    }
}

@Suite struct FillGivenTensorTests {
    @Test func everyVariant() throws {
        var y = try fill(
            "GivenTensorFill", [Argument(name: "shape", ints: [2, 2]), Argument(name: "values", floats: [0, 1, 2, 3])])
        #expect(try y.dims == [2, 2] && y.values(as: Float.self) == [0, 1, 2, 3])
        y = try fill("GivenTensorDoubleFill", [Argument(name: "shape", ints: [2]), Argument(name: "values", floats: [0.5, -2])])
        #expect(try y.values(as: Double.self) == [0.5, -2])
        y = try fill("GivenTensorIntFill", [Argument(name: "shape", ints: [3]), Argument(name: "values", ints: [1, -2, 3])])
        #expect(try y.values(as: Int32.self) == [1, -2, 3])
        y = try fill("GivenTensorInt64Fill", [Argument(name: "shape", ints: [2]), Argument(name: "values", ints: [1 << 40, -1])])
        #expect(try y.values(as: Int64.self) == [1 << 40, -1])
        y = try fill("GivenTensorInt16Fill", [Argument(name: "shape", ints: [2]), Argument(name: "values", ints: [-300, 7])])
        #expect(try y.values(as: Int16.self) == [-300, 7])
        y = try fill("GivenTensorBoolFill", [Argument(name: "shape", ints: [3]), Argument(name: "values", ints: [0, 2, 1])])
        #expect(try y.values(as: Bool.self) == [false, true, true])
        y = try fill("GivenTensorStringFill", [Argument(name: "shape", ints: [2]), Argument(name: "values", strings: ["a", "bc"])])
        #expect(y.strings == ["a", "bc"])
        y = try fill(
            "GivenTensorByteStringToUInt8Fill",
            [Argument(name: "shape", ints: [2, 2]), Argument(name: "values", strings: ["\u{1}\u{2}\u{3}\u{4}"])])
        #expect(try y.dataType == .uint8 && y.values(as: UInt8.self) == [1, 2, 3, 4])
        // No shape: 0-d, exactly one value.
        y = try fill("GivenTensorFill", [Argument(name: "values", floats: [4])])
        #expect(try y.dims == [] && y.values(as: Float.self) == [4])
    }

    @Test func dtypeArgument() throws {
        var y = try fill(
            "GivenTensorFill",
            [Argument(name: "shape", ints: [2]), Argument(name: "dtype", int: 10), Argument(name: "values", ints: [5, 6])])
        #expect(try y.values(as: Int64.self) == [5, 6])
        y = try fill(
            "GivenTensorFill",
            [Argument(name: "shape", ints: [2]), Argument(name: "dtype", string: "double"), Argument(name: "values", floats: [1, 2])])
        #expect(try y.values(as: Double.self) == [1, 2])
        y = try fill(
            "GivenTensorFill",
            [Argument(name: "shape", ints: [1]), Argument(name: "dtype", int: 4), Argument(name: "values", strings: ["s"])])
        #expect(y.strings == ["s"])
        OpTesting.expectError("Unexpected 'dtype' argument value: 6") {
            _ = try fill("GivenTensorFill", [Argument(name: "dtype", int: 6), Argument(name: "values", ints: [1])])
        }
        OpTesting.expectError("Unknown 'dtype' argument: WIDE") {
            _ = try fill("GivenTensorFill", [Argument(name: "dtype", string: "wide"), Argument(name: "values", ints: [1])])
        }
    }

    @Test func countMustMatch() throws {
        OpTesting.expectError("shape [2, 2] has 4 elements but 'values' holds 3", kind: .shape) {
            _ = try fill("GivenTensorFill", [Argument(name: "shape", ints: [2, 2]), Argument(name: "values", floats: [1, 2, 3])])
        }
        OpTesting.expectError("has 1 elements but 'values' holds 2") {
            _ = try fill("GivenTensorFill", [Argument(name: "values", floats: [1, 2])])
        }
        OpTesting.expectError("has 6 elements but 'values' holds 2") {
            _ = try fill("GivenTensorFill", [Argument(name: "values", floats: [1, 2])], inputs: [OpTesting.iota([2, 3])])
        }
        OpTesting.expectError("cannot be represented correctly") {
            _ = try fill("GivenTensorIntFill", [Argument(name: "shape", ints: [1]), Argument(name: "values", ints: [1 << 40])])
        }
        OpTesting.expectError("Argument 'values' is required", kind: .schema) {
            _ = try fill("GivenTensorFill", [Argument(name: "shape", ints: [1])])
        }
    }

    @Test func runsReuseTheConvertedValues() throws {
        let ws = Workspace()
        let op = OperatorDef(
            type: "GivenTensorFill", output: ["W"], arg: [Argument(name: "shape", ints: [3]), Argument(name: "values", floats: [1, 2, 3])])
        let net = try ws.createNet(NetDef(name: "init", op: [op]))
        try net.run()
        let first = try ws.fetchBlob("W")
        try net.run()
        #expect(try ws.fetchBlob("W").sharesStorage(with: first))
        // A later in-place op on W does not change what the filler hands out.
        try ws.runOperatorOnce(OperatorDef(type: "Reciprocal", input: ["W"], output: ["W"]))
        try net.run()
        #expect(try ws.fetchBlob("W").values(as: Float.self) == [1, 2, 3])
    }

    @Test func inference() throws {
        let op = OperatorDef(
            type: "GivenTensorFill", output: ["Y"],
            arg: [Argument(name: "shape", ints: [2, 3]), Argument(name: "dtype", string: "INT32"), Argument(name: "values", ints: [1, 2, 3, 4, 5, 6])])
        let s = try OpTesting.infer(op, [])
        #expect(s[0].dims == [2, 3] && s[0].dataType == .int32)
        let b = OperatorDef(type: "GivenTensorByteStringToUInt8Fill", output: ["Y"], arg: [Argument(name: "shape", ints: [4])])
        #expect(try OpTesting.infer(b, [])[0].dataType == .uint8)
    }

    @Test func glowFillTestInitNet() throws {
        guard TestSupport.haveModels else { return }
        let ws = Workspace()
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/fill_test_init_net.pbtxt")))
        let f = try ws.fetchBlob("tensor_fill_float")
        let i = try ws.fetchBlob("tensor_int_fill")
        let l = try ws.fetchBlob("tensor_int64_fill")
        let u = try ws.fetchBlob("tensor_string_to_uint8_fill")
        for t in [f, i, l, u] { #expect(t.dims == [2, 2]) }
        #expect(try f.values(as: Float.self) == [0, 1, 2, 3])
        #expect(try i.values(as: Int32.self) == [0, 1, 2, 3])
        #expect(try l.values(as: Int64.self) == [0, 1, 2, 3])
        #expect(try u.values(as: UInt8.self) == [128, 129, 130, 131])
    }

    @Test(arguments: [
        "lenet-mnist-onnx/init_net.pb", "squeezenet-v1.0-trafficlight/init_net.pb", "mtcnn-pnet/init_net.pb",
        "superres-onnx/init_net.pb", "style-transfer-crayon/crayon_init.pb",
    ])
    func realInitNetsRun(_ path: String) throws {
        guard TestSupport.haveModels else { return }
        let net = try NetDef(contentsOfFile: TestSupport.model(path))
        let ws = Workspace()
        try ws.runNetOnce(net)
        for op in net.op {
            let t = try ws.fetchBlob(op.output[0])
            if let shape = op.argument(named: "shape")?.ints {
                #expect(t.dims == shape, "\(op.output[0])")
            }
            if op.type == "GivenTensorFill", let values = op.argument(named: "values")?.floats {
                #expect(try t.values(as: Float.self) == values, "\(op.output[0])")
            }
        }
    }
}

@Suite struct FillRandomTests {
    @Test func uniformBoundsStatisticsAndSeeds() throws {
        let args = [Argument(name: "shape", ints: [100, 200]), Argument(name: "min", float: -2), Argument(name: "max", float: 6)]
        let a = try fill("UniformFill", args, seed: 7)
        let v = a.doubleValues()
        #expect(a.dims == [100, 200] && a.dataType == .float)
        #expect(v.allSatisfy { $0 >= -2 && $0 <= 6 })
        #expect(abs(mean(v) - 2) < 0.05)
        #expect(abs(std(v) - 8 / 12.0.squareRoot()) < 0.05)
        // Reproducible with a seed, different without the same one.
        #expect(try fill("UniformFill", args, seed: 7) == a)
        #expect(try fill("UniformFill", args, seed: 8) != a)
        // Successive runs of one op continue the stream.
        let ws = Workspace()
        var op = OperatorDef(type: "UniformFill", output: ["U"], arg: args)
        op.deviceOption = DeviceOption(randomSeed: 7)
        let net = try ws.createNet(NetDef(name: "u", op: [op]))
        try net.run()
        #expect(try ws.fetchBlob("U") == a)
        try net.run()
        #expect(try ws.fetchBlob("U") != a)
        // The net's device option seeds its ops.
        var seededNet = NetDef(name: "s", op: [OperatorDef(type: "UniformFill", output: ["U"], arg: args)])
        seededNet.deviceOption = DeviceOption(randomSeed: 7)
        let ws2 = Workspace()
        try ws2.runNetOnce(seededNet)
        #expect(try ws2.fetchBlob("U") == a)
    }

    @Test func uniformFromInputs() throws {
        let y = try fill(
            "UniformFill", [], inputs: [try Tensor(dims: [3, 4], dataType: .float), Tensor([5] as [Float]), Tensor([5.5] as [Float])])
        #expect(y.dims == [3, 4] && y.doubleValues().allSatisfy { $0 >= 5 && $0 <= 5.5 })
        let empty = try fill(
            "UniformFill", [], inputs: [try Tensor(dims: [3, 4], dataType: .float), Tensor([2] as [Float]), Tensor([1] as [Float])])
        #expect(empty.dims == [0, 4])
        OpTesting.expectError("Cannot set both min arg and min input blob") {
            _ = try fill(
                "UniformFill", [Argument(name: "min", float: 0)],
                inputs: [OpTesting.iota([2]), Tensor([0] as [Float]), Tensor([1] as [Float])])
        }
        OpTesting.expectError("min blob must be scalar") {
            _ = try fill("UniformFill", [], inputs: [OpTesting.iota([2]), OpTesting.iota([2]), Tensor([1] as [Float])])
        }
        OpTesting.expectError("Max value should be bigger than min value") {
            _ = try fill("UniformFill", [Argument(name: "min", float: 1), Argument(name: "max", float: 1)])
        }
        OpTesting.expectError("not in allowed input sizes", kind: .schema) {
            _ = try fill("UniformFill", [], inputs: [OpTesting.iota([2]), OpTesting.iota([1])])
        }
    }

    @Test func uniformIntCoversTheClosedRange() throws {
        let y = try fill(
            "UniformIntFill", [Argument(name: "shape", ints: [2000]), Argument(name: "min", int: -3), Argument(name: "max", int: 4)],
            seed: 3)
        let v = try y.values(as: Int32.self)
        #expect(y.dataType == .int32)
        #expect(Set(v) == Set(-3...4))
        #expect(abs(mean(v.map(Double.init)) - 0.5) < 0.25)
    }

    @Test func gaussianStatistics() throws {
        let y = try fill(
            "GaussianFill", [Argument(name: "shape", ints: [20000]), Argument(name: "mean", float: 3), Argument(name: "std", float: 0.5)],
            seed: 11)
        let v = y.doubleValues()
        #expect(abs(mean(v) - 3) < 0.02)
        #expect(abs(std(v) - 0.5) < 0.02)
        #expect(try fill("GaussianFill", [Argument(name: "shape", ints: [5])], seed: 1) == (try fill("GaussianFill", [Argument(name: "shape", ints: [5])], seed: 1)))
        OpTesting.expectError("Standard deviation should be nonnegative") {
            _ = try fill("GaussianFill", [Argument(name: "std", float: -1)])
        }
    }

    @Test func xavierAndMSRAScales() throws {
        // fan_in = 64·3·3 = 576 ⇒ s = √(3/576) = 0.0722; uniform std = s/√3.
        let x = try fill("XavierFill", [Argument(name: "shape", ints: [32, 64, 3, 3])], seed: 2)
        let s = (3.0 / 576).squareRoot()
        #expect(x.doubleValues().allSatisfy { abs($0) <= s + 1e-7 })
        #expect(abs(std(x.doubleValues()) - s / 3.0.squareRoot()) < 0.003)
        // fan_out = numel / dims[1] = 32·3·3 = 288 ⇒ σ = √(2/288).
        let m = try fill("MSRAFill", [Argument(name: "shape", ints: [32, 64, 3, 3])], seed: 2)
        #expect(abs(std(m.doubleValues()) - (2.0 / 288).squareRoot()) < 0.003)
        #expect(abs(mean(m.doubleValues())) < 0.003)
        OpTesting.expectError("XavierFill needs an output of rank ≥ 1") { _ = try fill("XavierFill", []) }
        OpTesting.expectError("MSRAFill needs an output of rank ≥ 2") {
            _ = try fill("MSRAFill", [Argument(name: "shape", ints: [4])])
        }
        #expect(try fill("XavierFill", [Argument(name: "shape", ints: [0, 3])]).dims == [0, 3])
    }

    @Test func randomFillersHaveNoGradient() throws {
        for type in ["UniformFill", "UniformIntFill", "GaussianFill", "XavierFill", "MSRAFill"] {
            let op = OperatorDef(type: type, input: ["X"], output: ["Y"])
            let meta = try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("Y_grad")])
            #expect(meta.ops.isEmpty && meta.gInput == [nil], "\(type)")
        }
    }
}
