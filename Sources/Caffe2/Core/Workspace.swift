import Foundation

/// A named slot in a ``Workspace`` holding a ``Tensor`` (or nothing yet).
///
/// Blobs are owned by their workspace; operators bound to a net keep
/// references to the blobs they read and write, so a net run does no name
/// lookups.
public final class Blob: @unchecked Sendable {
    /// The blob's name in its workspace.
    public let name: String
    /// The content when `hasTensor`, a shared empty tensor otherwise. A
    /// pointer to a non-optional tensor, so the per-operator hot path reads
    /// single fields without copying the tensor or paying a dynamic
    /// exclusivity check.
    @usableFromInline let slot: UnsafeMutablePointer<Tensor>
    @exclusivity(unchecked) @usableFromInline var hasTensor: Bool

    /// The content; `nil` for a blob that was created but never written.
    public var tensor: Tensor? {
        get { hasTensor ? slot.pointee : nil }
        set {
            if let t = newValue {
                slot.pointee = t
                hasTensor = true
            } else {
                slot.pointee = Tensor.placeholder
                hasTensor = false
            }
        }
    }

    init(name: String, tensor: Tensor? = nil) {
        self.name = name
        slot = .allocate(capacity: 1)
        slot.initialize(to: tensor ?? Tensor.placeholder)
        hasTensor = tensor != nil
    }

    deinit {
        slot.deinitialize(count: 1)
        slot.deallocate()
    }
}

/// Named blobs and the nets that run over them: Caffe2's `Workspace`.
///
/// A workspace can have a *parent*: the parent's blobs are visible (read
/// only) unless a local blob of the same name shadows them, which lets many
/// predict workspaces share one set of weights. Operators never write into a
/// parent's blob: an output with a parent's name gets a local blob.
///
/// ```swift
/// let ws = Workspace()
/// ws.feedBlob("X", Tensor([1, 2, 4] as [Float]))
/// try ws.runOperatorOnce(OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"]))
/// try ws.fetchBlob("Y").values(as: Float.self)   // [1.0, 0.5, 0.25]
/// ```
///
/// A workspace is not itself thread-safe: use one per thread. Reading a
/// parent from several child workspaces at once is safe as long as nobody
/// writes to the parent meanwhile.
public final class Workspace: @unchecked Sendable {
    /// The operators this workspace creates nets with.
    public let registry: OperatorRegistry
    /// The workspace whose blobs are visible read-only, if any.
    public let parent: Workspace?
    private var blobs: [String: Blob] = [:]
    private var nets: [String: Net] = [:]

    /// A workspace using `registry` (the standard operators by default).
    public init(parent: Workspace? = nil, registry: OperatorRegistry? = nil) {
        self.parent = parent
        self.registry = registry ?? parent?.registry ?? .standard
    }

    // MARK: Blobs

    /// Whether `name` is a local blob or visible in the parent chain.
    public func hasBlob(_ name: String) -> Bool {
        blobs[name] != nil || (parent?.hasBlob(name) ?? false)
    }

    /// The blob called `name`: local first, then the parent chain; `nil` if absent.
    public func blob(named name: String) -> Blob? {
        if let b = blobs[name] { return b }
        return parent?.blob(named: name)
    }

    /// Creates an empty local blob, or returns the visible blob of that name (Caffe2's `CreateBlob`).
    @discardableResult
    public func createBlob(_ name: String) -> Blob {
        if let b = blob(named: name) { return b }
        return createLocalBlob(name)
    }

    /// Creates an empty local blob or returns the existing local one; may shadow a parent's blob.
    @discardableResult
    public func createLocalBlob(_ name: String) -> Blob {
        if let b = blobs[name] { return b }
        let b = Blob(name: name)
        blobs[name] = b
        return b
    }

    /// Removes a local blob; returns whether it existed. Parent blobs are never removed.
    @discardableResult
    public func removeBlob(_ name: String) -> Bool {
        blobs.removeValue(forKey: name) != nil
    }

    /// Names of the local and visible parent blobs, sorted, without duplicates.
    public var blobNames: [String] {
        var all = Set(blobs.keys)
        if let p = parent { all.formUnion(p.blobNames) }
        return all.sorted()
    }

    /// Names of the local blobs only, sorted.
    public var localBlobNames: [String] { blobs.keys.sorted() }

