// Trains an MLP and a LeNet-style convolutional net on MNIST with swift-caffe2: the nets are
// built in Swift, the backward pass is added automatically (`addGradientOperators`), and
// parameters are updated by Iter + LearningRate + WeightedSum (SGD with momentum).
//
// Trains on MNIST test images 0–7999 and reports accuracy on the held-out images 8000–9999.
//
//   swift run -c release train-mnist                      # both models
//   swift run -c release train-mnist --model lenet --iterations 800
//   swift run -c release train-mnist --write-nets Examples/mnist   # regenerate the .pbtxt nets
//
// The MNIST files default to ../shared/models/mnist-t10k (pass --data DIR to change).
import Caffe2
import Foundation

struct Options {
    var model = "both"
    var data = "../shared/models/mnist-t10k"
    var iterations: Int? = nil
    var batch = 64
    var writeNets: String? = nil
    var seed: UInt64 = 42

    init(_ args: [String]) throws {
        var it = args.makeIterator()
        while let a = it.next() {
            func value() throws -> String {
                guard let v = it.next() else { throw Caffe2Error(.invalidInput, "\(a) needs a value") }
                return v
            }
            switch a {
            case "--model": model = try value()
            case "--data": data = try value()
            case "--iterations": iterations = Int(try value())
            case "--batch": batch = Int(try value()) ?? 64
            case "--write-nets": writeNets = try value()
            case "--seed": seed = UInt64(try value()) ?? 42
            case "-h", "--help":
                print("usage: train-mnist [--model lenet|mlp|both] [--data DIR] [--iterations N] [--batch N] [--write-nets DIR] [--seed N]")
                exit(0)
            default: throw Caffe2Error(.invalidInput, "unknown option \(a)")
            }
        }
        guard ["lenet", "mlp", "both"].contains(model) else {
            throw Caffe2Error(.invalidInput, "--model must be lenet, mlp or both")
        }
    }
}

struct Config {
    var name: String
    var model: (inout ModelBuilder, String) -> String
    var iterations: Int
    var baseLR: Float
    /// Iterations between learning-rate drops (×0.1).
    var stepSize: Int
}

/// Builds, trains and evaluates one model; returns the held-out accuracy.
func train(_ config: Config, images: Tensor, labels: Tensor, options: Options) throws -> Double {
    var builder = ModelBuilder()
    try builder.buildTraining(
        model: config.model, batch: options.batch, trainCount: 8000, baseLR: config.baseLR, momentum: 0.9,
        stepSize: config.stepSize, gamma: 0.1)
    // Seed the minibatch sampler so runs are reproducible.
    builder.trainNet.op[0].deviceOption = DeviceOption(randomSeed: UInt32(truncatingIfNeeded: options.seed))
    for i in builder.initNet.op.indices where builder.initNet.op[i].type == "XavierFill" {
        builder.initNet.op[i].deviceOption = DeviceOption(randomSeed: UInt32(truncatingIfNeeded: options.seed) &+ UInt32(i))
    }
    if let dir = options.writeNets {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try builder.initNet.write(toFile: "\(dir)/\(config.name)_init.pbtxt")
        try builder.trainNet.write(toFile: "\(dir)/\(config.name)_train.pbtxt")
        print("wrote \(dir)/\(config.name)_init.pbtxt and \(dir)/\(config.name)_train.pbtxt")
    }

    let ws = Workspace()
    ws.feedBlob("images", images)
    ws.feedBlob("labels", labels)
    try ws.runNetOnce(builder.initNet)
    let net = try ws.createNet(builder.trainNet)
    print("\n== \(config.name): \(builder.params.count) parameter blobs, \(builder.trainNet.op.count) train ops, \(config.iterations) iterations of \(options.batch)")
    let clock = ContinuousClock()
    let start = clock.now
    var smoothed = 0.0
    for i in 1...config.iterations {
        try net.run()
        let loss = Double(try ws.fetchBlob("loss").values(as: Float.self)[0])
        smoothed = i == 1 ? loss : 0.95 * smoothed + 0.05 * loss
        if i % 50 == 0 || i == 1 || i == config.iterations {
            let acc = try ws.fetchBlob("accuracy").values(as: Float.self)[0]
            let t = clock.now - start
            print("iter \(i): loss \(String(format: "%.4f", loss)) (smoothed \(String(format: "%.4f", smoothed))), batch accuracy \(String(format: "%.3f", acc)), \(t.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
        }
    }
    let trainTime = clock.now - start

    // Held-out evaluation on images 8000–9999 with the forward ops alone.
    let eval = try ws.createNet(builder.evaluationNet(), overwrite: true)
    let px = try images.values(as: UInt8.self)
    let lb = try labels.values(as: UInt8.self)
    var correct = 0
    let evalBatch = 500
    for start in stride(from: 8000, to: 10_000, by: evalBatch) {
        let values = px[(start * 784)..<((start + evalBatch) * 784)].map { Float($0) / 255 }
        ws.feedBlob("data", try Tensor(dims: [evalBatch, 1, 28, 28], values: values))
        try eval.run()
        let logits = try ws.fetchBlob("pred").values(as: Float.self)
        for i in 0..<evalBatch {
            let row = logits[(i * 10)..<(i * 10 + 10)]
            let best = row.indices.max { row[$0] < row[$1] }! - i * 10
            if best == Int(lb[start + i]) { correct += 1 }
        }
    }
    let accuracy = Double(correct) / 2000
    print("\(config.name): held-out accuracy on images 8000–9999: \(String(format: "%.4f", accuracy)) (\(correct)/2000); training took \(trainTime.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
    return accuracy
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let images = try IDXFile.read("\(options.data)/t10k-images-idx3-ubyte.gz")
    let labels = try IDXFile.read("\(options.data)/t10k-labels-idx1-ubyte.gz")
    print("MNIST: images \(images.dims), labels \(labels.dims); training on 0–7999, testing on 8000–9999")
    var results: [(String, Double, Double)] = []
    if options.model != "lenet" {
        let acc = try train(
            Config(name: "mlp", model: { $0.mlp($1) }, iterations: options.iterations ?? 1500, baseLR: 0.05, stepSize: 750),
            images: images, labels: labels, options: options)
        results.append(("MLP", acc, 0.93))
    }
    if options.model != "mlp" {
        let acc = try train(
            Config(name: "lenet", model: { $0.lenet($1) }, iterations: options.iterations ?? 1000, baseLR: 0.02, stepSize: 500),
            images: images, labels: labels, options: options)
        results.append(("LeNet", acc, 0.97))
    }
    print("")
    for (name, acc, goal) in results {
        print("\(name): \(String(format: "%.2f", acc * 100))% held-out accuracy (goal \(Int(goal * 100))%) \(acc >= goal ? "✓" : "✗")")
    }
} catch {
    print("error: \(error)")
    exit(1)
}
