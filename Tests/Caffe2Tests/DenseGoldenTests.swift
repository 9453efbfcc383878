import Testing

@testable import Caffe2

@Suite struct DenseGoldenTests {
    static let file = "dense/goldens.json"

    @Test func goldenFileCoversEveryVariant() throws {
        let cases = try LayerGolden.load(Self.file)
        for op in ["FC", "FCGradient", "FCTransposed", "FCTransposedGradient", "MatMul", "BatchMatMul"] {
            #expect(cases.contains { $0.op == op }, "no golden case for \(op)")
        }
        let argNames = Set(cases.flatMap { $0.args.map(\.name) })
        for a in ["axis", "axis_w", "trans_a", "trans_b", "axis_a", "axis_b", "broadcast"] {
            #expect(argNames.contains(a), "no golden case uses \(a)")
        }
    }

    @Test(arguments: LayerGolden.cases(file))
    func matchesNumpy(_ golden: LayerGolden) throws {
        try golden.check()
    }
}
