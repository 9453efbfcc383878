import Testing

@testable import Caffe2

@Suite struct TensorTests {
    @Test func shapesCountsAndScalars() throws {
        let s = Tensor(scalar: Float(3.5))
        #expect(s.dims == [] && s.count == 1 && s.rank == 0)
        #expect(try s.values(as: Float.self) == [3.5])
        let empty = try Tensor(dims: [2, 0, 3], dataType: .int64)
        #expect(empty.count == 0 && empty.byteCount == 0)
        #expect(try empty.values(as: Int64.self) == [])
        let m = try Tensor(dims: [2, 3], values: [1, 2, 3, 4, 5, 6] as [Double])
        #expect(m.shape == [2, 3] && m.count == 6 && m.dataType == .double)
        #expect(try m.reshaped(to: [3, 2]).values(as: Double.self) == [1, 2, 3, 4, 5, 6])
    }

    @Test func badDimsAndCountsThrow() {
        #expect(throws: Caffe2Error.self) { try Tensor(dims: [2, -1], dataType: .float) }
        #expect(throws: Caffe2Error.self) { try Tensor(dims: [Int64.max, 4], dataType: .float) }
        #expect(throws: Caffe2Error.self) { try Tensor(dims: [1 << 40, 1 << 20], dataType: .float) }
        #expect(throws: Caffe2Error.self) { try Tensor(dims: [2, 2], values: [1, 2, 3] as [Float]) }
        #expect(throws: Caffe2Error.self) { try Tensor(dims: [2], dataType: .byte) }
        #expect(throws: Caffe2Error.self) { try Tensor([1, 2] as [Float]).values(as: Int32.self) }
        #expect(throws: Caffe2Error.self) { try Tensor([1, 2] as [Float]).reshaped(to: [3]) }
    }

    @Test func copyOnWriteKeepsValueSemantics() throws {
        let a = Tensor([1, 2, 3] as [Float])
        var b = a
        #expect(a.sharesStorage(with: b))
        try b.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 9 }
        #expect(!a.sharesStorage(with: b))
        #expect(try a.values(as: Float.self) == [1, 2, 3])
        #expect(try b.values(as: Float.self) == [9, 2, 3])
    }

    @Test(arguments: [
        DataType.float, .double, .int32, .int64, .bool, .uint8, .int8, .uint16, .int16, .float16, .string,
    ])
    func protoRoundTripEveryType(_ type: DataType) throws {
        let t: Tensor
        switch type {
        case .float: t = try Tensor(dims: [2, 2], values: [1.5, -2, .infinity, 0] as [Float])
        case .double: t = try Tensor(dims: [3], values: [1e300, -0.5, 3] as [Double])
        case .int32: t = try Tensor(dims: [2], values: [Int32.min, Int32.max])
        case .int64: t = try Tensor(dims: [2], values: [Int64.min, 1 << 40])
        case .bool: t = try Tensor(dims: [3], values: [true, false, true])
        case .uint8: t = try Tensor(dims: [3], values: [0, 200, 255] as [UInt8])
        case .int8: t = try Tensor(dims: [3], values: [-128, 0, 127] as [Int8])
        case .uint16: t = try Tensor(dims: [2], values: [0, 65535] as [UInt16])
        case .int16: t = try Tensor(dims: [2], values: [-32768, 32767] as [Int16])
        case .float16: t = try Tensor(dims: [2], values: [1.5, -0.25] as [Float16])
        default: t = try Tensor(dims: [2], strings: ["a", "héllo"])
        }
        let p = t.proto(name: "t")
        // Caffe2's serializer: which field carries which type.
        switch type {
        case .float: #expect(p.floatData.count == 4 && p.int32Data.isEmpty)
        case .double: #expect(p.doubleData.count == 3)
        case .int64: #expect(p.int64Data == [Int64.min, 1 << 40])
        case .bool: #expect(p.int32Data == [1, 0, 1])
        case .uint8: #expect(p.int32Data == [0, 200, 255])
        case .int8: #expect(p.int32Data == [-128, 0, 127])
        case .float16: #expect(p.int32Data == [0x3E00, 0xB400])
        case .string: #expect(p.stringData == [Array("a".utf8), Array("héllo".utf8)])
        default: #expect(p.int32Data.count == t.count)
        }
        #expect(p.dataType == type && p.name == "t" && p.dims == t.dims)
        #expect(try Tensor(proto: p) == t)
        // Through the wire too.
        #expect(try Tensor(proto: TensorProto(serializedBytes: p.serializedBytes())) == t)
    }

    @Test func protoDefaultsAndAlternativePayloads() throws {
        // data_type absent means FLOAT.
        var p = TensorProto(dims: [2])
        p.floatData = [1, 2]
        #expect(p.$dataType == nil)
        #expect(try Tensor(proto: p).values(as: Float.self) == [1, 2])
        // BYTE is read from byte_data as uint8.
        var b = TensorProto(dims: [3], dataType: .byte)
        b.byteData = [1, 2, 255]
        let bt = try Tensor(proto: b)
        #expect(try bt.dataType == .uint8 && bt.values(as: UInt8.self) == [1, 2, 255])
        // FLOAT16 as little-endian bytes.
        var h = TensorProto(dims: [1], dataType: .float16)
        h.byteData = [0x00, 0x3C]
        #expect(try Tensor(proto: h).values(as: Float16.self) == [1.0])
        // raw_data (PyTorch era), little-endian.
        var r = TensorProto(dims: [2], dataType: .int32)
        r.rawData = [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(try Tensor(proto: r).values(as: Int32.self) == [1, -1])
        // bfloat16 raw data: 0x3F80 is 1.0, 0xC000 is -2.0.
        var bf = TensorProto(dims: [2], dataType: .float)
        bf.dataFormat = 1
        bf.rawData = [0x80, 0x3F, 0x00, 0xC0]
        #expect(try Tensor(proto: bf).values(as: Float.self) == [1, -2])
    }

    @Test func segmentsAndChunks() throws {
        var c0 = TensorProto(dims: [5], dataType: .float)
        c0.segment = .init(begin: 0, end: 3)
        c0.floatData = [1, 2, 3]
        var c1 = c0
        c1.segment = .init(begin: 3, end: 5)
        c1.floatData = [4, 5]
        #expect(try Tensor(chunks: [c1, c0]).values(as: Float.self) == [1, 2, 3, 4, 5])
        #expect(try Tensor(proto: c1).values(as: Float.self) == [0, 0, 0, 4, 5])
        var bad = c0
        bad.segment = .init(begin: 3, end: 9)
        #expect(throws: Caffe2Error.self) { try Tensor(proto: bad) }
    }

    @Test func payloadLengthMismatchNamesTheTensor() throws {
        var p = TensorProto(name: "conv1_w", dims: [2, 2], dataType: .float)
        p.floatData = [1, 2, 3]
        let e = try #require(throws: Caffe2Error.self) { try Tensor(proto: p) }
        #expect(e.message.contains("conv1_w") && e.message.contains("expected 4"))
        var u = TensorProto(dims: [1], dataType: .undefined)
        u.stringData = [[1]]
        #expect(throws: Caffe2Error.self) { try Tensor(proto: u) }
    }
}

