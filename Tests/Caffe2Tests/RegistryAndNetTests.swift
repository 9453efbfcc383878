import Testing

@testable import Caffe2

/// A test-only operator writing a constant, with one kernel per engine so engine selection is visible.
private func markerOp(_ type: String, engines: [String?], devices: [DeviceType] = [.cpu]) -> OperatorDefinition {
    var kernels: [OperatorKernel] = []
    for d in devices {
        for (i, e) in engines.enumerated() {
            kernels.append(
                OperatorKernel(device: d, engine: e) { _, _ in
                    { ctx in
                        let y = try ctx.output(0, dims: [1], type: .float)
                        y.floats[0] = Float(i)
                    }
                })
        }
    }
    return OperatorDefinition(schema: OperatorSchema(type).numInputs(0).numOutputs(1), kernels: kernels)
}

@Suite struct RegistryTests {
    @Test func engineSelectionFollowsThePreferenceList() throws {
        var r = OperatorRegistry()
        try r.register(markerOp("Marker", engines: [nil, "FAST", "TURBO"]))
        let ws = Workspace(registry: r)
        func engineValue(_ engine: String?) throws -> Float {
            try ws.runOperatorOnce(OperatorDef(type: "Marker", output: ["y"], engine: engine))
            return try ws.fetchBlob("y").values(as: Float.self)[0]
        }
        #expect(try engineValue(nil) == 0)
        #expect(try engineValue("TURBO") == 2)
        #expect(try engineValue("MISSING,FAST,TURBO") == 1)  // first available in order
        #expect(try engineValue("NOPE") == 0)  // falls back to the default
        #expect(try engineValue("DEFAULT") == 0)
        #expect(r.engines(for: "Marker", device: .cpu) == ["FAST", "TURBO"])
    }

    @Test func unknownTypeSuggestsCloseNamesAndOtherDevices() throws {
        var r = OperatorRegistry.standard
        try r.register(markerOp("GpuOnly", engines: [nil], devices: [.cuda]))
        let ws = Workspace(registry: r)
        let e1 = try #require(throws: Caffe2Error.self) {
            try ws.runOperatorOnce(OperatorDef(type: "Reciprocol", input: [], output: ["y"]))
        }
        #expect(e1.kind == .unknownOperator)
        #expect(e1.message.hasPrefix("Cannot create operator of type 'Reciprocol' on the device 'CPU'."))
        #expect(e1.message.contains("'Reciprocal'"))
        let e2 = try #require(throws: Caffe2Error.self) {
            try ws.runOperatorOnce(OperatorDef(type: "GpuOnly", output: ["y"]))
        }
        #expect(e2.message.contains("registered for: CUDA"))
        // The device comes from the op's device option, else the net's.
        ws.feedBlob("X", Tensor([1] as [Float]))
        let onCuda = OperatorDef(
            type: "Reciprocal", input: ["X"], output: ["Y"], deviceOption: DeviceOption(deviceType: .cuda))
        let e3 = try #require(throws: Caffe2Error.self) { try ws.runOperatorOnce(onCuda) }
        #expect(e3.message.hasPrefix("Cannot create operator of type 'Reciprocal' on the device 'CUDA'"))
        var net = NetDef(name: "gpu", op: [OperatorDef(type: "GpuOnly", output: ["y"])])
        net.deviceOption = DeviceOption(deviceType: .cuda)
        try ws.runNetOnce(net)
        #expect(try ws.fetchBlob("y").values(as: Float.self) == [0])
    }

    @Test func duplicateRegistrationThrowsAndReplaceOverrides() throws {
        var r = OperatorRegistry.standard
        #expect(throws: Caffe2Error.self) { try r.register(markerOp("Reciprocal", engines: [nil])) }
        r.replace(markerOp("Reciprocal", engines: [nil]))
        #expect(r.schema("Reciprocal")?.minInputs == 0)
        #expect(OperatorRegistry.standard.schema("Reciprocal")?.minInputs == 1)  // the standard value is untouched
    }

    @Test func schemaVerifyMessages() throws {
        let s = try #require(OperatorRegistry.standard.schema("Reciprocal"))
        let e1 = try #require(throws: Caffe2Error.self) {
            try s.verify(OperatorDef(type: "Reciprocal", input: ["a", "b"], output: ["y"]))
        }
        #expect(e1.kind == .schema && e1.message.contains("Input size 2 not in range [min=1, max=1]."))
        let g = try #require(OperatorRegistry.standard.schema("ReciprocalGradient"))
        try g.verify(OperatorDef(type: "ReciprocalGradient", input: ["Y", "dY"], output: ["dY"]))  // {1,0} allowed
        let e2 = try #require(throws: Caffe2Error.self) {
            try g.verify(OperatorDef(type: "ReciprocalGradient", input: ["Y", "dY"], output: ["Y"]))
        }
        #expect(
            e2.message.contains(
                "Input index 0 and output idx 0 (Y) are set to be in-place but this is actually not supported by op ReciprocalGradient"
            ))
        let enforced = OperatorSchema("Upd").numInputs(2).numOutputs(1).enforceInplace([(0, 0)])
        let e3 = try #require(throws: Caffe2Error.self) {
            try enforced.verify(OperatorDef(type: "Upd", input: ["p", "g"], output: ["q"]))
        }
        #expect(e3.message.contains("are not in-place but should be as required by op Upd"))
        let req = OperatorSchema("Req").argIsTest("test mode")
        let e4 = try #require(throws: Caffe2Error.self) { try req.verify(OperatorDef(type: "Req")) }
        #expect(e4.message.contains("Argument 'is_test' is required for Operator 'Req'."))
        let ranged = OperatorSchema("R").numInputs(Set([1, 3])).numOutputs(1, 2).outputCalculator { $0 == 1 ? 1 : 2 }
        try ranged.verify(OperatorDef(type: "R", input: ["a", "b", "c"], output: ["x", "y"]))
        #expect(throws: Caffe2Error.self) { try ranged.verify(OperatorDef(type: "R", input: ["a", "b"], output: ["x"])) }
        #expect(throws: Caffe2Error.self) { try ranged.verify(OperatorDef(type: "R", input: ["a"], output: ["x", "y"])) }
    }

    @Test func argumentsHelper() throws {
        let op = OperatorDef(
            type: "T",
            arg: [
                Argument(name: "k", int: 3), Argument(name: "f", float: 0.5), Argument(name: "s", string: "NCHW"),
                Argument(name: "v", ints: [1, 2]), Argument(name: "big", int: Int64(Int32.max) + 1),
            ])
        let a = try Arguments(op)
        #expect(try a.single("k", default: 0) == 3)
        #expect(try a.single("f", default: Float(0)) == 0.5)
        #expect(try a.single("s", default: "") == "NCHW")
        #expect(try a.repeated("v", default: [Int]()) == [1, 2])
        #expect(try a.single("absent", default: 7) == 7)
        let e = try #require(throws: Caffe2Error.self) { try a.single("s", as: Float.self) }
        #expect(e.message == "Argument s does not have the right field: expected field f")
        #expect(throws: Caffe2Error.self) { try a.single("big", as: Int32.self) }
        #expect(!a.hasSingle("s", as: Int.self) && a.hasSingle("k", as: Int.self))
        let dup = OperatorDef(type: "T", arg: [Argument(name: "k", int: 1), Argument(name: "k", int: 2)])
        #expect(throws: Caffe2Error.self) { try Arguments(dup) }
        let same = OperatorDef(type: "T", arg: [Argument(name: "k", int: 1), Argument(name: "k", int: 1)])
        #expect(try Arguments(same).all.count == 1)
    }
}

