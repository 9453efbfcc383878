import Testing

@testable import Caffe2

@Suite struct ConvPoolArgsTests {
    func parse(_ args: [Argument], type: String = "Conv") throws -> ConvPoolArgs {
        try ConvPoolArgs(try Arguments(args), opType: type)
    }

    @Test func scalarSpellings() throws {
        let a = try parse([
            Argument(name: "kernel", int: 3), Argument(name: "stride", int: 2), Argument(name: "pad", int: 1),
            Argument(name: "dilation", int: 2), Argument(name: "group", int: 4), Argument(name: "order", string: "NHWC"),
        ])
        #expect(a.kernel == [3, 3])
        #expect(a.stride == [2, 2])
        #expect(a.pads == [1, 1, 1, 1])
        #expect(a.dilation == [2, 2])
        #expect(a.group == 4)
        #expect(a.order == .nhwc)
        #expect(a.legacyPad == .notSet)
    }

    @Test func perDimSpellings() throws {
        let a = try parse([
            Argument(name: "kernel_h", int: 3), Argument(name: "kernel_w", int: 5), Argument(name: "stride_h", int: 1),
            Argument(name: "stride_w", int: 2), Argument(name: "pad_t", int: 0), Argument(name: "pad_l", int: 1),
            Argument(name: "pad_b", int: 2), Argument(name: "pad_r", int: 3), Argument(name: "dilation_h", int: 2),
            Argument(name: "dilation_w", int: 1),
        ])
        #expect(a.kernel == [3, 5])
        #expect(a.stride == [1, 2])
        #expect(a.pads == [0, 1, 2, 3])
        #expect(a.dilation == [2, 1])
    }

    @Test func listSpellingsAndDefaults() throws {
        let a = try parse([Argument(name: "kernels", ints: [2, 3, 4]), Argument(name: "pads", ints: [1, 0, 2, 0, 1, 1])])
        #expect(a.kernel == [2, 3, 4])
        #expect(a.stride == [1, 1, 1])
        #expect(a.dilation == [1, 1, 1])
        #expect(a.pads == [1, 0, 2, 0, 1, 1])
        #expect(a.order == .nchw)
    }

    /// A half-given `_h/_w` pair is ignored, as in Caffe2 (then the kernel is missing).
    @Test func halfPairIsIgnored() throws {
        #expect(throws: Caffe2Error.self) { try parse([Argument(name: "kernel_h", int: 3)]) }
        let a = try parse([Argument(name: "kernel", int: 3), Argument(name: "pad_t", int: 1)])
        #expect(a.pads == [0, 0, 0, 0])
    }

    @Test func outputSizeNotSet() throws {
        // (in + pad_head + pad_tail − (dilation·(k−1)+1)) / stride + 1
        let a = try parse([
            Argument(name: "kernels", ints: [3, 2]), Argument(name: "strides", ints: [2, 3]),
            Argument(name: "pads", ints: [1, 0, 2, 1]), Argument(name: "dilations", ints: [2, 1]),
        ])
        let r = try a.outputSize(input: [10, 7])
        #expect(r.output == [(10 + 1 + 2 - 5) / 2 + 1, (7 + 0 + 1 - 2) / 3 + 1])
        #expect(r.output == [5, 3])
        #expect(r.pads == [1, 0, 2, 1])
    }

    @Test func outputSizeValidAndSame() throws {
        let valid = try parse([
            Argument(name: "kernel", int: 3), Argument(name: "stride", int: 2), Argument(name: "legacy_pad", int: 1),
        ])
        #expect(try valid.outputSize(input: [7, 8]).output == [3, 3])
        let same = try parse([
            Argument(name: "kernel", int: 3), Argument(name: "stride", int: 2), Argument(name: "legacy_pad", int: 2),
        ])
        let r = try same.outputSize(input: [7, 6])
        // ceil(7/2) = 4: pad_needed 2 -> 1/1; ceil(6/2) = 3: pad_needed 1 -> 0/1 (the tail gets the extra pad).
        #expect(r.output == [4, 3])
        #expect(r.pads == [1, 0, 1, 1])
    }

