import Testing

@testable import Caffe2

@Suite struct ProtoBinaryTests {
    @Test func roundTripSmallNet() throws {
        var net = NetDef(name: "n")
        net.op = [
            OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"], arg: [Argument(name: "a", floats: [1, 2])])
        ]
        let bytes = net.serializedBytes()
        #expect(try NetDef(serializedBytes: bytes) == net)
    }

    /// Every binary model decodes; decode → encode → decode gives the same message.
    @Test(
        .enabled(if: ProtoFixtures.modelsAvailable, "../shared/models is missing: real-model checks skipped"),
        arguments: ProtoFixtures.binaryModels)
    func realModelRoundTrip(_ path: String) throws {
        let bytes = try ProtoFixtures.bytes(path)
        let net = try NetDef(serializedBytes: bytes)
        #expect(!net.op.isEmpty)
        let again = try NetDef(serializedBytes: net.serializedBytes())
        ProtoExpect.identical(net, again)
    }

    /// Re-encoding reproduces the file byte for byte: the writers (Caffe2's C++ and
    /// Python protobuf) and protobuf-c agree on field order and packing.
    @Test(
        .enabled(if: ProtoFixtures.modelsAvailable, "../shared/models is missing: real-model checks skipped"),
        arguments: ProtoFixtures.binaryModels)
    func realModelReencodesByteIdentical(_ path: String) throws {
        let bytes = try ProtoFixtures.bytes(path)
        let net = try NetDef(serializedBytes: bytes)
        let reencoded = net.serializedBytes()
        #expect(reencoded.count == bytes.count)
        #expect(reencoded == bytes)
    }

    @Test func realModelsArePresentWhenTheDirectoryIs() {
        // Guards the parameterised tests above against silently running on an empty list.
        if ProtoFixtures.modelsAvailable {
            #expect(ProtoFixtures.binaryModels.count == 12)
            #expect(ProtoFixtures.textModels.count == 45)
        }
    }
}