@Suite struct NetTests {
    private func chain() -> NetDef {
        var net = NetDef(
            name: "chain",
            op: [
                OperatorDef(type: "Reciprocal", input: ["X"], output: ["A"]),
                OperatorDef(type: "Reciprocal", input: ["A"], output: ["B"]),
            ])
        net.externalInput = ["X"]
        net.externalOutput = ["B"]
        return net
    }

    @Test func externalInputAndOutputChecks() throws {
        let ws = Workspace()
        ws.feedBlob("X", Tensor([4] as [Float]))
        try ws.runNetOnce(chain())
        #expect(try ws.fetchBlob("B").values(as: Float.self) == [4])
        var undeclared = chain()
        undeclared.op.append(OperatorDef(type: "Reciprocal", input: ["Q"], output: ["C"]))
        ws.feedBlob("Q", Tensor([1] as [Float]))
        let e1 = try #require(throws: Caffe2Error.self) { try ws.runNetOnce(undeclared) }
        #expect(e1.message.contains("Source for input Q is unknown for net chain") && e1.opIndex == 2)
        var missingOutput = chain()
        missingOutput.externalOutput.append("Nope")
        let e2 = try #require(throws: Caffe2Error.self) { try ws.runNetOnce(missingOutput) }
        #expect(
            e2.message
                == "Some of the blobs are declared as output but never produced by the net chain, the first one is Nope")
        var noDecl = chain()
        noDecl.externalInput = []
        noDecl.op.append(OperatorDef(type: "Reciprocal", input: ["Q"], output: ["C"]))
        try ws.runNetOnce(noDecl)  // without external_input declared, any existing blob may be read
    }

    @Test func netTypes() throws {
        let ws = Workspace()
        ws.feedBlob("X", Tensor([4] as [Float]))
        var net = chain()
        for t in ["simple", "dag", "async_scheduling"] {
            net.type = t
            try ws.runNetOnce(net)
        }
        net.type = "quantum"
        let e = try #require(throws: Caffe2Error.self) { try ws.runNetOnce(net) }
        #expect(e.kind == .net && e.message.contains("[quantum]"))
    }

    @Test func failingOperatorStopsTheRunAndKeepsEarlierOutputs() throws {
        let ws = Workspace()
        ws.feedBlob("X", Tensor([4] as [Float]))
        ws.feedBlob("I", Tensor([1] as [Int32]))
        let net = NetDef(
            name: "f",
            op: [
                OperatorDef(type: "Reciprocal", input: ["X"], output: ["A"]),
                OperatorDef(type: "Reciprocal", input: ["I"], output: ["B"], name: "bad"),
                OperatorDef(type: "Reciprocal", input: ["X"], output: ["C"]),
            ])
        let e = try #require(throws: Caffe2Error.self) { try ws.runNetOnce(net) }
        #expect(e.kind == .dataType && e.opIndex == 1 && e.opType == "Reciprocal" && e.opName == "bad")
        #expect(e.blob == "I" && e.description.hasPrefix("op #1 (Reciprocal \"bad\"): "))
        #expect(e.message.contains("int32") && e.message.contains("float, double"))
        #expect(try ws.fetchBlob("A").values(as: Float.self) == [0.25])
        #expect(ws.blob(named: "C")?.tensor == nil)  // created at binding, never written
        #expect(try ws.fetchBlob("X").values(as: Float.self) == [4])
    }

    @Test func wrongInputCountAndForbiddenInPlaceAtCreation() throws {
        let ws = Workspace()
        ws.feedBlob("X", Tensor([4] as [Float]))
        let e1 = try #require(throws: Caffe2Error.self) {
            try ws.runOperatorOnce(OperatorDef(type: "ReciprocalGradient", input: ["X"], output: ["dX"]))
        }
        #expect(e1.kind == .schema && e1.message.contains("Input size 1 not in range [min=2, max=2]"))
        ws.feedBlob("dY", Tensor([1] as [Float]))
        let e2 = try #require(throws: Caffe2Error.self) {
            try ws.runOperatorOnce(OperatorDef(type: "ReciprocalGradient", input: ["X", "dY"], output: ["X"]))
        }
        #expect(e2.kind == .schema && e2.message.contains("in-place"))
        ws.feedBlob("dY3", Tensor([1, 2, 3] as [Float]))
        let e3 = try #require(throws: Caffe2Error.self) {
            try ws.runOperatorOnce(OperatorDef(type: "ReciprocalGradient", input: ["X", "dY3"], output: ["dX"]))
        }
        #expect(e3.kind == .shape && e3.message.contains("[1]") && e3.message.contains("[3]"))
    }

    @Test func perOperatorTiming() throws {
        let ws = Workspace()
        ws.feedBlob("X", Tensor([4] as [Float]))
        let net = try ws.createNet(chain())
        #expect(try net.runTimed().count == 2)
        #expect(net.operatorCount == 2 && net.engines == ["", ""])
    }
}

