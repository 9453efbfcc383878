import Testing
@testable import Caffe2

@Suite struct ReciprocalTests {
    @Test func forwardValuesAndIEEE() throws {
        let ws = Workspace()
        ws.feedBlob("X", Tensor([2, 4, 0, -0.0, .nan, -8, .infinity] as [Float]))
        try ws.runOperatorOnce(OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"]))
        let y = try ws.fetchBlob("Y").values(as: Float.self)
        #expect(y[0] == 0.5 && y[1] == 0.25)
        #expect(y[2] == .infinity && y[3] == -.infinity)
        #expect(y[4].isNaN)
        #expect(y[5] == -0.125)
        #expect(y[6] == 0 && y[6].sign == .plus)
    }

    @Test func inPlaceWritesSameStorageAndNeverTheCallersCopy() throws {
        let ws = Workspace()
        let fed = Tensor([1, 2, 4] as [Float])
        ws.feedBlob("X", fed)
        try ws.runOperatorOnce(OperatorDef(type: "Reciprocal", input: ["X"], output: ["X"]))
        // The caller still holds `fed`, so the op must not write into it.
        #expect(try fed.values(as: Float.self) == [1, 2, 4])
        let first = try ws.fetchBlob("X")
        #expect(try first.values(as: Float.self) == [1, 0.5, 0.25])
        let address = first.storageAddress
        _ = consume first
        // Now the blob's storage is unshared: the next in-place run reuses it.
        try ws.runOperatorOnce(OperatorDef(type: "Reciprocal", input: ["X"], output: ["X"]))
        let second = try ws.fetchBlob("X")
        #expect(second.storageAddress == address)
        #expect(try second.values(as: Float.self) == [1, 2, 4])
    }
}

@Suite struct ReciprocalGradientCheck {
    @Test func finiteDifferences() throws {
        let op = OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"])
        let r = try GradientChecker(stepSize: 1e-3, threshold: 1e-2)
            .checkOperator(op, inputs: [Tensor([0.5, 1, 2, -3] as [Float])], inputIndex: 0)
        #expect(r.passed, "\(r)")
    }
}

@Suite struct ReciprocalMoreTests {
    @Test func doubleAndShapes() throws {
        let x = try Tensor(dims: [2, 2], values: [1, 2, 4, -8] as [Double])
        let y = try TestSupport.run("Reciprocal", [x])[0]
        #expect(y.dims == [2, 2] && y.dataType == .double)
        #expect(try y.values(as: Double.self) == [1, 0.5, 0.25, -0.125])
        let empty = try TestSupport.run("Reciprocal", [try Tensor(dims: [0, 3], dataType: .float)])[0]
        #expect(empty.dims == [0, 3] && empty.count == 0)
        let scalar = try TestSupport.run("Reciprocal", [Tensor(scalar: Float(4))])[0]
        #expect(try scalar.dims == [] && scalar.values(as: Float.self) == [0.25])
    }

    @Test func gradientValuesAndInPlace() throws {
        // dX = -dY * Y^2 with Y = [0.5, -2], dY = [4, 1] -> [-1, -4]
        let y = Tensor([0.5, -2] as [Float]), dy = Tensor([4, 1] as [Float])
        let dx = try TestSupport.run("ReciprocalGradient", [y, dy])[0]
        #expect(try dx.values(as: Float.self) == [-1, -4])
        let ws = Workspace()
        ws.feedBlob("Y", y)
        ws.feedBlob("dY", try Tensor(dims: [2], values: [4, 1] as [Float]))
        try ws.runOperatorOnce(OperatorDef(type: "ReciprocalGradient", input: ["Y", "dY"], output: ["dY"]))
        #expect(try ws.fetchBlob("dY").values(as: Float.self) == [-1, -4])
    }

    @Test func largeInputsSplitAcrossThreadsGiveTheSameBits() throws {
        let n = 1 << 20
        let values = (0..<n).map { Float($0 % 977) - 488.5 }
        let x = try Tensor(dims: [n], values: values)
        let y = try TestSupport.run("Reciprocal", [x])[0].values(as: Float.self)
        for i in stride(from: 0, to: n, by: 4099) { #expect(y[i] == 1 / values[i]) }
        #expect(y[n - 1] == 1 / values[n - 1])
    }

    @Test func schemaIsCaffe2s() throws {
        let s = try #require(OperatorRegistry.standard.schema("Reciprocal"))
        #expect(s.minInputs == 1 && s.maxInputs == 1 && s.minOutputs == 1 && s.maxOutputs == 1)
        #expect(s.allowedInplace.explicitPairs.map { [$0.0, $0.1] } == [[0, 0]])
        #expect(s.inferenceSummary == "IdenticalTypeAndShape")
        let g = try #require(OperatorRegistry.standard.schema("ReciprocalGradient"))
        #expect(g.minInputs == 2 && g.maxInputs == 2 && g.allowedInplace.explicitPairs.map { [$0.0, $0.1] } == [[1, 0]])
        // The gradient maker: ReciprocalGradient(Y, Y_grad) -> X_grad, is_gradient_op set.
        let meta = try OperatorRegistry.standard.gradient(
            for: OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"]), gOutput: [.dense("Y_grad")])
        #expect(meta.ops.count == 1)
        #expect(meta.ops[0].type == "ReciprocalGradient" && meta.ops[0].input == ["Y", "Y_grad"])
        #expect(meta.ops[0].output == ["X_grad"] && meta.ops[0].$isGradientOp == true)
        #expect(meta.gInput == [.dense("X_grad")])
    }
}
