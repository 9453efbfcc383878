/// The gradient of one blob: a dense blob, or a sparse (indices, values) pair.
///
/// Caffe2's `GradientWrapper` / Python `GradientSlice`.
public enum Gradient: Hashable, Sendable, CustomStringConvertible {
    case dense(String)
    case sparse(indices: String, values: String)

    /// The dense blob name, if dense.
    public var dense: String? {
        if case .dense(let d) = self { return d }
        return nil
    }

    /// The (indices, values) blob names, if sparse.
    public var sparse: (indices: String, values: String)? {
        if case .sparse(let i, let v) = self { return (i, v) }
        return nil
    }

    /// Whether this is a sparse (indices, values) gradient.
    public var isSparse: Bool {
        if case .sparse = self { return true }
        return false
    }

    /// The dense name, or `(indices, values)`.
    public var description: String {
        switch self {
        case .dense(let d): return d
        case .sparse(let i, let v): return "(\(i), \(v))"
        }
    }
}

/// Builds the gradient operators of one forward operator type: Caffe2's
/// `GradientMakerBase` subclasses and the `NO_GRADIENT`,
/// `SHOULD_NOT_DO_GRADIENT` and `GRADIENT_NOT_IMPLEMENTED_YET` markers.
///
/// ```swift
/// // Reciprocal: ReciprocalGradient(Y, dY) -> dX
/// let maker = GradientMaker.make { g in
///     try g.singleGradientDef("ReciprocalGradient", inputs: [g.O(0), g.GO(0)], outputs: [g.GI(0)])
/// }
/// ```
public struct GradientMaker: Sendable {
    enum Kind: Sendable {
        case make(@Sendable (inout GradientContext) throws -> [OperatorDef])
        case noGradient
        case shouldNotDoGradient
        case notImplementedYet
    }

    let kind: Kind
    /// Copy the forward op's device option onto every gradient op (default true).
    public var copyDeviceOption = true
    /// Copy the forward op's engine onto every gradient op (default true).
    public var copyEngine = true
    /// Append all forward arguments to every gradient op (default true).
    public var copyArguments = true
    /// Set `is_gradient_op` on every gradient op (default true, as Caffe2's C++ makers do).
    /// Caffe2's Python-registered gradient functions leave it unset; turn this off to
    /// reproduce them.
    public var markGradientOp = true

    init(kind: Kind) { self.kind = kind }

    /// A maker that returns gradient operators and records input gradients with `GI`/`SetDense`/...
    ///
    /// - Parameters:
    ///   - copyDeviceOption: copy the forward op's `device_option` (when it has one) onto every gradient op.
    ///   - copyEngine: copy the forward op's `engine` (when it has one) onto every gradient op.
    ///   - copyArguments: append every forward argument after the arguments the maker set.
    ///   - markGradientOp: set `is_gradient_op` on every gradient op.
    ///   - body: builds the gradient operators; records each input's gradient through `GI`,
    ///     `GI_I`/`GI_V`, `SetDense` or `SetSparse`.
    public static func make(
        copyDeviceOption: Bool = true, copyEngine: Bool = true, copyArguments: Bool = true,
        markGradientOp: Bool = true,
        _ body: @escaping @Sendable (inout GradientContext) throws -> [OperatorDef]
    ) -> GradientMaker {
        var m = GradientMaker(kind: .make(body))
        m.copyDeviceOption = copyDeviceOption
        m.copyEngine = copyEngine
        m.copyArguments = copyArguments
        m.markGradientOp = markGradientOp
        return m
    }

    /// `NO_GRADIENT`: no operators, and no input gets a gradient.
    public static let noGradient = GradientMaker(kind: .noGradient)
    /// `SHOULD_NOT_DO_GRADIENT`: asking for the gradient is an error.
    public static let shouldNotDoGradient = GradientMaker(kind: .shouldNotDoGradient)
    /// `GRADIENT_NOT_IMPLEMENTED_YET`: asking for the gradient is an error.
    public static let notImplementedYet = GradientMaker(kind: .notImplementedYet)
}

