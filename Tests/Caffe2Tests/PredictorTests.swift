import Dispatch
import Testing

@testable import Caffe2

@Suite struct PredictorTests {
    /// init: W = [2, 4] (GivenTensorFill); predict: A = 1/X, B = 1/W; outputs A and B.
    private func model() -> (NetDef, NetDef) {
        let initNet = NetDef(
            name: "init",
            op: [
                OperatorDef(
                    type: "GivenTensorFill", output: ["W"],
                    arg: [Argument(name: "shape", ints: [2]), Argument(name: "values", floats: [2, 4])])
            ])
        var predict = NetDef(
            name: "predict",
            op: [
                OperatorDef(type: "Reciprocal", input: ["X"], output: ["A"]),
                OperatorDef(type: "Reciprocal", input: ["W"], output: ["B"]),
            ])
        predict.externalInput = ["W", "X"]
        predict.externalOutput = ["A", "B"]
        return (initNet, predict)
    }

    private func predictor() throws -> Predictor {
        let (initNet, predict) = model()
        return try Predictor(initNet: initNet, predictNet: predict)
    }

    @Test func runsByNameAndPositionally() throws {
        let p = try predictor()
        #expect(p.inputNames == ["X"] && p.outputNames == ["A", "B"])
        let positional = try p.run([Tensor([4] as [Float])])
        #expect(try positional[0].values(as: Float.self) == [0.25])
        let out = try p.run(["X": Tensor([8] as [Float])])
        #expect(try out["A"]!.values(as: Float.self) == [0.125])
        #expect(try out["B"]!.values(as: Float.self) == [0.5, 0.25])
        // Feeding a weight by name overrides it for that call only.
        let over = try p.run(["X": Tensor([1] as [Float]), "W": Tensor([10] as [Float])])
        #expect(try over["B"]!.values(as: Float.self) == [0.1])
        #expect(try p.run(["X": Tensor([1] as [Float])])["B"]!.values(as: Float.self) == [0.5, 0.25])
        #expect(throws: Caffe2Error.self) { try p.run(["nope": Tensor([1] as [Float])]) }
    }

    @Test func concurrentRunsGiveIndependentResults() throws {
        let p = try predictor()
        let results = UnsafeMutableBufferPointer<Float>.allocate(capacity: 64)
        defer { results.deallocate() }
        let box = UncheckedSendable(value: results)
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let out = try? p.run(["X": Tensor([Float(i + 1)])])
            box.value[i] = (try? out?["A"]?.values(as: Float.self).first) ?? -1
        }
        for i in 0..<64 { #expect(results[i] == 1 / Float(i + 1)) }
    }

    @Test func initNetFailureAndMissingInput() throws {
        let (_, predict) = model()
        let bad = NetDef(name: "init", op: [OperatorDef(type: "NoSuchFill", output: ["W"])])
        #expect(throws: Caffe2Error.self) { try Predictor(initNet: bad, predictNet: predict) }
        let p = try predictor()
        let e = try #require(throws: Caffe2Error.self) { try p.run([String: Tensor]()) }
        #expect(e.kind == .missingBlob && e.blob == "X")
        #expect(throws: Caffe2Error.self) { try p.run([Tensor([1] as [Float]), Tensor([1] as [Float])]) }
    }
}
