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

    /// Builds the net over `workspace`. If this throws, blobs it created are removed again.
    public init(_ def: NetDef, workspace ws: Workspace) throws {
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
        do {
            for (i, op) in def.op.enumerated() {
                ops.append(try BoundOperator(op, index: i, netDeviceOption: def.deviceOption, workspace: ws))
            }
        } catch {
            ws.removeLocalBlobs(except: before)
            throw error
        }
        operators = ops
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