    @Test func caffeLegacyPooling() throws {
        let a = try parse(
            [Argument(name: "kernel", int: 3), Argument(name: "stride", int: 2), Argument(name: "legacy_pad", int: 3)],
            type: "MaxPool")
        // SqueezeNet: 111 -> 55 -> 27 -> 13; an odd span rounds up: 6 -> ceil(1.5 + 1) = 3 (Caffe2's own rule gives 2).
        #expect(try a.outputSize(input: [111, 55]).output == [55, 27])
        let r = try a.outputSize(input: [6, 13])
        #expect(r.output == [3, 6])
        #expect(r.pads == [0, 0, 2, 0])
        let padded = try parse(
            [
                Argument(name: "kernel", int: 3), Argument(name: "stride", int: 2), Argument(name: "pad", int: 1),
                Argument(name: "legacy_pad", int: 3),
            ], type: "MaxPool")
        // in 6, pad 1: ceil(5/2 + 1) = 4, last window starts at 6 - 1 = 5 < 7, kept; tail pad 1 + 2·(4 − 3) = 3.
        let p = try padded.outputSize(input: [6, 5])
        #expect(p.output == [4, 3])
        #expect(p.pads == [1, 1, 3, 1])
    }

    @Test func caffeLegacyDropsWindowStartingInPadding() throws {
        // in 5, kernel 2, stride 2, pad 1: ceil(5/2 + 1) = 4, but (4−1)·2 = 6 >= 5 + 1 -> 3.
        let a = try parse(
            [
                Argument(name: "kernel", int: 2), Argument(name: "stride", int: 2), Argument(name: "pad", int: 1),
                Argument(name: "legacy_pad", int: 3),
            ], type: "MaxPool")
        let r = try a.outputSize(input: [5, 5])
        #expect(r.output == [3, 3])
        #expect(r.pads == [1, 1, 1, 1])
    }

    @Test func globalPooling() throws {
        let a = try parse([Argument(name: "global_pooling", int: 1)], type: "AveragePool")
        let r = try a.outputSize(input: [13, 9])
        #expect(r.output == [1, 1])
        #expect(r.kernel == [13, 9])
    }

    @Test(arguments: [
        ([Argument(name: "kernel", int: 3), Argument(name: "stride", int: -1)], "stride"),
        ([Argument(name: "kernel", int: 3), Argument(name: "stride", int: 0)], "stride"),
        ([Argument(name: "kernel", int: 3), Argument(name: "pad", int: -2)], "pads"),
        ([Argument(name: "kernel", int: -3)], "kernel"),
        ([Argument(name: "kernel", int: 3), Argument(name: "dilation", int: 0)], "dilation"),
        ([Argument(name: "stride", int: 2)], "kernel size"),
        ([Argument(name: "kernel", int: 3), Argument(name: "order", string: "CHWN")], "Unknown storage order"),
        ([Argument(name: "kernel", int: 3), Argument(name: "legacy_pad", int: 7)], "legacy_pad"),
        ([Argument(name: "kernel", int: 3), Argument(name: "legacy_pad", int: 1), Argument(name: "pad", int: 1)],
            "legacy padding VALID or SAME"),
        ([Argument(name: "kernel", int: 3), Argument(name: "legacy_pad", int: 2), Argument(name: "pads", ints: [1, 1, 1, 1])],
            "legacy padding VALID or SAME"),
        ([Argument(name: "kernels", ints: [3, 3]), Argument(name: "strides", ints: [1, 1, 1])], "strides"),
        ([Argument(name: "kernels", ints: [3, 3]), Argument(name: "pads", ints: [1, 1])], "pads"),
        ([Argument(name: "global_pooling", int: 1), Argument(name: "stride", int: 2)], "global_pooling"),
    ])
    func badArgumentsThrow(_ args: [Argument], _ phrase: String) throws {
        let e = try #require(throws: Caffe2Error.self) { try parse(args) }
        #expect(e.kind == .argument)
        #expect(e.message.contains(phrase), "\(e.message)")
        #expect(e.message.contains("Conv"))
    }

    @Test func kernelLargerThanPaddedInput() throws {
        let a = try parse([Argument(name: "kernel", int: 5), Argument(name: "pad", int: 1)])
        let e = try #require(throws: Caffe2Error.self) { try a.outputSize(input: [2, 9], opType: "Conv") }
        #expect(e.kind == .shape)
        #expect(e.message.contains("larger than the padded input"), "\(e.message)")
        let dilated = try parse([Argument(name: "kernel", int: 3), Argument(name: "dilation", int: 3)])
        #expect(throws: Caffe2Error.self) { try dilated.outputSize(input: [6, 6]) }
        #expect(try dilated.outputSize(input: [7, 7]).output == [1, 1])
    }

    @Test func spatialRankMustMatchKernel() throws {
        let a = try parse([Argument(name: "kernel", int: 3)])
        #expect(throws: Caffe2Error.self) { try a.outputSize(input: [9]) }
        #expect(throws: Caffe2Error.self) { try a.outputSize(input: [9, 9, 9]) }
    }
}
