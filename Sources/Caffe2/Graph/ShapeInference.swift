/// The outcome of shape and type inference over a net (see ``inferShapes(of:inputs:registry:)``).
public struct ShapeInferenceResult: Sendable {
    /// What inference said about one operator.
    public struct Step: Sendable {
        public var opIndex: Int
        public var opType: String
        public var opName: String
        /// Input names and their shapes (`unknownShape` where unknown).
        public var inputs: [(name: String, shape: TensorShape)]
        /// Output names and their inferred shapes (`unknownShape` where unknown).
        public var outputs: [(name: String, shape: TensorShape)]
        /// Why outputs are unknown, when they are.
        public var note: String?
    }

    /// One entry per operator, in order.
    public var steps: [Step] = []
    /// The final shape of every blob the net reads or writes (`unknownShape` where unknown).
    public var shapes: [String: TensorShape] = [:]
    /// Schema violations, unknown operators and shape mismatches found on the way.
    public var errors: [Caffe2Error] = []

    /// Whether every output of every op got a known shape and nothing was wrong.
    public var isComplete: Bool {
        errors.isEmpty && steps.allSatisfy { $0.outputs.allSatisfy { !$0.shape.unknownShape } }
    }
}

/// Infers every blob's dims and type over `net` from the shapes of its inputs, without running it.
///
/// Follows Caffe2's `InferBlobShapesAndTypes`: operators run their schema's
/// inference function in order; an op whose inputs are not all known, or
/// that has no inference function, marks its outputs unknown (nothing is
/// guessed); `Sum` lends the first known input shape to unknown inputs;
/// outputs of gradient ops named `<param>_grad` that come out unknown take
/// `<param>`'s shape. Schema violations and shape mismatches are collected
/// in ``ShapeInferenceResult/errors`` with the op index, type and blob.
///
/// ```swift
/// let r = inferShapes(of: net, inputs: ["data": TensorShape(dims: [1, 3, 224, 224])])
/// r.shapes["prob"]?.dims      // [1, 1000]
/// ```
public func inferShapes(
    of net: NetDef, inputs: [String: TensorShape], registry: OperatorRegistry = .standard
) -> ShapeInferenceResult {
    var result = ShapeInferenceResult()
    var known = inputs
    for (index, rawOp) in net.op.enumerated() {
        var op = rawOp
        if op.deviceOption == nil { op.deviceOption = net.deviceOption }
        func located(_ e: Caffe2Error) -> Caffe2Error { e.inOperator(index: index, type: op.type, name: op.name) }
        var inputShapes = op.input.map { known[$0] ?? TensorShape.unknown() }
        var step = ShapeInferenceResult.Step(
            opIndex: index, opType: op.type, opName: op.name,
            inputs: Array(zip(op.input, inputShapes)).map { (name: $0.0, shape: $0.1) }, outputs: [], note: nil)
        func markUnknown(_ why: String) {
            step.note = why
            step.outputs = op.output.map { (name: $0, shape: TensorShape.unknown()) }
            for o in op.output { known[o] = TensorShape.unknown() }
        }
        defer { result.steps.append(step) }

        guard let schema = registry.schema(op.type) else {
            result.errors.append(
                located(registry.unknownOperatorError(op.type, device: op.deviceOption?.deviceType ?? .cpu)))
            markUnknown("no operator '\(op.type)' is registered")
            continue
        }
        do {
            try schema.verify(op)
        } catch let e as Caffe2Error {
            result.errors.append(located(e))
            markUnknown("the op fails its schema")
            continue
        } catch {
            markUnknown("\(error)")
            continue
        }
        if op.type == "Sum", let firstKnown = inputShapes.first(where: { !$0.unknownShape }) {
            for i in inputShapes.indices where inputShapes[i].unknownShape { inputShapes[i] = firstKnown }
        }
        if let missing = zip(op.input, inputShapes).first(where: { $0.1.unknownShape }) {
            markUnknown("input '\(missing.0)' has no known shape")
            continue
        }
        guard schema.inference != nil else {
            markUnknown("\(op.type) has no shape inference")
            continue
        }
        var outputs: [TensorShape]
        do {
            outputs = try schema.inferShapes(op, inputShapes)
        } catch let e as Caffe2Error {
            result.errors.append(located(e))
            markUnknown("inference failed: \(e.message)")
            continue
        } catch {
            markUnknown("inference failed: \(error)")
            continue
        }
        // IdenticalTypeAndShape returns every input shape; keep the first output's worth.
        if outputs.count > op.output.count && schema.inferenceSummary == "IdenticalTypeAndShape" {
            outputs = Array(outputs.prefix(op.output.count))
        }
        guard outputs.count == op.output.count else {
            result.errors.append(
                located(
                    Caffe2Error(
                        .shape,
                        "Invalid shape inference for operator \(op.type) Expected \(op.output.count) outputs, but got \(outputs.count)"
                    )))
            markUnknown("inference returned \(outputs.count) shapes for \(op.output.count) outputs")
            continue
        }
        if op.isGradientOp {
            for (i, name) in op.output.enumerated() where outputs[i].unknownShape && name.hasSuffix("_grad") {
                if let param = known[String(name.dropLast(5))], !param.unknownShape { outputs[i] = param }
            }
        }
        for (i, name) in op.output.enumerated() {
            var s = outputs[i]
            s.$name = nil
            known[name] = s
        }
        step.outputs = zip(op.output, outputs).map { (name: $0.0, shape: $0.1) }
    }
    result.shapes = known
    return result
}

extension Workspace {
    /// Infers shapes over `net` seeded with the tensors already in this
    /// workspace (weights from an init net, fed inputs) plus `inputs`.
    public func inferShapes(of net: NetDef, inputs: [String: TensorShape] = [:]) -> ShapeInferenceResult {
        var seeds: [String: TensorShape] = [:]
        for name in blobNames {
            if let t = blob(named: name)?.tensor { seeds[name] = TensorShape(dims: t.dims, dataType: t.dataType) }
        }
        seeds.merge(inputs) { _, new in new }
        return Caffe2.inferShapes(of: net, inputs: seeds, registry: registry)
    }
}