@Suite struct ShapeInferenceTests {
    @Test func reciprocalChainAndUnknowns() throws {
        var net = NetDef(
            name: "s",
            op: [
                OperatorDef(type: "Reciprocal", input: ["X"], output: ["A"]),
                OperatorDef(type: "ReciprocalGradient", input: ["A", "dA"], output: ["dX"]),
                OperatorDef(type: "NoSuchOp", input: ["A"], output: ["Z"]),
                OperatorDef(type: "Reciprocal", input: ["Z"], output: ["W"]),
            ])
        net.externalInput = ["X", "dA"]
        let r = inferShapes(
            of: net,
            inputs: ["X": TensorShape(dims: [2, 3], dataType: .double), "dA": TensorShape(dims: [2, 3], dataType: .double)])
        #expect(r.shapes["A"]?.dims == [2, 3] && r.shapes["A"]?.dataType == .double)
        #expect(r.shapes["dX"]?.dims == [2, 3])
        #expect(r.shapes["Z"]?.unknownShape == true)
        #expect(r.shapes["W"]?.unknownShape == true)  // unknown input: not guessed
        #expect(r.steps[3].note?.contains("'Z'") == true)
        #expect(r.errors.count == 1 && r.errors[0].kind == .unknownOperator && r.errors[0].opIndex == 2)
        #expect(!r.isComplete)
    }

    @Test func schemaViolationsAreReportedWithTheOp() throws {
        let net = NetDef(name: "s", op: [OperatorDef(type: "Reciprocal", input: ["X", "Y"], output: ["A"])])
        let r = inferShapes(of: net, inputs: ["X": TensorShape(dims: [1]), "Y": TensorShape(dims: [1])])
        #expect(r.errors.first?.kind == .schema && r.errors.first?.opIndex == 0)
    }

    @Test func workspaceSeeds() throws {
        let ws = Workspace()
        ws.feedBlob("X", try Tensor(dims: [4, 5], dataType: .float))
        let r = ws.inferShapes(of: NetDef(name: "s", op: [OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"])]))
        #expect(r.shapes["Y"]?.dims == [4, 5] && r.isComplete)
    }
}
