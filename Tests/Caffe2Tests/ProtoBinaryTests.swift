import Testing
@testable import Caffe2

@Suite struct ProtoBinaryTests {
    @Test func roundTripSmallNet() throws {
        var net = NetDef(name: "n")
        net.op = [OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"], arg: [Argument(name: "a", floats: [1, 2])])]
        let bytes = net.serializedBytes()
        #expect(try NetDef(serializedBytes: bytes) == net)
    }
}
