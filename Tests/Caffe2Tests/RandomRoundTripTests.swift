import Testing

@testable import Caffe2

/// Seeded random messages with every kind of field: binary and text round trips are exact.
@Suite struct RandomRoundTripTests {
    static func roundTrip<M: ProtoMessage>(_ message: M, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let binary = message.serializedBytes()
        ProtoExpect.identical(try M(serializedBytes: binary), message, "binary", sourceLocation: sourceLocation)
        let text = message.textFormatString()
        let fromText = try M(textFormat: text)
        ProtoExpect.identical(fromText, message, "text:\n\(text)", sourceLocation: sourceLocation)
        #expect(fromText.textFormatString() == text, "text is stable", sourceLocation: sourceLocation)
    }

    @Test(arguments: 0..<200)
    func netDefs(seed: UInt64) throws {
        var generator = RandomMessageGenerator(seed: seed)
        try Self.roundTrip(generator.net(depth: 2))
    }

    @Test(arguments: 0..<50)
    func everyMessageType(seed: UInt64) throws {
        var generator = RandomMessageGenerator(seed: 10_000 + seed)
        try Self.roundTrip(generator.tensor())
        try Self.roundTrip(TensorProtos(protos: [generator.tensor(), generator.tensor()]))
        try Self.roundTrip(generator.qtensor())
        try Self.roundTrip(generator.shape())
        try Self.roundTrip(TensorShapes(shapes: [generator.shape(), generator.shape()]))
        try Self.roundTrip(generator.argument(depth: 2))
        try Self.roundTrip(generator.op(depth: 1))
        try Self.roundTrip(generator.deviceOption())
        try Self.roundTrip(generator.plan())
        try Self.roundTrip(generator.executionStep(depth: 3))
        try Self.roundTrip(generator.blob())
    }

    /// Presence survives both formats: a field set to its default is not a missing field.
    @Test func presenceOfDefaults() throws {
        var op = OperatorDef()
        op.$name = ""
        op.$isGradientOp = false
        op.$opVersion = 0
        op.engine = ""
        op.deviceOption = DeviceOption()
        var arg = Argument()
        arg.f = 0
        arg.i = 0
        arg.s = []
        arg.n = NetDef()
        op.arg = [arg, Argument()]
        try Self.roundTrip(op)
        let back = try OperatorDef(textFormat: op.textFormatString())
        #expect(back.$name == "" && back.$isGradientOp == false && back.$opVersion == 0 && back.engine == "")
        #expect(back.$debugInfo == nil && back.$domain == nil && back.$type == nil)
        #expect(back.arg[0].f == 0 && back.arg[0].i == 0 && back.arg[0].s == [] && back.arg[0].n == NetDef())
        #expect(back.arg[1] == Argument())
    }

    @Test func nanSurvivesAsNaN() throws {
        var arg = Argument(name: "nan")
        arg.f = .nan
        arg.floats = [.nan, -.nan, .signalingNaN, 1]
        var q = QTensorProto()
        q.scale = .nan
        for text in [arg.textFormatString(), try Argument(serializedBytes: arg.serializedBytes()).textFormatString()] {
            let back = try Argument(textFormat: text)
            #expect(back.f?.isNaN == true)
            #expect(back.floats.count == 4 && back.floats[0...2].allSatisfy(\.isNaN) && back.floats[3] == 1)
        }
        #expect(try QTensorProto(textFormat: q.textFormatString()).scale.isNaN)
    }
}
