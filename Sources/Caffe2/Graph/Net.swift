/// A question the net asks an operator's kernel factory while binding it, for
/// net-level fusion (docs/architecture.md, "Net-level fusion").
///
/// The net binds the factory inside `FusionRequest.$current.withValue(request)`;
/// a factory that can do what is asked calls ``accept(_:)``, which marks the
/// request accepted. A factory that never looks (a custom kernel) leaves it
/// unaccepted, and the net then binds the ops unfused, so fusion never depends
/// on a kernel it does not know.
final class FusionRequest: @unchecked Sendable {
    /// What the net asks.
    enum Kind: Sendable {
        /// Apply `Y = max(Y, 0)` (NaN and -0 kept, as Relu does) to output 0
        /// before it is stored: a Relu that runs in place on it follows.
        case applyRelu
        /// This in-place Relu's input already had the Relu applied by the op
        /// before it: become a no-op.
        case absorbRelu
        /// Also write the output of the `Add(Y, b)` that follows (legacy
        /// broadcast of a 1-D `b` along axis 1, as ONNX-exported nets carry
        /// their convolution biases): `Z = Y + b[channel]`, one float addition
        /// each, as the Add computes it, while `Y` is still in cache. When a
        /// run cannot (b of another shape or type), it leaves it to the Add.
        case writeBiasAdd
        /// This Add's output was written by the op before it (on the runs
        /// where ``FusionRequest/biasAddDone`` says so): skip those runs.
        case absorbBiasAdd
    }

    let kind: Kind
    private(set) var accepted = false
    /// `writeBiasAdd`: the Add's context (its B input and output), set by the
    /// net once the Add is bound. `absorbBiasAdd`: the producer's request.
    weak var addContext: OperatorContext?
    var producer: FusionRequest?
    /// `writeBiasAdd`: set by the producer on a run that wrote the Add's
    /// output, cleared by the Add.
    var biasAddDone = false

    init(_ kind: Kind) { self.kind = kind }

    /// The request of the operator being bound, if any.
    @TaskLocal static var current: FusionRequest?

    /// Called by a kernel factory: whether the net asked for `kind` (and then
    /// the factory has promised to do it).
    static func accept(_ kind: Kind) -> Bool { acceptRequest(kind) != nil }

    /// Like ``accept(_:)``, returning the request (which the kernel keeps to
    /// talk to its partner at run time).
    static func acceptRequest(_ kind: Kind) -> FusionRequest? {
        guard let r = current, r.kind == kind else { return nil }
        r.accepted = true
        return r
    }
}

/// One operator bound to its blobs in a workspace.
final class BoundOperator {
    let def: OperatorDef
    let index: Int?
    let engine: String
    let context: OperatorContext
    private let body: OperatorRun

    /// Checks `def` against its schema, picks a kernel, binds inputs (which
    /// must exist) and creates outputs (local blobs).
    init(_ rawDef: OperatorDef, index: Int?, netDeviceOption: DeviceOption?, workspace ws: Workspace) throws {
        var def = rawDef
        if def.deviceOption == nil, let d = netDeviceOption { def.deviceOption = d }
        self.def = def
        self.index = index
        func located(_ e: Caffe2Error) -> Caffe2Error { e.inOperator(index: index, type: def.type, name: def.name) }
        do {
            if let d = def.deviceOption, !d.nodeName.isEmpty {
                throw Caffe2Error(.net, "node_name must be empty for all operators at execution time (got '\(d.nodeName)').")
            }
            let device = def.deviceOption?.deviceType ?? .cpu
            guard let schema = ws.registry.schema(def.type) else {
                throw ws.registry.unknownOperatorError(def.type, device: device)
            }
            try schema.verify(def)
            let (factory, engine) = try ws.registry.kernel(for: def, device: device)
            self.engine = engine
            var inputs: [Blob] = []
            inputs.reserveCapacity(def.input.count)
            for name in def.input {
                guard let b = ws.blob(named: name) else {
                    throw Caffe2Error(
                        .missingBlob,
                        "Encountered a non-existing input blob: \(name)\(ws.suggestion(for: name))", blob: name)
                }
                inputs.append(b)
            }
            let outputs = def.output.map { ws.createLocalBlob($0) }
            context = OperatorContext(def: def, index: index, inputs: inputs, outputs: outputs, workspace: ws)
            body = try factory(def, try Arguments(def))
        } catch let e as Caffe2Error {
            throw located(e)
        }
    }

