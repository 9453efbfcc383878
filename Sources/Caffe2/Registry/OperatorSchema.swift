/// Shape and type inference for one operator: output shapes from input shapes.
public typealias ShapeInferenceFunction =
    @Sendable (_ def: OperatorDef, _ inputs: [TensorShape]) throws -> [TensorShape]

/// What an operator accepts and produces: Caffe2's `OpSchema`.
///
/// Built with chained calls, as with Caffe2's `OPERATOR_SCHEMA` macro:
///
/// ```swift
/// let schema = OperatorSchema("Reciprocal")
///     .numInputs(1).numOutputs(1)
///     .allowInplace([(0, 0)])
///     .identicalTypeAndShape()
///     .doc("Y = 1 / X, element-wise.")
///     .input(0, "X", "input tensor")
///     .output(0, "Y", "output tensor")
/// ```
///
/// ``verify(_:)`` runs when an operator is created and throws Caffe2's
/// messages for a wrong input or output count, a forbidden in-place pair, a
/// missing required argument.
public struct OperatorSchema: Sendable {
    /// An argument's documentation.
    public struct ArgumentDoc: Sendable, Equatable {
        public var name: String
        public var description: String
        public var required: Bool
    }

    /// Documentation of one input or output.
    public struct SlotDoc: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var description: String
    }

    /// Input/output pairs that may (or must) share a blob.
    public enum InPlaceRule: Sendable {
        case none
        case pairs([(input: Int, output: Int)])
        case oneToOne
        case custom(@Sendable (Int, Int) -> Bool)

        func contains(_ i: Int, _ o: Int) -> Bool {
            switch self {
            case .none: return false
            case .pairs(let ps): return ps.contains { $0.input == i && $0.output == o }
            case .oneToOne: return i == o
            case .custom(let f): return f(i, o)
            }
        }

        var isNone: Bool {
            if case .none = self { return true }
            return false
        }

        /// A human-readable list (for docs and `caffe2 ops`).
        var summary: String {
            switch self {
            case .none: return ""
            case .pairs(let ps): return ps.map { "{\($0.input),\($0.output)}" }.joined(separator: ", ")
            case .oneToOne: return "one-to-one"
            case .custom: return "custom"
            }
        }

        /// Explicit pairs (empty for one-to-one or custom rules).
        var explicitPairs: [(Int, Int)] {
            if case .pairs(let ps) = self { return ps.map { ($0.input, $0.output) } }
            return []
        }
    }

    /// The operator type this schema describes.
    public let type: String
    public private(set) var minInputs = 0
    public private(set) var maxInputs = Int.max
    public private(set) var minOutputs = 0
    public private(set) var maxOutputs = Int.max
    private var inputPredicate: (@Sendable (Int) -> Bool)?
    private var outputPredicate: (@Sendable (Int) -> Bool)?
    private var ioPredicate: (@Sendable (Int, Int) -> Bool)?
    private var outputCalculator: (@Sendable (Int) -> Int)?
    /// In-place pairs that are allowed.
    public private(set) var allowedInplace: InPlaceRule = .none
    /// In-place pairs that are required.
    public private(set) var enforcedInplace: InPlaceRule = .none
    /// The inference function; `nil` means outputs are reported unknown.
    public private(set) var inference: ShapeInferenceFunction?
    /// Caffe2's `IdenticalTypeAndShape`-style inference names, for docs.
    public private(set) var inferenceSummary = ""
    public private(set) var documentation = ""
    public private(set) var arguments: [ArgumentDoc] = []
    public private(set) var inputDocs: [SlotDoc] = []
    public private(set) var outputDocs: [SlotDoc] = []
    /// Element types the CPU kernels accept, for docs.
    public private(set) var supportedTypes: [DataType] = []
    public private(set) var inputsCanCrossDevices = false
    /// Hidden from generated docs.
    public private(set) var isPrivate = false

    /// A schema accepting any number of inputs and outputs.
    public init(_ type: String) { self.type = type }

    // MARK: Counts

    public func numInputs(_ n: Int) -> Self { numInputs(n, n) }

    public func numInputs(_ min: Int, _ max: Int) -> Self {
        var s = self
        s.minInputs = min
        s.maxInputs = max
        return s
    }

    public func numInputs(_ allowed: Set<Int>) -> Self {
        var s = numInputs(allowed.min() ?? 0, allowed.max() ?? 0)
        s.inputPredicate = { allowed.contains($0) }
        return s
    }

    public func numInputs(where predicate: @escaping @Sendable (Int) -> Bool) -> Self {
        var s = self
        s.inputPredicate = predicate
        return s
    }

    public func numOutputs(_ n: Int) -> Self { numOutputs(n, n) }

    public func numOutputs(_ min: Int, _ max: Int) -> Self {
        var s = self
        s.minOutputs = min
        s.maxOutputs = max
        return s
    }

    public func numOutputs(_ allowed: Set<Int>) -> Self {
        var s = numOutputs(allowed.min() ?? 0, allowed.max() ?? 0)
        s.outputPredicate = { allowed.contains($0) }
        return s
    }

    public func numOutputs(where predicate: @escaping @Sendable (Int) -> Bool) -> Self {
        var s = self
        s.outputPredicate = predicate
        return s
    }

    /// A joint predicate on (inputs, outputs).
    public func numInputsOutputs(_ predicate: @escaping @Sendable (Int, Int) -> Bool) -> Self {
        var s = self
        s.ioPredicate = predicate
        return s
    }

    /// Expected output count as a function of the input count.
    public func outputCalculator(_ f: @escaping @Sendable (Int) -> Int) -> Self {
        var s = self
        s.outputCalculator = f
        return s
    }

    /// As many outputs as inputs.
    public func sameNumberOfOutput() -> Self { outputCalculator { $0 } }

    /// The number of outputs expected for `inputs` inputs, or `nil` if not fixed.
    public func calculateOutput(_ inputs: Int) -> Int? {
        if minOutputs == maxOutputs { return minOutputs }
        return outputCalculator?(inputs)
    }

    // MARK: In-place

    public func allowInplace(_ pairs: [(Int, Int)]) -> Self {
        var s = self
        s.allowedInplace = .pairs(pairs.map { (input: $0.0, output: $0.1) })
        return s
    }

    public func allowInplace(_ f: @escaping @Sendable (Int, Int) -> Bool) -> Self {
        var s = self
        s.allowedInplace = .custom(f)
        return s
    }

    public func allowOneToOneInplace() -> Self {
        var s = self
        s.allowedInplace = .oneToOne
        return s
    }

    public func enforceInplace(_ pairs: [(Int, Int)]) -> Self {
        var s = self
        s.enforcedInplace = .pairs(pairs.map { (input: $0.0, output: $0.1) })
        return s
    }

    public func enforceInplace(_ f: @escaping @Sendable (Int, Int) -> Bool) -> Self {
        var s = self
        s.enforcedInplace = .custom(f)
        return s
    }

    public func enforceOneToOneInplace() -> Self {
        var s = self
        s.enforcedInplace = .oneToOne
        return s
    }

    // MARK: Inference

    /// A custom inference function.
    public func tensorInference(_ summary: String = "custom", _ f: @escaping ShapeInferenceFunction) -> Self {
        var s = self
        s.inference = f
        s.inferenceSummary = summary
        return s
    }

    /// Every output is a copy of the corresponding input (Caffe2 returns all input shapes).
    public func identicalTypeAndShape() -> Self {
        tensorInference("IdenticalTypeAndShape") { _, inputs in inputs }
    }

    /// One output shaped and typed like input `i`.
    public func identicalTypeAndShapeOfInput(_ i: Int) -> Self {
        tensorInference("IdenticalTypeAndShapeOfInput(\(i))") { def, inputs in
            guard i < inputs.count else { throw inferenceInputError(def, i) }
            return [inputs[i]]
        }
    }

    /// One 1-D output `[in[i].dims[d]]` typed like input `i`.
    public func identicalTypeAndShapeOfInputDim(_ i: Int, _ d: Int) -> Self {
        tensorInference("IdenticalTypeAndShapeOfInputDim(\(i), \(d))") { def, inputs in
            guard i < inputs.count else { throw inferenceInputError(def, i) }
            guard d < inputs[i].dims.count else {
                throw Caffe2Error(.shape, "input \(i) has \(inputs[i].dims.count) dims, needs dim \(d)")
            }
            return [TensorShape(dims: [inputs[i].dims[d]], dataType: inputs[i].dataType)]
        }
    }

    /// One 0-d output of type `t`.
    public func scalarType(_ t: DataType) -> Self {
        tensorInference("ScalarType(\(t.name))") { _, _ in [TensorShape(dims: [], dataType: t)] }
    }

    // MARK: Docs

    public func doc(_ text: String) -> Self {
        var s = self
        s.documentation = text
        return s
    }

    public func arg(_ name: String, _ description: String, required: Bool = false) -> Self {
        var s = self
        s.arguments.append(ArgumentDoc(name: name, description: description, required: required))
        return s
    }

    /// Caffe2's `ArgIsTest`: a required `is_test` argument.
    public func argIsTest(_ description: String) -> Self { arg("is_test", description, required: true) }

    public func input(_ i: Int, _ name: String, _ description: String) -> Self {
        var s = self
        s.inputDocs.append(SlotDoc(index: i, name: name, description: description))
        return s
    }

    public func output(_ i: Int, _ name: String, _ description: String) -> Self {
        var s = self
        s.outputDocs.append(SlotDoc(index: i, name: name, description: description))
        return s
    }

    /// Records the element types the kernels accept (documentation only).
    public func types(_ ts: [DataType]) -> Self {
        var s = self
        s.supportedTypes = ts
        return s
    }

    public func allowInputsToCrossDevices() -> Self {
        var s = self
        s.inputsCanCrossDevices = true
        return s
    }

    public func `private`() -> Self {
        var s = self
        s.isPrivate = true
        return s
    }

    // MARK: Checks

    /// Caffe2's `OpSchema::Verify`: counts, in-place rules, required arguments.
    public func verify(_ def: OperatorDef) throws {
        func fail(_ why: String) -> Caffe2Error {
            Caffe2Error(.schema, "Operator def did not pass schema checking: \(why)", opType: def.type)
        }
        let ni = def.input.count
        let no = def.output.count
        if ni < minInputs || ni > maxInputs {
            throw fail("Input size \(ni) not in range [min=\(minInputs), max=\(maxInputs == Int.max ? "inf" : String(maxInputs))].")
        }
        if let p = inputPredicate, !p(ni) {
            throw fail("Input size \(ni) not in allowed input sizes.")
        }
        if no < minOutputs || no > maxOutputs {
            throw fail("Output size \(no) not in range [min=\(minOutputs), max=\(maxOutputs == Int.max ? "inf" : String(maxOutputs))].")
        }
        if let p = outputPredicate, !p(no) {
            throw fail("Output size \(no) not in allowed output sizes.")
        }
        if let p = ioPredicate, !p(ni, no) {
            throw fail("Input size \(ni) and output size \(no) are not a valid combination.")
        }
        if let expected = calculateOutput(ni), expected != no {
            throw fail("Output size \(no) not matching expected output size, which is \(expected).")
        }
        for i in 0..<ni {
            for o in 0..<no {
                let same = def.input[i] == def.output[o]
                if same && !allowedInplace.contains(i, o) && !enforcedInplace.contains(i, o) {
                    throw fail(
                        "Input index \(i) and output idx \(o) (\(def.input[i])) are set to be in-place but this is actually not supported by op \(def.type)."
                    )
                }
                if !same && enforcedInplace.contains(i, o) {
                    throw fail(
                        "Input index \(i) (\(def.input[i])) and output idx \(o) (\(def.output[o])) are not in-place but should be as required by op \(def.type)."
                    )
                }
            }
        }
        for a in arguments where a.required {
            if !def.arg.contains(where: { $0.name == a.name }) {
                throw fail("Argument '\(a.name)' is required for Operator '\(def.type)'.")
            }
        }
    }

    /// Output shapes from input shapes; every output unknown when there is no inference function.
    public func inferShapes(_ def: OperatorDef, _ inputs: [TensorShape]) throws -> [TensorShape] {
        guard let inference else {
            return def.output.map { _ in TensorShape.unknown() }
        }
        return try inference(def, inputs)
    }
}

func inferenceInputError(_ def: OperatorDef, _ i: Int) -> Caffe2Error {
    Caffe2Error(.shape, "shape inference needs input \(i), the op has \(def.input.count) inputs")
}
