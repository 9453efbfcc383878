import Testing

@testable import Caffe2

@Suite struct LossGoldenTests {
    static let file = "losses/goldens.json"

    @Test func goldenFileCoversEveryLoss() throws {
        let cases = try OperatorGolden.load(Self.file)
        let ops = Set(cases.map(\.op))
        for op in [
            "SoftmaxWithLoss", "SoftmaxWithLossGradient", "LabelCrossEntropy", "LabelCrossEntropyGradient",
            "CrossEntropy", "CrossEntropyGradient", "AveragedLoss", "AveragedLossGradient", "SquaredL2Distance",
            "SquaredL2DistanceGradient", "DotProduct", "DotProductGradient", "Accuracy",
        ] {
            #expect(ops.contains(op), "no golden case for \(op)")
        }
        #expect(cases.contains { $0.name == "softmax_with_loss_weighted" })
        #expect(cases.contains { $0.name == "softmax_with_loss_spatial_axis3" })
    }

    @Test(arguments: OperatorGolden.cases(file))
    func matchesNumpy(_ golden: OperatorGolden) throws {
        try golden.check()
    }
}
