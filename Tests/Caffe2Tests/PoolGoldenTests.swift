import Testing

@testable import Caffe2

@Suite struct PoolGoldenTests {
    static let file = "pool/goldens.json"

    @Test func goldenFileCoversEveryVariant() throws {
        let cases = try LayerGolden.load(Self.file)
        for op in [
            "MaxPool", "MaxPoolGradient", "AveragePool", "AveragePoolGradient", "MaxPool1D", "MaxPool3D",
            "AveragePool1D", "AveragePool3D", "MaxPool2D", "AveragePool2D",
        ] {
            #expect(cases.contains { $0.op == op }, "no golden case for \(op)")
        }
        let argNames = Set(cases.flatMap { $0.args.map(\.name) })
        for a in ["kernel", "kernels", "kernel_h", "stride", "strides", "pad", "pads", "pad_t", "legacy_pad",
            "global_pooling", "count_include_pad", "order"]
        {
            #expect(argNames.contains(a), "no golden case uses \(a)")
        }
    }

    @Test(arguments: LayerGolden.cases(file))
    func matchesNumpy(_ golden: LayerGolden) throws {
        try golden.check()
    }
}