/// What a gradient maker sees: the forward op, the gradients flowing into its
/// outputs, and the input gradients it has recorded so far.
public struct GradientContext {
    /// The forward operator.
    public let def: OperatorDef
    /// One entry per forward output: its incoming gradient, if any.
    public let gOutput: [Gradient?]
    /// One entry per forward input: the gradient recorded by `GI`, `SetDense`, ...
    public internal(set) var gInput: [Gradient?]

    public init(def: OperatorDef, gOutput: [Gradient?]) {
        self.def = def
        self.gOutput = gOutput
        self.gInput = Array(repeating: nil, count: def.input.count)
    }

    private func fail(_ msg: String) -> Caffe2Error { Caffe2Error(.gradient, msg, opType: def.type) }

    /// Forward input `i`.
    public func I(_ i: Int) throws -> String {
        guard i >= 0, i < def.input.count else { throw fail("input index \(i) out of range for \(def.type)") }
        return def.input[i]
    }

    /// Forward output `i`.
    public func O(_ i: Int) throws -> String {
        guard i >= 0, i < def.output.count else { throw fail("output index \(i) out of range for \(def.type)") }
        return def.output[i]
    }

    /// `I(i) + "_grad"`, recorded as input `i`'s dense gradient.
    public mutating func GI(_ i: Int) throws -> String {
        let name = try I(i) + "_grad"
        if case .sparse = gInput[i] { throw fail("Input \(def.input[i]) already set to sparse.") }
        gInput[i] = .dense(name)
        return name
    }

    /// `I(i) + "_grad_indices"`, recorded as the indices of input `i`'s sparse gradient.
    public mutating func GI_I(_ i: Int) throws -> String {
        let name = try I(i) + "_grad_indices"
        switch gInput[i] {
        case .dense: throw fail("Input \(def.input[i]) already set to dense.")
        case .sparse(_, let v): gInput[i] = .sparse(indices: name, values: v)
        case nil: gInput[i] = .sparse(indices: name, values: "")
        }
        return name
    }

    /// `I(i) + "_grad_values"`, recorded as the values of input `i`'s sparse gradient.
    public mutating func GI_V(_ i: Int) throws -> String {
        let name = try I(i) + "_grad_values"
        switch gInput[i] {
        case .dense: throw fail("Input \(def.input[i]) already set to dense.")
        case .sparse(let idx, _): gInput[i] = .sparse(indices: idx, values: name)
        case nil: gInput[i] = .sparse(indices: "", values: name)
        }
        return name
    }

    /// The raw gradient of output `i`.
    public func gradOut(_ i: Int) -> Gradient? { i < gOutput.count ? gOutput[i] : nil }

    /// The dense gradient of output `i`.
    public func GO(_ i: Int) throws -> String {
        let o = try O(i)
        switch gradOut(i) {
        case .dense(let d): return d
        case .sparse: throw fail("Gradient of output \(o) is sparse (expected dense).")
        case nil: throw fail("Gradient of output \(o) is not provided!")
        }
    }

    /// The indices of output `i`'s sparse gradient.
    public func GO_I(_ i: Int) throws -> String {
        let o = try O(i)
        switch gradOut(i) {
        case .sparse(let idx, _): return idx
        case .dense: throw fail("Gradient of output \(o) is dense (expected sparse).")
        case nil: throw fail("Gradient of output \(o) is not provided!")
        }
    }

    /// The values of output `i`'s sparse gradient.
    public func GO_V(_ i: Int) throws -> String {
        let o = try O(i)
        switch gradOut(i) {
        case .sparse(_, let v): return v
        case .dense: throw fail("Gradient of output \(o) is dense (expected sparse).")
        case nil: throw fail("Gradient of output \(o) is not provided!")
        }
    }