    /// Runs the kernel; errors carry the op's index, type and name.
    @inline(__always)
    func run() throws {
        defer { context.finishRun() }
        do {
            try body(context)
        } catch let e as Caffe2Error {
            throw e.inOperator(index: index, type: def.type, name: def.name)
        } catch {
            throw Caffe2Error(.runtime, "\(error)", opIndex: index, opType: def.type, opName: def.name)
        }
    }
}

/// A net bound to a workspace: Caffe2's `SimpleNet`.
///
/// Creating a net checks the definition (executor type, `external_input`
/// and `external_output` consistency, each operator's schema) and binds every
/// operator to its blobs once; running it runs the operators in order. A
/// failing operator stops the run with an error naming its index, type and
/// name; outputs already written stay, nothing after it runs.
///
/// ```swift
/// let net = try workspace.createNet(netDef)
/// try net.run()
/// ```
public final class Net {
    /// The definition the net was created from.
    public let def: NetDef
    let operators: [BoundOperator]

    /// Net types that run here: `simple` and the Caffe2 types whose
    /// semantics a sequential run preserves (they only add parallelism).
    public static let supportedTypes: Set<String> = [
        "simple", "dag", "async_dag", "async_scheduling", "async_simple", "async_polling", "prof_dag",
        "singlethread_async", "parallel",
    ]

    /// The net's name.
    public var name: String { def.name }

    /// The number of operators.
    public var operatorCount: Int { operators.count }

    /// The operator definitions as bound (net device option applied).
    public var operatorDefs: [OperatorDef] { operators.map(\.def) }

    /// The engine each operator runs with (`""` for the default implementation).
    public var engines: [String] { operators.map(\.engine) }

    /// Indices of operators whose work was fused into the operator before
    /// them (an in-place Relu now applied by the convolution before it).
    public let fusedOperators: Set<Int>

    /// Builds the net over `workspace`. If this throws, blobs it created are removed again.
    ///
    /// With `fuse` (the default), an in-place `Relu` directly after an operator
    /// whose kernel can apply it (Conv, FC) is folded into that operator: the
    /// Relu is applied while the output is still in registers and the Relu op
    /// runs as a no-op; and a bias `Add(Y, b, broadcast=1, axis=1)` after a
    /// Conv has its output written by the Conv while `Y` is in cache (the Add
    /// then skips that run). Every blob ends up with the same bits as without
    /// fusion; `fuse: false` binds every operator as written.
    public init(_ def: NetDef, workspace ws: Workspace, fuse: Bool = true) throws {
        self.def = def
        if let t = def.type, !t.isEmpty, !Net.supportedTypes.contains(t) {
            throw Caffe2Error(
                .net,
                "Error when creating the network. Maybe net type: [\(t)] does not exist (known: \(Net.supportedTypes.sorted().joined(separator: ", ")))."
            )
        }
        try Net.checkExternalBlobs(def)
        let before = ws.localBlobsSnapshot()
        var ops: [BoundOperator] = []
        ops.reserveCapacity(def.op.count)
        var fused = Set<Int>()
        do {
            var previous: FusionRequest?
            for (i, op) in def.op.enumerated() {
                let request: FusionRequest?
                if let p = previous, p.accepted, p.kind == .applyRelu {
                    request = FusionRequest(.absorbRelu)
                } else if let p = previous, p.accepted, p.kind == .writeBiasAdd {
                    request = FusionRequest(.absorbBiasAdd)
                    request?.producer = p
                } else if fuse && i + 1 < def.op.count && Net.reluFollows(op, def.op[i + 1]) {
                    request = FusionRequest(.applyRelu)
                } else if fuse && i + 1 < def.op.count && Net.biasAddFollows(op, def.op[i + 1]) {
                    request = FusionRequest(.writeBiasAdd)
                } else {
                    request = nil
                }
                let bound = try FusionRequest.$current.withValue(request) {
                    try BoundOperator(op, index: i, netDeviceOption: def.deviceOption, workspace: ws)
                }
                ops.append(bound)
                if let r = request, r.kind == .absorbRelu || r.kind == .absorbBiasAdd {
                    if r.accepted { fused.insert(i) }
                    // The Add's kernel did not take part: the producer must not write its output.
                    if r.kind == .absorbBiasAdd { r.producer?.addContext = r.accepted ? bound.context : nil }
                    previous = nil
                } else {
                    previous = request
                }
                // The Relu is only told to stand down once its producer has promised to apply it; if
                // the producer declined, the Relu runs (and if the Relu declines, applying it twice is
                // harmless: max(max(y, 0), 0) == max(y, 0) bit for bit). A bias Add stands down only
                // on the runs where its producer wrote its output.
            }
        } catch {
            ws.removeLocalBlobs(except: before)
            throw error
        }
        operators = ops
        fusedOperators = fused
    }

