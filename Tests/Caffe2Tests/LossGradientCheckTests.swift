import Testing

@testable import Caffe2

/// Finite-difference checks (the public GradientChecker) of every loss
/// gradient. Integer labels get no gradient, so only float inputs are checked.
@Suite struct LossGradientCheckTests {
    let checker = GradientChecker(stepSize: 2e-3, threshold: 1e-2)

    func check(
        _ op: OperatorDef, _ inputs: [Tensor], input: Int = 0, outputs: [Int] = [0],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let r = try checker.checkOperator(op, inputs: inputs, inputIndex: input, outputsWithGradient: outputs)
        #expect(r.passed, "\(op.type) input \(input): \(r)", sourceLocation: sourceLocation)
        #expect(r.analytic.contains { $0 != 0 }, "\(op.type): gradient is all zero", sourceLocation: sourceLocation)
    }

    static let logits = randomTensor([4, 5], in: -2...2, seed: 31)
    static let labels = Tensor([0, 3, 4, 1] as [Int32])

    @Test func softmaxWithLoss() throws {
        let op = OperatorDef(type: "SoftmaxWithLoss", input: ["X", "T"], output: ["P", "L"])
        try check(op, [Self.logits, Self.labels], outputs: [1])
    }

    @Test func softmaxWithLossWeightedScaled() throws {
        let op = OperatorDef(
            type: "SoftmaxWithLoss", input: ["X", "T", "W"], output: ["P", "L"],
            arg: [Argument(name: "scale", float: 3)])
        let w = Tensor([0.5, 2, 1, 0.25] as [Float])
        try check(op, [Self.logits, Self.labels, w], outputs: [1])
    }

    @Test func softmaxWithLossAverageByBatchSize() throws {
        let op = OperatorDef(
            type: "SoftmaxWithLoss", input: ["X", "T", "W"], output: ["P", "L"],
            arg: [Argument(name: "average_by_batch_size", int: 1)])
        let w = Tensor([0.5, 2, 1, 0.25] as [Float])
        try check(op, [Self.logits, Self.labels, w], outputs: [1])
    }

    @Test func softmaxWithLossProbabilityLabels() throws {
        let op = OperatorDef(
            type: "SoftmaxWithLoss", input: ["X", "T"], output: ["P", "L"],
            arg: [Argument(name: "label_prob", int: 1)])
        let t = try Tensor(
            dims: [4, 5],
            values: [
                0.2, 0.2, 0.2, 0.2, 0.2, 1, 0, 0, 0, 0, 0.5, 0.25, 0.125, 0.125, 0, 0, 0, 0.75, 0, 0.25,
            ] as [Float])
        try check(op, [Self.logits, t], outputs: [1])
    }

    @Test func softmaxWithLossSpatial() throws {
        // Per-pixel classes: X [B, H, W, C] at axis 3, labels [B, H, W].
        let op = OperatorDef(
            type: "SoftmaxWithLoss", input: ["X", "T"], output: ["P", "L"], arg: [Argument(name: "axis", int: 3)])
        let x = randomTensor([2, 2, 2, 3], in: -2...2, seed: 32)
        let t = try Tensor(dims: [2, 2, 2], values: [0, 1, 2, 0, 2, 2, 1, 0] as [Int32])
        try check(op, [x, t], outputs: [1])
    }

    @Test func labelCrossEntropy() throws {
        let op = OperatorDef(type: "LabelCrossEntropy", input: ["X", "label"], output: ["Y"])
        let x = randomTensor([4, 5], in: 0.2...0.9, seed: 33)
        try check(op, [x, Self.labels])
    }

    @Test func crossEntropy() throws {
        let op = OperatorDef(type: "CrossEntropy", input: ["X", "label"], output: ["Y"])
        let x = randomTensor([3, 4], in: 0.2...0.9, seed: 34)
        let label = try Tensor(dims: [3, 4], values: [0.1, 0.2, 0.3, 0.4, 1, 0, 0, 0, 0.25, 0.25, 0.5, 0] as [Float])
        try check(op, [x, label])
    }

    @Test func averagedLoss() throws {
        let op = OperatorDef(type: "AveragedLoss", input: ["X"], output: ["L"])
        try check(op, [randomTensor([3, 4], seed: 35)])
    }

    @Test(arguments: [0, 1])
    func squaredL2Distance(_ input: Int) throws {
        let op = OperatorDef(type: "SquaredL2Distance", input: ["X", "Y"], output: ["Z"])
        try check(op, [randomTensor([3, 4], seed: 36), randomTensor([3, 4], seed: 37)], input: input)
    }

    @Test(arguments: [0, 1])
    func dotProduct(_ input: Int) throws {
        let op = OperatorDef(type: "DotProduct", input: ["X", "Y"], output: ["Z"])
        try check(op, [randomTensor([3, 4], seed: 38), randomTensor([3, 4], seed: 39)], input: input)
    }
}
