import Testing

@testable import Caffe2

/// Finite-difference checks (the public GradientChecker) of every activation,
/// Softmax and Dropout gradient, on random inputs kept away from kinks.
@Suite struct ActivationGradientCheckTests {
    let checker = GradientChecker(stepSize: 2e-3, threshold: 1e-2)

    /// Random values with `|x| >= margin`, so a finite step never crosses 0.
    static func awayFromZero(_ dims: [Int], margin: Float = 0.1, seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        let n = dims.reduce(1, *)
        let values = (0..<n).map { _ -> Float in
            let magnitude = Float.random(in: margin...2, using: &g)
            return Bool.random(using: &g) ? magnitude : -magnitude
        }
        return try! Tensor(dims: dims, values: values)
    }

    func check(
        _ op: OperatorDef, _ inputs: [Tensor], input: Int = 0, outputs: [Int] = [0],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let r = try checker.checkOperator(op, inputs: inputs, inputIndex: input, outputsWithGradient: outputs)
        #expect(r.passed, "\(op.type): \(r)", sourceLocation: sourceLocation)
        #expect(r.analytic.contains { $0 != 0 }, "\(op.type): gradient is all zero", sourceLocation: sourceLocation)
    }

    @Test(arguments: ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus", "Elu"])
    func unaryActivation(_ type: String) throws {
        let args = type == "LeakyRelu" ? [Argument(name: "alpha", float: 0.2)] : []
        let op = OperatorDef(type: type, input: ["X"], output: ["Y"], arg: args)
        try check(op, [Self.awayFromZero([3, 4], seed: 21)])
    }

    @Test func eluWithAlpha() throws {
        let op = OperatorDef(type: "Elu", input: ["X"], output: ["Y"], arg: [Argument(name: "alpha", float: 0.7)])
        try check(op, [Self.awayFromZero([2, 5], seed: 22)])
    }

    @Test(arguments: ["NCHW", "NHWC"])
    func preluPerChannel(_ order: String) throws {
        let op = OperatorDef(
            type: "PRelu", input: ["X", "Slope"], output: ["Y"], arg: [Argument(name: "order", string: order)])
        let x = Self.awayFromZero([2, 3, 2, 3], seed: 23)
        let slope = Tensor([0.2, -0.4, 0.7] as [Float])
        try check(op, [x, slope], input: 0)
        try check(op, [x, slope], input: 1)
    }

    @Test func preluShared() throws {
        let op = OperatorDef(type: "PRelu", input: ["X", "Slope"], output: ["Y"])
        let x = Self.awayFromZero([2, 3, 2, 2], seed: 24)
        let slope = Tensor([0.3] as [Float])
        try check(op, [x, slope], input: 0)
        try check(op, [x, slope], input: 1)
    }

    @Test(arguments: [1, 2, -1])
    func softmax(_ axis: Int) throws {
        let op = OperatorDef(type: "Softmax", input: ["X"], output: ["Y"], arg: [Argument(name: "axis", int: axis)])
        try check(op, [randomTensor([2, 3, 2, 2], in: -2...2, seed: 25)])
    }

    @Test func dropoutTestMode() throws {
        let op = OperatorDef(
            type: "Dropout", input: ["X"], output: ["Y"], arg: [Argument(name: "is_test", int: 1)])
        try check(op, [randomTensor([3, 4], seed: 26)])
    }

    @Test func dropoutTrainingModeWithSeed() throws {
        // A fixed random_seed gives every fresh operator the same mask, so finite differences see the same function.
        let op = OperatorDef(
            type: "Dropout", input: ["X"], output: ["Y", "mask"],
            arg: [Argument(name: "ratio", float: 0.4), Argument(name: "is_test", int: 0)],
            deviceOption: DeviceOption(randomSeed: 17))
        try check(op, [randomTensor([4, 5], seed: 27)])
    }
}