    /// Stores `tensor` in the local blob `name` (created if needed). The
    /// workspace keeps its own copy-on-write reference; later changes to the
    /// caller's tensor are not seen, and operators never write into it.
    public func feedBlob(_ name: String, _ tensor: Tensor) {
        createLocalBlob(name).tensor = tensor
    }

    /// The tensor in blob `name`; throws if the blob is missing or empty.
    public func fetchBlob(_ name: String) throws -> Tensor {
        guard let b = blob(named: name) else {
            throw Caffe2Error(.missingBlob, "blob '\(name)' does not exist\(suggestion(for: name))", blob: name)
        }
        guard let t = b.tensor else {
            throw Caffe2Error(.missingBlob, "blob '\(name)' exists but holds no tensor yet", blob: name)
        }
        return t
    }

    func suggestion(for name: String) -> String {
        let close = closestNames(to: name, in: blobNames, limit: 3)
        return close.isEmpty ? "" : " (did you mean \(close.map { "'\($0)'" }.joined(separator: ", "))?)"
    }

    // MARK: Nets

    /// Creates a net over this workspace and stores it under `def.name`.
    ///
    /// Operators are bound to their blobs now: every input must exist (or be
    /// produced by an earlier op), outputs are created. Throws Caffe2's
    /// refusal when a net of that name exists and `overwrite` is false. If
    /// creation fails, the workspace is left as it was: a previous net of the
    /// same name is kept and blobs created for the new net are removed.
    @discardableResult
    public func createNet(_ def: NetDef, overwrite: Bool = false) throws -> Net {
        guard !def.name.isEmpty else {
            throw Caffe2Error(.net, "Net definition should have a name.")
        }
        if nets[def.name] != nil && !overwrite {
            throw Caffe2Error(
                .net,
                "I respectfully refuse to overwrite an existing net of the same name \"\(def.name)\", unless you explicitly specify overwrite=true."
            )
        }
        let net = try Net(def, workspace: self)
        nets[def.name] = net
        return net
    }

    /// The net called `name`, if created.
    public func net(named name: String) -> Net? { nets[name] }

    /// Names of the created nets, sorted.
    public var netNames: [String] { nets.keys.sorted() }

    /// Forgets the net called `name`.
    public func deleteNet(named name: String) { nets.removeValue(forKey: name) }

    /// Runs a created net `iterations` times.
    public func runNet(named name: String, iterations: Int = 1) throws {
        guard let net = nets[name] else {
            throw Caffe2Error(.net, "Network \(name) does not exist yet.\(netSuggestion(for: name))")
        }
        guard iterations >= 1 else {
            throw Caffe2Error(.invalidInput, "iterations must be at least 1, got \(iterations)")
        }
        for _ in 0..<iterations { try net.run() }
    }

    func netSuggestion(for name: String) -> String {
        let close = closestNames(to: name, in: netNames, limit: 3)
        return close.isEmpty ? "" : " Did you mean \(close.map { "'\($0)'" }.joined(separator: ", "))?"
    }

    /// Creates a temporary net (no name needed, not stored) and runs it once.
    public func runNetOnce(_ def: NetDef) throws {
        try Net(def, workspace: self).run()
    }

    /// Creates one operator, runs it once and discards it.
    public func runOperatorOnce(_ def: OperatorDef) throws {
        try BoundOperator(def, index: nil, netDeviceOption: nil, workspace: self).run()
    }

    // MARK: Blob bookkeeping for rollback

    func localBlobsSnapshot() -> Set<String> { Set(blobs.keys) }

    func removeLocalBlobs(except keep: Set<String>) {
        for name in blobs.keys where !keep.contains(name) { blobs.removeValue(forKey: name) }
    }
}

/// Names from `candidates` closest to `name` by edit distance (case-insensitive), best first.
func closestNames(to name: String, in candidates: [String], limit: Int) -> [String] {
    let target = Array(name.lowercased().utf8)
    let maxDistance = max(2, target.count / 3)
    var scored: [(Int, String)] = []
    for c in candidates {
        let cand = Array(c.lowercased().utf8)
        if abs(cand.count - target.count) > maxDistance && !c.lowercased().contains(name.lowercased()) { continue }
        let d = editDistance(target, cand)
        if d <= maxDistance || (!name.isEmpty && c.lowercased().contains(name.lowercased())) {
            scored.append((d, c))
        }
    }
    return scored.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.prefix(limit).map(\.1)
}

func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = Array(repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}