    /// Records an existing blob as input `i`'s dense gradient (pass-through, no op).
    public mutating func SetDense(_ i: Int, _ name: String) throws {
        _ = try I(i)
        if case .sparse = gInput[i] { throw fail("Input \(def.input[i]) already set to sparse.") }
        gInput[i] = .dense(name)
    }

    /// Records existing blobs as input `i`'s sparse gradient (pass-through, no op).
    public mutating func SetSparse(_ i: Int, indices: String, values: String) throws {
        _ = try I(i)
        if case .dense = gInput[i] { throw fail("Input \(def.input[i]) already set to dense.") }
        gInput[i] = .sparse(indices: indices, values: values)
    }

    /// One gradient operator (Caffe2's `SingleGradientDef`).
    public func singleGradientDef(
        _ type: String, name: String = "", inputs: [String], outputs: [String], args: [Argument] = []
    ) -> [OperatorDef] {
        [OperatorDef(type: type, input: inputs, output: outputs, name: name, arg: args)]
    }

    /// One gradient operator, as a single def (for makers that return several).
    public func gradientDef(
        _ type: String, name: String = "", inputs: [String], outputs: [String], args: [Argument] = []
    ) -> OperatorDef {
        OperatorDef(type: type, input: inputs, output: outputs, name: name, arg: args)
    }
}

/// The gradient operators of one forward operator and the gradient of each of its inputs.
public struct GradientOpsMeta: Sendable, Equatable {
    /// The gradient operators, in the order they must run.
    public var ops: [OperatorDef]
    /// One entry per forward input.
    public var gInput: [Gradient?]
}

extension OperatorRegistry {
    /// Caffe2's `GetGradientForOp`: runs the maker of `def.type`, marks its
    /// ops `is_gradient_op`, copies the forward device option, engine and
    /// arguments (unless the maker opts out), and checks the result.
    public func gradient(for def: OperatorDef, gOutput: [Gradient?]) throws -> GradientOpsMeta {
        func fail(_ msg: String) -> Caffe2Error { Caffe2Error(.gradient, msg, opType: def.type) }
        guard let maker = gradientMaker(def.type) else {
            throw fail("Gradient maker for operator \(def.type) not implemented.")
        }
        guard gOutput.count == def.output.count else {
            throw fail("expected \(def.output.count) output gradients for \(def.type), got \(gOutput.count)")
        }
        // GradientMakerBase::Get(): VerifyOp() first, then GetGradientDefs().
        if let schema = schema(def.type) {
            do {
                try schema.verify(def)
            } catch let e as Caffe2Error {
                throw fail("(GradientMaker) \(e.message)")
            }
        }
        switch maker.kind {
        case .shouldNotDoGradient:
            throw fail("One should not call gradient for operator \(def.type).")
        case .notImplementedYet:
            throw fail("Operator \(def.type) should have a gradient but is not implemented yet.")
        case .noGradient, .make:
            break
        }
        guard case .make(let body) = maker.kind else {
            return GradientOpsMeta(ops: [], gInput: Array(repeating: nil, count: def.input.count))
        }
        var ctx = GradientContext(def: def, gOutput: gOutput)
        var ops = try body(&ctx)
        for k in ops.indices {
            if maker.markGradientOp { ops[k].isGradientOp = true }
            if maker.copyDeviceOption, let d = def.deviceOption { ops[k].deviceOption = d }
            if maker.copyEngine, let e = def.engine { ops[k].engine = e }
            if maker.copyArguments, !def.arg.isEmpty { ops[k].arg += def.arg }
        }
        guard ctx.gInput.count == def.input.count else {
            throw fail("gradient maker of \(def.type) returned \(ctx.gInput.count) input gradients for \(def.input.count) inputs")
        }
        for (i, g) in ctx.gInput.enumerated() {
            if case .sparse(let idx, let v) = g, idx.isEmpty || v.isEmpty {
                throw fail("For sparse gradient, one should set both indices and values. Currently we have: (indices: \(idx), values: \(v)) for input \(def.input[i]).")
            }
        }
        return GradientOpsMeta(ops: ops, gInput: ctx.gInput)
    }
}