    /// Whether `next` is a Relu running in place on `op`'s only output, so that
    /// no operator can read the value before the Relu.
    static func reluFollows(_ op: OperatorDef, _ next: OperatorDef) -> Bool {
        guard next.type == "Relu", op.output.count == 1, next.input.count == 1, next.output.count == 1,
            next.input[0] == op.output[0], next.output[0] == op.output[0], !op.input.contains(op.output[0])
        else { return false }
        // Both on the same device (the net's default applies to each).
        return next.deviceOption?.deviceType == op.deviceOption?.deviceType
    }

    /// Whether `next` is `Add(Y, b) -> Z` in Caffe2's legacy broadcast form along axis 1 (no other
    /// arguments) on `op`'s only output `Y`, with `Z` a new blob: the bias Add that ONNX-exported
    /// nets put after each bias-free convolution.
    static func biasAddFollows(_ op: OperatorDef, _ next: OperatorDef) -> Bool {
        guard next.type == "Add", op.output.count == 1, next.input.count == 2, next.output.count == 1,
            next.input[0] == op.output[0], next.input[1] != op.output[0], next.output[0] != op.output[0],
            next.output[0] != next.input[1], !op.input.contains(op.output[0]), !op.input.contains(next.output[0]),
            next.engine == nil || next.engine == "" || next.engine == "DEFAULT"
        else { return false }
        let names = Set(next.arg.map(\.name))
        guard names == ["broadcast", "axis"],
            next.arg.first(where: { $0.name == "broadcast" })?.i == 1,
            next.arg.first(where: { $0.name == "axis" })?.i == 1
        else { return false }
        return next.deviceOption?.deviceType == op.deviceOption?.deviceType
    }

    /// Caffe2's NetBase checks of `external_input` and `external_output`.
    static func checkExternalBlobs(_ def: NetDef) throws {
        var known = Set(def.externalInput)
        for (i, op) in def.op.enumerated() {
            if !def.externalInput.isEmpty {
                for input in op.input where !known.contains(input) {
                    throw Caffe2Error(
                        .net,
                        "Source for input \(input) is unknown for net \(def.name): it is not an external_input and no earlier op produces it",
                        opIndex: i, opType: op.type, opName: op.name, blob: input)
                }
            }
            known.formUnion(op.output)
        }
        for o in def.externalOutput where !known.contains(o) {
            throw Caffe2Error(
                .net,
                "Some of the blobs are declared as output but never produced by the net \(def.name), the first one is \(o)",
                blob: o)
        }
    }

    /// Runs every operator once, in order.
    public func run() throws {
        for op in operators { try op.run() }
    }

    /// Runs the net once and returns the time each operator took.
    public func runTimed() throws -> [Duration] {
        let clock = ContinuousClock()
        var times: [Duration] = []
        times.reserveCapacity(operators.count)
        for op in operators {
            let t0 = clock.now
            try op.run()
            times.append(clock.now - t0)
        }
        return times
    }
}
