import Synchronization

/// Runs a model — an init net plus a predict net — from Swift: Caffe2's `Predictor`.
///
/// The init net runs once into a shared workspace that holds the weights.
/// Each ``run(_:)-([String:Tensor])`` call then works in a child workspace of
/// that shared one (weights visible read-only, activations private), so any
/// number of threads may call `run` at the same time. Child workspaces and
/// their bound nets are pooled and reused, so repeated calls allocate no
/// activation memory after the first ones.
///
/// ```swift
/// let predictor = try Predictor(
///     initNet: try NetDef(contentsOfFile: "init_net.pb"),
///     predictNet: try NetDef(contentsOfFile: "predict_net.pb"))
/// let out = try predictor.run(["data": image])       // by name
/// let prob = try predictor.run([image])[0]           // positionally
/// ```
public final class Predictor: Sendable {
    /// The predict net as given.
    public let predictNet: NetDef
    /// The shared workspace holding what the init net created.
    public let sharedWorkspace: Workspace
    /// The predict net's external inputs that the init net did not create
    /// (the data inputs), in `external_input` order: what positional
    /// ``run(_:)-([Tensor])`` feeds.
    public let inputNames: [String]
    /// The predict net's `external_output`s, returned by every run.
    public let outputNames: [String]

    private let netDef: NetDef
    private let pool = Mutex<[PooledRunner]>([])

    private final class PooledRunner: @unchecked Sendable {
        let workspace: Workspace
        let net: Net
        init(workspace: Workspace, net: Net) {
            self.workspace = workspace
            self.net = net
        }
    }

    /// Runs `initNet` once and prepares `predictNet`; throws if either fails to
    /// build or the init net fails to run.
    public init(initNet: NetDef, predictNet: NetDef, registry: OperatorRegistry = .standard) throws {
        let shared = Workspace(registry: registry)
        try shared.runNetOnce(initNet)
        self.sharedWorkspace = shared
        self.predictNet = predictNet
        var def = predictNet
        if def.name.isEmpty { def.name = "predict" }
        self.netDef = def
        inputNames = predictNet.externalInput.filter { shared.blob(named: $0)?.tensor == nil }
        outputNames = predictNet.externalOutput
        // Build one runner now so a net that cannot be created fails here, not on the first run.
        let first = try makeRunner()
        pool.withLock { $0.append(first) }
    }

    private func makeRunner() throws -> PooledRunner {
        let ws = Workspace(parent: sharedWorkspace)
        // Data inputs exist as empty blobs so the operators can bind to them (as Caffe2's Predictor does).
        for name in inputNames { ws.createLocalBlob(name) }
        return PooledRunner(workspace: ws, net: try Net(netDef, workspace: ws))
    }

    /// Runs the predict net with inputs given by name and returns every external output by name.
    ///
    /// Any external input may be fed, including one the init net created (the
    /// fed value shadows it for this call only).
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        for name in inputs.keys where !predictNet.externalInput.contains(name) {
            throw Caffe2Error(
                .invalidInput,
                "'\(name)' is not an input of net '\(predictNet.name)'; its inputs are \(inputNames.joined(separator: ", "))",
                blob: name)
        }
        let runner = try pool.withLock { $0.popLast() } ?? makeRunner()
        defer { pool.withLock { $0.append(runner) } }
        let ws = runner.workspace
        var shadowed: [String] = []
        for (name, tensor) in inputs {
            if !inputNames.contains(name) { shadowed.append(name) }
            ws.feedBlob(name, tensor)
        }
        defer { for name in shadowed { ws.removeBlob(name) } }
        let net: Net
        if shadowed.isEmpty {
            net = runner.net
        } else {
            // Operators were bound to the shared blobs; rebind this call to the shadows.
            net = try Net(netDef, workspace: ws)
        }
        for name in inputNames where ws.blob(named: name)?.tensor == nil {
            throw Caffe2Error(.missingBlob, "input '\(name)' was not given", blob: name)
        }
        try net.run()
        var out: [String: Tensor] = [:]
        for name in outputNames { out[name] = try ws.fetchBlob(name) }
        // Drop the inputs so the workspace does not keep the caller's tensors alive.
        for name in inputNames { ws.blob(named: name)?.tensor = nil }
        return out
    }

    /// Runs with inputs in the order of ``inputNames`` and returns outputs in the order of ``outputNames``.
    public func run(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count <= inputNames.count else {
            throw Caffe2Error(
                .invalidInput, "\(inputs.count) inputs given, the net takes \(inputNames.count): \(inputNames.joined(separator: ", "))")
        }
        let named = Dictionary(uniqueKeysWithValues: zip(inputNames, inputs))
        let out = try run(named)
        return outputNames.map { out[$0]! }
    }
}
