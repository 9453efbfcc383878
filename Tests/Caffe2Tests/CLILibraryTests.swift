import Foundation
import Testing

@testable import Caffe2

/// The library pieces the CLI prints: DOT, net summaries, operator info, tensor statistics.
@Suite struct CLILibraryTests {
    static let reciprocal = """
        name: "reciprocal"
        op { input: "X" output: "Y" name: "inv" type: "Reciprocal" }
        op { input: "Y" output: "Y" name: "inv_inplace" type: "Reciprocal" }
        op { input: "Y" output: "Z" name: "inv_again" type: "Reciprocal" }
        external_input: "X"
        external_output: "Y"
        external_output: "Z"
        """

    // MARK: Graphviz

    @Test func dotOfTheReciprocalExample() throws {
        let net = try NetDef(textFormat: Self.reciprocal)
        let expected = """
            digraph "reciprocal" {
              rankdir=TB;
              node [fontname="Helvetica", fontsize=10];
              edge [fontname="Helvetica", fontsize=8];
              blob0 [label="X", shape=octagon, style=filled, fillcolor="#C6DBEF"];
              blob1 [label="Y", shape=octagon];
              blob2 [label="Y (v2)", shape=doubleoctagon, style=filled, fillcolor="#FDD0A2"];
              blob3 [label="Z", shape=doubleoctagon, style=filled, fillcolor="#FDD0A2"];
              op0 [shape=box, style="filled,rounded", fillcolor="#0F9D58", color="#0F9D58", fontcolor="#FFFFFF", label="#0 Reciprocal\\ninv"];
              op1 [shape=box, style="filled,rounded", fillcolor="#0F9D58", color="#0F9D58", fontcolor="#FFFFFF", label="#1 Reciprocal\\ninv_inplace"];
              op2 [shape=box, style="filled,rounded", fillcolor="#0F9D58", color="#0F9D58", fontcolor="#FFFFFF", label="#2 Reciprocal\\ninv_again"];
              blob0 -> op0;
              op0 -> blob1;
              blob1 -> op1;
              op1 -> blob2 [color="#DB4437", penwidth=2, label="in-place"];
              blob2 -> op2;
              op2 -> blob3;
            }

            """
        #expect(net.graphvizDOT() == expected)
        #expect(net.graphvizDOT(GraphvizOptions(rankdir: .leftToRight)).contains("  rankdir=LR;\n"))
    }

    static let awkward = """
        name: "we\\"ird\\\\net"
        op { input: "a\\"b" input: "w" output: "c\\nd" type: "Mul" engine: "X,Y" is_gradient_op: true }
        external_input: "a\\"b"
        external_input: "w"
        external_input: "unused"
        external_output: "c\\nd"
        external_output: "never"
        """

    @Test func dotEscapesNamesAndShowsTheWholeInterface() throws {
        let net = try NetDef(textFormat: Self.awkward)
        let dot = net.graphvizDOT(GraphvizOptions(parameters: ["w"]))
        #expect(dot.hasPrefix("digraph \"we\\\"ird\\\\net\" {\n"))
        #expect(dot.contains("blob0 [label=\"a\\\"b\", shape=octagon, style=filled, fillcolor=\"#C6DBEF\"];"))
        #expect(dot.contains("blob1 [label=\"w\", shape=octagon, style=filled, fillcolor=\"#EEEEEE\", fontcolor=\"#666666\"];"))
        #expect(dot.contains("blob2 [label=\"c\\nd\", shape=doubleoctagon"))
        #expect(dot.contains("label=\"#0 Mul\\nengine: X,Y\""))
        #expect(dot.contains("fillcolor=\"#DB4437\""), "gradient ops are red")
        #expect(dot.contains("[label=\"unused\", shape=octagon"))
        #expect(dot.contains("[label=\"never\", shape=doubleoctagon"))
        let hidden = net.graphvizDOT(GraphvizOptions(parameters: ["w"], hideParameters: true))
        #expect(!hidden.contains("label=\"w\""))
        #expect(hidden.contains("blob0 -> op0;") && !hidden.contains("blob1 -> op0;"))
    }