@Suite struct WorkspaceTests {
    @Test func blobLifecycle() throws {
        let ws = Workspace()
        #expect(!ws.hasBlob("a") && ws.blob(named: "a") == nil)
        let a = ws.createBlob("a")
        #expect(ws.hasBlob("a") && a.tensor == nil && ws.createBlob("a") === a)
        #expect(throws: Caffe2Error.self) { try ws.fetchBlob("a") }
        ws.feedBlob("b", Tensor([1] as [Int32]))
        #expect(ws.blobNames == ["a", "b"])
        #expect(try ws.fetchBlob("b").values(as: Int32.self) == [1])
        #expect(ws.removeBlob("a") && !ws.removeBlob("a"))
        let e = try #require(throws: Caffe2Error.self) { try ws.fetchBlob("bb") }
        #expect(e.kind == .missingBlob && e.message.contains("'b'"))
    }

    @Test func parentBlobsAreVisibleButNeverWritten() throws {
        let parent = Workspace()
        parent.feedBlob("W", Tensor([2, 4] as [Float]))
        let child = Workspace(parent: parent)
        #expect(child.hasBlob("W") && child.blobNames == ["W"] && child.localBlobNames == [])
        // An in-place op on a parent blob writes a local shadow.
        try child.runOperatorOnce(OperatorDef(type: "Reciprocal", input: ["W"], output: ["W"]))
        #expect(try child.fetchBlob("W").values(as: Float.self) == [0.5, 0.25])
        #expect(try parent.fetchBlob("W").values(as: Float.self) == [2, 4])
        #expect(child.localBlobNames == ["W"])
        // Removing only removes the local shadow.
        #expect(child.removeBlob("W"))
        #expect(try child.fetchBlob("W").values(as: Float.self) == [2, 4])
        #expect(!child.removeBlob("W") && parent.hasBlob("W"))
    }

    @Test func netsCreateRunOverwrite() throws {
        let ws = Workspace()
        ws.feedBlob("X", Tensor([2] as [Float]))
        let def = NetDef(name: "n", op: [OperatorDef(type: "Reciprocal", input: ["X"], output: ["X"])])
        try ws.createNet(def)
        #expect(ws.netNames == ["n"])
        let e = try #require(throws: Caffe2Error.self) { try ws.createNet(def) }
        #expect(e.message.hasPrefix("I respectfully refuse to overwrite an existing net of the same name \"n\""))
        try ws.createNet(def, overwrite: true)
        try ws.runNet(named: "n", iterations: 3)
        #expect(try ws.fetchBlob("X").values(as: Float.self) == [0.5])
        #expect(throws: Caffe2Error.self) { try ws.runNet(named: "m") }
        #expect(throws: Caffe2Error.self) { try ws.runNet(named: "n", iterations: 0) }
        #expect(throws: Caffe2Error.self) { try ws.createNet(NetDef()) }  // no name
        ws.deleteNet(named: "n")
        #expect(ws.net(named: "n") == nil)
    }

    @Test func failedNetCreationLeavesWorkspaceAsItWas() throws {
        let ws = Workspace()
        ws.feedBlob("X", Tensor([2] as [Float]))
        let good = NetDef(name: "n", op: [OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"])])
        try ws.createNet(good)
        let blobsBefore = ws.blobNames
        let bad = NetDef(
            name: "n",
            op: [
                OperatorDef(type: "Reciprocal", input: ["X"], output: ["Z"]),
                OperatorDef(type: "Reciprocal", input: ["missing"], output: ["W"]),
            ])
        let e = try #require(throws: Caffe2Error.self) { try ws.createNet(bad, overwrite: true) }
        #expect(e.kind == .missingBlob && e.opIndex == 1 && e.blob == "missing")
        #expect(ws.blobNames == blobsBefore)  // "Z" was created for the failed net and removed again
        #expect(ws.net(named: "n")?.def == good)  // the old net is kept
    }
}
