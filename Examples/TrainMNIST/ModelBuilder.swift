import Caffe2

/// Builds an init net (parameters, counters) and a train net (input pipeline, forward pass,
/// gradients, SGD updates) the way Caffe2's `model_helper` / `brew` did, with plain `OperatorDef`s.
struct ModelBuilder {
    var initNet = NetDef(name: "mnist_init")
    var trainNet = NetDef(name: "mnist_train")
    /// Parameters in creation order, for the update ops.
    private(set) var params: [String] = []
    /// Forward ops, kept separately so the evaluation net can reuse them.
    private(set) var forward: [OperatorDef] = []

    // MARK: Parameters

    private mutating func param(_ name: String, shape: [Int], fill: String, args: [Argument] = []) -> String {
        initNet.op.append(
            OperatorDef(type: fill, output: [name], arg: [Argument(name: "shape", ints: shape)] + args))
        params.append(name)
        return name
    }

    // MARK: Layers

    mutating func conv(_ x: String, _ out: String, channelsIn: Int, channelsOut: Int, kernel: Int) -> String {
        let w = param("\(out)_w", shape: [channelsOut, channelsIn, kernel, kernel], fill: "XavierFill")
        let b = param("\(out)_b", shape: [channelsOut], fill: "ConstantFill")
        forward.append(
            OperatorDef(type: "Conv", input: [x, w, b], output: [out], arg: [Argument(name: "kernel", int: kernel)]))
        return out
    }

    mutating func maxPool(_ x: String, _ out: String, kernel: Int, stride: Int) -> String {
        forward.append(
            OperatorDef(
                type: "MaxPool", input: [x], output: [out],
                arg: [Argument(name: "kernel", int: kernel), Argument(name: "stride", int: stride)]))
        return out
    }

    mutating func fc(_ x: String, _ out: String, inputs: Int, outputs: Int) -> String {
        let w = param("\(out)_w", shape: [outputs, inputs], fill: "XavierFill")
        let b = param("\(out)_b", shape: [outputs], fill: "ConstantFill")
        forward.append(OperatorDef(type: "FC", input: [x, w, b], output: [out]))
        return out
    }

    mutating func relu(_ x: String) -> String {
        forward.append(OperatorDef(type: "Relu", input: [x], output: [x]))  // in place
        return x
    }

    // MARK: Whole models

    /// LeNet as in Caffe2's MNIST tutorial: conv 5×5×20, pool, conv 5×5×50, pool, fc 500, relu, fc 10.
    mutating func lenet(_ data: String) -> String {
        var x = conv(data, "conv1", channelsIn: 1, channelsOut: 20, kernel: 5)  // 24×24
        x = maxPool(x, "pool1", kernel: 2, stride: 2)  // 12×12
        x = conv(x, "conv2", channelsIn: 20, channelsOut: 50, kernel: 5)  // 8×8
        x = maxPool(x, "pool2", kernel: 2, stride: 2)  // 4×4
        x = fc(x, "fc3", inputs: 50 * 4 * 4, outputs: 500)
        x = relu(x)
        return fc(x, "pred", inputs: 500, outputs: 10)
    }

    /// A multi-layer perceptron: 784 → 256 → 128 → 10 with Relu.
    mutating func mlp(_ data: String) -> String {
        var x = fc(data, "fc1", inputs: 784, outputs: 256)
        x = relu(x)
        x = fc(x, "fc2", inputs: 256, outputs: 128)
        x = relu(x)
        return fc(x, "pred", inputs: 128, outputs: 10)
    }

    // MARK: Training