    /// Graphviz itself accepts what we write.
    @Test func graphvizAcceptsTheDOT() throws {
        guard TestSupport.haveTool("dot") else { return }
        var nets = [try NetDef(textFormat: Self.reciprocal), try NetDef(textFormat: Self.awkward)]
        var options = [GraphvizOptions(), GraphvizOptions(rankdir: .rightToLeft, parameters: ["w"])]
        if TestSupport.haveModels {
            let dir = TestSupport.model("squeezenet-v1.0-trafficlight")
            nets.append(try NetDef(contentsOfFile: dir + "/predict_net.pb"))
            options.append(
                GraphvizOptions(parameters: Set(try NetDef(contentsOfFile: dir + "/init_net.pb").op.flatMap(\.output))))
        }
        for (net, opts) in zip(nets, options) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["dot", "-Tsvg"]
            let input = Pipe()
            let output = Pipe()
            let errors = Pipe()
            p.standardInput = input
            p.standardOutput = output
            p.standardError = errors
            try p.run()
            let box = OutputBox()
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) { box.out = output.fileHandleForReading.readDataToEndOfFile() }
            DispatchQueue.global().async(group: group) { box.err = errors.fileHandleForReading.readDataToEndOfFile() }
            input.fileHandleForWriting.write(Data(net.graphvizDOT(opts).utf8))
            try input.fileHandleForWriting.close()
            p.waitUntilExit()
            group.wait()
            #expect(p.terminationStatus == 0, "dot rejected \(net.name): \(String(decoding: box.err, as: UTF8.self))")
            #expect(box.err.isEmpty, "dot warned: \(String(decoding: box.err, as: UTF8.self))")
            #expect(String(decoding: box.out, as: UTF8.self).contains("<svg"))
        }
    }

    // MARK: NetSummary

    @Test func summaryOfAPredictNet() throws {
        let s = NetSummary(try NetDef(textFormat: Self.reciprocal))
        #expect(s.name == "reciprocal" && s.type == "simple")
        #expect(s.operatorCount == 3)
        #expect(s.operatorTypes == [NetSummary.TypeCount(type: "Reciprocal", count: 3)])
        #expect(s.externalInputs == ["X"] && s.externalOutputs == ["Y", "Z"])
        #expect(s.blobCount == 3 && s.inPlaceOperatorCount == 1 && s.argumentCount == 0)
        #expect(!s.isInitNet && s.parameters.isEmpty)
        let a = NetSummary(try NetDef(textFormat: Self.awkward))
        #expect(a.engines == ["X", "Y"] && a.gradientOperatorCount == 1)
    }

    @Test func summaryOfAnInitNetCountsParameters() throws {
        let net = try NetDef(
            textFormat: """
                op { output: "w" type: "GivenTensorFill" arg { name: "shape" ints: [2, 3] } arg { name: "values" floats: [1, 2, 3, 4, 5, 6] } }
                op { output: "s" type: "GivenTensorStringFill" arg { name: "values" strings: ["ab", "cde"] } }
                op { output: "i" type: "ConstantFill" arg { name: "shape" ints: [3] } arg { name: "value" i: 2 } }
                op { output: "h" type: "GivenTensorFill" arg { name: "shape" ints: [4] } arg { name: "dtype" i: 12 } }
                op { output: "u" type: "XavierFill" arg { name: "shape" ints: [5, 5] } }
                op { output: "k" type: "ConstantFill" }
                """)
        let s = NetSummary(net)
        #expect(s.isInitNet)
        let byName = Dictionary(uniqueKeysWithValues: s.parameters.map { ($0.name, $0) })
        #expect(byName["w"]?.dims == [2, 3] && byName["w"]?.bytes == 24 && byName["w"]?.dataType == "float")
        #expect(byName["s"]?.dims == [2] && byName["s"]?.bytes == 5 && byName["s"]?.dataType == "string")
        #expect(byName["i"]?.dataType == "int64" && byName["i"]?.bytes == 24)
        #expect(byName["h"]?.dataType == "float16" && byName["h"]?.bytes == 8)
        #expect(byName["u"]?.elements == 25 && byName["u"]?.bytes == 100)
        #expect(byName["k"]?.dims == [] && byName["k"]?.elements == 1)
        #expect(s.parameterElements == 6 + 2 + 3 + 4 + 25 + 1)
        #expect(s.parameterBytes == 24 + 5 + 24 + 8 + 100 + 4)
    }

    /// The statically computed parameter sizes equal what running the init net creates.
    @Test func parameterCountsMatchTheTensorsTheInitNetCreates() throws {
        guard TestSupport.haveModels else { return }
        for dir in ["squeezenet-v1.0-trafficlight", "mtcnn-pnet", "lenet-mnist-onnx"] {
            let initNet = try NetDef(contentsOfFile: TestSupport.model(dir + "/init_net.pb"))
            let s = NetSummary(initNet)
            #expect(s.isInitNet, "\(dir)")
            let ws = Workspace()
            try ws.runNetOnce(initNet)
            for p in s.parameters {
                let t = try ws.fetchBlob(p.name)
                #expect(p.dims == t.dims, "\(dir) \(p.name)")
                #expect(p.dataType == t.dataType.description, "\(dir) \(p.name)")
                #expect(p.bytes == t.byteCount, "\(dir) \(p.name)")
            }
        }
    }

    // MARK: OperatorInfo

    @Test func operatorInfoComesFromTheSchema() throws {
        let r = try #require(OperatorInfo(type: "Reciprocal"))
        #expect(r.devices == ["CPU"] && r.engines.isEmpty)
        #expect(r.inputs == "1" && r.outputs == "1")
        #expect(r.inPlace == "{0,0}" && r.enforcedInPlace == "")
        #expect(r.gradient == "yes")
        #expect(r.shapeInference == "IdenticalTypeAndShape")
        #expect(r.types == ["float", "double"])
        #expect(r.inputDocs.first?.hasPrefix("X: ") == true)
        let g = try #require(OperatorInfo(type: "ReciprocalGradient"))
        #expect(g.inputs == "2" && g.inPlace == "{1,0}" && g.gradient == "none" && g.isGradientOperator)
        #expect(OperatorInfo(type: "NoSuchOp") == nil)

        var registry = OperatorRegistry()
        try registry.register(
            OperatorDefinition(
                schema: OperatorSchema("Many").numInputs(1, Int.max).numOutputs(0, 2).allowOneToOneInplace(),
                kernels: [OperatorKernel { _, _ in { _ in } }, OperatorKernel(engine: "FAST") { _, _ in { _ in } }],
                gradient: .shouldNotDoGradient))
        let m = try #require(OperatorInfo(type: "Many", registry: registry))
        #expect(m.inputs == "1+" && m.outputs == "0-2" && m.inPlace == "one-to-one")
        #expect(m.engines == ["CPU": ["FAST"]] && m.gradient == "should-not")
        #expect(OperatorInfo.all(registry: registry).map(\.type) == ["Many"])
        #expect(OperatorInfo.all(registry: registry, device: .cuda).isEmpty)
    }

    // MARK: TensorStatistics

    @Test func statisticsSkipNaNs() throws {
        let s = TensorStatistics(try Tensor(dims: [4], values: [1, .nan, -3, 6] as [Float]))
        #expect(s.min == -3 && s.max == 6 && s.mean == 4.0 / 3 && s.nanCount == 1 && s.count == 4)
        let e = TensorStatistics(try Tensor(dims: [0], dataType: .int32))
        #expect(e.min == nil && e.mean == nil && e.count == 0)
        let i = TensorStatistics(try Tensor(dims: [3], values: [Int64(-2), 5, 0]))
        #expect(i.min == -2 && i.max == 5 && i.mean == 1)
    }
}
