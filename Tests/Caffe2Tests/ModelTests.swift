import Foundation
import Testing

@testable import Caffe2

/// The real Caffe2 model files in ../shared/models, run unchanged, against the
/// reference values of shared/reference/models.md §2 (computed there with an
/// independent numpy interpreter).
@Suite(.enabled(if: TestSupport.haveModels, "needs ../shared/models"))
struct ModelTests {
    static func ramp(_ dims: [Int], _ f: (Int) -> Float) throws -> Tensor {
        try Tensor(dims: dims, values: (0..<dims.reduce(1, *)).map(f))
    }

    /// Runs an init net, feeds `inputs`, runs the predict net; returns the workspace.
    static func run(_ dir: String, initNet: String = "init_net.pb", predictNet: String = "predict_net.pb",
                    inputs: [String: Tensor]) throws -> Workspace {
        let ws = Workspace()
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("\(dir)/\(initNet)")))
        for (name, t) in inputs { ws.feedBlob(name, t) }
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("\(dir)/\(predictNet)")))
        return ws
    }

    @Test func squeezeNetV10OnTheSyntheticRamp() throws {
        let data = try Self.ramp([1, 3, 227, 227]) { Float($0 % 255) - 128 }
        let ws = try Self.run("squeezenet-v1.0-trafficlight", inputs: ["data": data])
        let prob = try ws.fetchBlob("prob")
        #expect(prob.dims == [1, 3, 1, 1])
        #expect(allClose(prob, [0.416029, 0.272830, 0.311141], atol: 1e-5, rtol: 0))
        let pool10 = try ws.fetchBlob("pool10")
        #expect(allClose(pool10, [3.630146, 3.208242, 3.339639], atol: 1e-4, rtol: 0))
        // The shape trace of models.md: conv1 111×111, pool1 55, conv10 15×15.
        #expect(try ws.fetchBlob("conv1").dims == [1, 96, 111, 111])
        #expect(try ws.fetchBlob("pool1").dims == [1, 96, 55, 55])
        #expect(try ws.fetchBlob("conv10").dims == [1, 3, 15, 15])
    }

    @Test func mtcnnPNet() throws {
        let data = try Self.ramp([1, 3, 12, 12]) { (Float($0 % 256) - 127.5) * 0.0078125 }
        let ws = try Self.run("mtcnn-pnet", inputs: ["data": data])
        let prob1 = try ws.fetchBlob("prob1")
        #expect(allClose(prob1, [0.999869, 0.000131], atol: 1e-6, rtol: 0))
        let conv42 = try ws.fetchBlob("conv4-2")
        #expect(allClose(conv42, [0.087478, 0.039464, -0.053173, 0.073885], atol: 1e-5, rtol: 0))
        // A larger input gives prob1 [1,2,H',W'] normalised over all 2·H'·W' values (Caffe2's 2-D Softmax).
        let big = try Self.run("mtcnn-pnet", inputs: ["data": try Self.ramp([1, 3, 24, 30]) { Float($0 % 7) * 0.1 }])
        let p = try big.fetchBlob("prob1")
        #expect(p.dims == [1, 2, 7, 10])
        #expect(abs(p.doubleValues().reduce(0, +) - 1) < 1e-5)
    }

    @Test func superResolutionRunsWithoutAFeed() throws {
        let ws = try Self.run("superres-onnx", inputs: [:])
        let out = try ws.fetchBlob("27")
        #expect(out.dims == [1, 1, 672, 672] && out.dataType == .float)
        #expect(out.doubleValues().allSatisfy { $0.isFinite })
    }

    /// LeNet (ONNX export) on all 10,000 MNIST test images, pixels / 255: accuracy 0.9904 and two logit rows.
    @Test func lenetOnTheWholeMNISTTestSet() throws {
        let images = try IDXFile.read(TestSupport.model("mnist-t10k/t10k-images-idx3-ubyte.gz"))
        let labels = try IDXFile.read(TestSupport.model("mnist-t10k/t10k-labels-idx1-ubyte.gz")).values(as: UInt8.self)
        let px = try images.values(as: UInt8.self)
        let ws = Workspace()
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("lenet-mnist-onnx/init_net.pb")))
        let batch = 1000
        ws.feedBlob("1", try Tensor(dims: [batch, 1, 28, 28], dataType: .float))
        var predict = try NetDef(contentsOfFile: TestSupport.model("lenet-mnist-onnx/predict_net.pb"))
        if predict.name.isEmpty { predict.name = "lenet" }
        let net = try ws.createNet(predict)
        var correct = 0
        var logits0: [Double] = [], logits5000: [Double] = []
        for start in stride(from: 0, to: 10_000, by: batch) {
            let values = px[(start * 784)..<((start + batch) * 784)].map { Float($0) / 255 }
            ws.feedBlob("1", try Tensor(dims: [batch, 1, 28, 28], values: values))
            try net.run()
            let out = try ws.fetchBlob("26")
            #expect(out.dims == [Int64(batch), 10])
            let l = try out.values(as: Float.self)
            for i in 0..<batch {
                let row = l[(i * 10)..<(i * 10 + 10)]
                let best = row.indices.max { row[$0] < row[$1] }! - i * 10
                if best == Int(labels[start + i]) { correct += 1 }
                if start + i == 0 { logits0 = row.map(Double.init) }
                if start + i == 5000 { logits5000 = row.map(Double.init) }
            }
        }
        #expect(correct == 9904)
        #expect(allClose(logits0, [
            -3.479505, 0.532218, 4.427814, 4.209540, -8.649336, -2.283898, -17.684515, 20.538225, -2.121883, 3.956278,
        ], atol: 1e-3, rtol: 0))
        #expect(allClose(logits5000, [
            -13.025183, -3.749599, 3.027509, 17.738242, -3.051289, 3.412554, -12.363262, 0.272611, 6.209986, -0.407919,
        ], atol: 1e-3, rtol: 0))
    }

    /// Predict-only nets: load, pass schema checks and shape inference with
    /// synthesised weights of consistent shapes, and run.
    @Test(arguments: [
        ("squeezenet-v1.1-predict-only/squeeze_predict_net.pb", "data", [1, 3, 227, 227]),
        ("squeezenet-v1.1-predict-only/squeezenet_predict.pb", "data", [1, 3, 227, 227]),
        ("zoo-bvlc_alexnet/predict_net.pbtxt", "data", [1, 3, 224, 224]),
        ("zoo-inception_v1/predict_net.pbtxt", "data", [1, 3, 224, 224]),
        ("zoo-resnet50/predict_net.pbtxt", "gpu_0/data", [1, 3, 224, 224]),
    ] as [(String, String, [Int64])])
    func predictOnlyNetsRunWithSynthesisedWeights(_ file: String, _ input: String, _ dims: [Int64]) throws {
        let net = try NetDef(contentsOfFile: TestSupport.model(file))
        let params = try ParameterSynthesizer().parameters(for: net, inputs: [input: TensorShape(dims: dims)])
        // Every external input an op reads, except the data, is a parameter (ResNet-50's
        // external_input also lists an unused data-queue blob).
        let read = Set(net.op.flatMap(\.input))
        let expected = Set(net.externalInput.filter { $0 != input && read.contains($0) })
        let got = Set(params.keys)
        #expect(got == expected, "missing \(expected.subtracting(got).sorted()), extra \(got.subtracting(expected).sorted())")
        let ws = Workspace()
        for (name, t) in params { ws.feedBlob(name, t) }
        ws.feedBlob(input, try Self.ramp(dims.map { Int($0) }) { Float($0 % 255) / 255 })
        let shapes = ws.inferShapes(of: net)
        #expect(shapes.errors.isEmpty, "\(shapes.errors)")
        #expect(shapes.isComplete)
        try ws.runNetOnce(net)
        for name in net.externalOutput {
            let out = try ws.fetchBlob(name)
            #expect(out.dims == shapes.shapes[name]?.dims)
            #expect(out.doubleValues().allSatisfy { $0.isFinite })
        }
        // The softmax output of a classifier sums to one per image.
        let prob = try ws.fetchBlob(net.externalOutput[0])
        #expect(abs(prob.doubleValues().reduce(0, +) - 1) < 1e-4)
    }

    /// Every .pb and .pbtxt under ../shared/models decodes, and every op they use is registered except
    /// the detection and quantisation ops of the two incomplete detection models.
    @Test func everyModelFileLoadsAndItsOpsAreKnown() throws {
        let root = TestSupport.modelsDirectory
        let files = try FileManager.default.subpathsOfDirectory(atPath: root)
            .filter { $0.hasSuffix(".pb") || $0.hasSuffix(".pbtxt") }.sorted()
        #expect(files.count >= 55)
        let detectionOnly: Set<String> = [
            "BBoxTransform", "BoxWithNMSLimit", "GenerateProposals", "RoIAlign", "If", "IsEmpty", "ResizeNearest", "Slice",
        ]
        for f in files {
            let net = try NetDef(contentsOfFile: root + "/" + f)
            for op in net.op where OperatorRegistry.standard.schema(op.type) == nil {
                #expect(detectionOnly.contains(op.type), "\(f): operator \(op.type) is not registered")
            }
        }
    }
}