    /// Assembles the train net: draw a random minibatch of the first `trainCount` images
    /// (UniformIntFill + Gather), scale pixels to [0, 1], run `model`, take SoftmaxWithLoss and
    /// Accuracy, add the gradient operators automatically, then SGD with momentum through
    /// Iter + LearningRate + WeightedSum.
    mutating func buildTraining(
        model: (inout ModelBuilder, String) -> String, batch: Int, trainCount: Int, baseLR: Float,
        momentum: Float, stepSize: Int, gamma: Float
    ) throws {
        // Counters and constants live in the init net.
        initNet.op += [
            OperatorDef(
                type: "ConstantFill", output: ["ITER"],
                arg: [Argument(name: "shape", ints: [1]), Argument(name: "value", int: 0), Argument(name: "dtype", int: 10)]),
            OperatorDef(type: "ConstantFill", output: ["ONE"], arg: [Argument(name: "shape", ints: [1]), Argument(name: "value", float: 1)]),
            OperatorDef(
                type: "ConstantFill", output: ["MOMENTUM"],
                arg: [Argument(name: "shape", ints: [1]), Argument(name: "value", float: momentum)]),
        ]
        trainNet.externalInput = ["images", "labels"]
        var ops: [OperatorDef] = [
            OperatorDef(
                type: "UniformIntFill", output: ["batch_index"],
                arg: [Argument(name: "shape", ints: [batch]), Argument(name: "min", int: 0), Argument(name: "max", int: trainCount - 1)]),
            OperatorDef(type: "Gather", input: ["images", "batch_index"], output: ["batch_u8"]),
            OperatorDef(type: "Gather", input: ["labels", "batch_index"], output: ["label_u8"]),
            OperatorDef(type: "Cast", input: ["batch_u8"], output: ["batch_f"], arg: [Argument(name: "to", int: 1)]),
            OperatorDef(type: "Scale", input: ["batch_f"], output: ["batch_f"], arg: [Argument(name: "scale", float: 1 / 255)]),
            OperatorDef(
                type: "Reshape", input: ["batch_f"], output: ["data", "data_old_shape"],
                arg: [Argument(name: "shape", ints: [-1, 1, 28, 28])]),
            OperatorDef(type: "StopGradient", input: ["data"], output: ["data"]),
            OperatorDef(type: "Cast", input: ["label_u8"], output: ["label"], arg: [Argument(name: "to", int: 2)]),
        ]
        let logits = model(&self, "data")
        ops += forward
        ops += [
            OperatorDef(type: "SoftmaxWithLoss", input: [logits, "label"], output: ["softmax", "loss"]),
            OperatorDef(type: "Accuracy", input: ["softmax", "label"], output: ["accuracy"]),
        ]
        trainNet.op = ops
        for p in params where !trainNet.externalInput.contains(p) { trainNet.externalInput.append(p) }
        trainNet.externalInput += ["ITER", "ONE", "MOMENTUM"]
        // Backward pass, built by the library from the forward ops.
        let gradients = try trainNet.addGradientOperators(losses: ["loss"])
        // SGD with momentum: m = mu*m + lr*g (lr negative); p = p + m.
        trainNet.op += [
            OperatorDef(type: "Iter", input: ["ITER"], output: ["ITER"]),
            OperatorDef(
                type: "LearningRate", input: ["ITER"], output: ["LR"],
                arg: [
                    Argument(name: "base_lr", float: -baseLR), Argument(name: "policy", string: "step"),
                    Argument(name: "stepsize", int: stepSize), Argument(name: "gamma", float: gamma),
                ]),
        ]
        for p in params {
            guard case .dense(let g)? = gradients[p] else {
                throw Caffe2Error(.gradient, "parameter \(p) got no dense gradient")
            }
            initNet.op.append(OperatorDef(type: "ConstantFill", input: [p], output: ["\(p)_momentum"], arg: [Argument(name: "value", float: 0)]))
            trainNet.externalInput.append("\(p)_momentum")
            trainNet.op += [
                OperatorDef(type: "WeightedSum", input: ["\(p)_momentum", "MOMENTUM", g, "LR"], output: ["\(p)_momentum"]),
                OperatorDef(type: "WeightedSum", input: [p, "ONE", "\(p)_momentum", "ONE"], output: [p]),
            ]
        }
        trainNet.externalOutput = ["loss", "accuracy"]
    }

    /// The forward ops alone on a fed `data` blob, for evaluation: `data` → `pred`.
    func evaluationNet() -> NetDef {
        var net = NetDef(name: "mnist_eval", op: forward)
        net.externalInput = ["data"] + params
        net.externalOutput = [forward.last!.output[0]]
        return net
    }
}
