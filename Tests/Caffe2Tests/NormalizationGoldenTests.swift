import Testing

@testable import Caffe2

@Suite struct NormalizationGoldenTests {
    static let file = "normalization/goldens.json"

    @Test func goldenFileCoversEveryVariant() throws {
        let cases = try LayerGolden.load(Self.file)
        for op in ["LRN", "LRNGradient", "SpatialBN", "SpatialBNGradient"] {
            #expect(cases.contains { $0.op == op }, "no golden case for \(op)")
        }
        #expect(cases.contains { $0.op == "SpatialBN" && $0.outputs.count == 5 })
        #expect(cases.contains { $0.op == "LRN" && $0.outputs.count == 2 })
        #expect(cases.contains { $0.args.contains { $0.name == "num_batches" } })
    }

    @Test(arguments: LayerGolden.cases(file))
    func matchesNumpy(_ golden: LayerGolden) throws {
        try golden.check()
    }
}
