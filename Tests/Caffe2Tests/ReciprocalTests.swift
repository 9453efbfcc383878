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
