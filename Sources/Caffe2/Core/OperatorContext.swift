/// A read-only view of an input tensor during one operator run.
///
/// The view does not own the storage: the workspace blob keeps it alive for
/// the duration of the run. Not retaining it is what lets an in-place
/// operator (`X -> X`) write into the very same memory it reads.
public struct TensorView {
    // The blob outlives every view (views exist only during a run), so no reference count.
    @usableFromInline unowned(unsafe) let blob: Blob
    public let dims: [Int64]
    public let dataType: DataType
    public let count: Int
    @usableFromInline let raw: UnsafeMutableRawPointer

    /// The input's blob name.
    public var name: String { blob.name }

    /// Dims as `Int`.
    public var shape: [Int] { dims.map { Int($0) } }
    public var rank: Int { dims.count }

    /// The elements as `T`; throws a `.dataType` error naming the blob if the type differs.
    @inlinable
    public func buffer<T: TensorElement>(_: T.Type) throws -> UnsafeBufferPointer<T> {
        guard dataType == T.dataType else {
            throw Caffe2Error(.dataType, "input '\(name)' holds \(dataType) elements, expected \(T.dataType)", blob: name)
        }
        return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: T.self), count: count)
    }

    /// The elements, assuming the caller checked `dataType`.
    @inlinable
    public func unsafeBuffer<T>(_: T.Type) -> UnsafeBufferPointer<T> {
        UnsafeBufferPointer(start: raw.assumingMemoryBound(to: T.self), count: count)
    }

    /// Float elements (the common case).
    public var floats: UnsafeBufferPointer<Float> { get throws { try buffer(Float.self) } }

    /// The first element's address, assuming the caller checked `dataType`
    /// (never nil, even for an empty tensor).
    @inlinable
    public func pointer<T>(_: T.Type) -> UnsafePointer<T> { UnsafePointer(raw.assumingMemoryBound(to: T.self)) }

    /// A `.dataType` error saying which types the op accepts.
    public func unsupportedType(_ supported: [DataType]) -> Caffe2Error {
        Caffe2Error(
            .dataType,
            "Unsupported type of tensor: input '\(name)' holds \(dataType) elements; supported: \(supported.map(\.description).joined(separator: ", "))",
            blob: name)
    }

    /// Dim `i` as `Int`; negative `i` counts from the end.
    public func dim(_ i: Int) -> Int { Int(dims[i < 0 ? i + dims.count : i]) }

    /// Product of dims `[0, axis)`.
    public func sizeToDim(_ axis: Int) -> Int { dims[0..<axis].reduce(1) { $0 * Int($1) } }

    /// Product of dims `[axis, rank)`.
    public func sizeFromDim(_ axis: Int) -> Int { dims[axis...].reduce(1) { $0 * Int($1) } }
}

/// A writable view of an output tensor during one operator run.
public struct MutableTensorView {
    @usableFromInline unowned(unsafe) let blob: Blob
    public let dims: [Int64]
    public let dataType: DataType
    public let count: Int
    @usableFromInline let raw: UnsafeMutableRawPointer

    public var shape: [Int] { dims.map { Int($0) } }

    /// The output's blob name.
    public var name: String { blob.name }

    /// The elements as `T` (the type was fixed when the output was requested).
    @inlinable
    public func buffer<T: TensorElement>(_: T.Type) -> UnsafeMutableBufferPointer<T> {
        precondition(dataType == T.dataType, "output '\(name)' is \(dataType), not \(T.dataType)")
        return UnsafeMutableBufferPointer(start: raw.assumingMemoryBound(to: T.self), count: count)
    }

    /// Float elements.
    public var floats: UnsafeMutableBufferPointer<Float> { buffer(Float.self) }

    /// The first element's address (never nil, even for an empty tensor).
    @inlinable
    public func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> { raw.assumingMemoryBound(to: T.self) }

    /// Sets every element to zero.
    public func zero() {
        if count > 0 { raw.initializeMemory(as: UInt8.self, repeating: 0, count: count * (dataType.elementSize ?? 0)) }
    }
}

/// What an operator sees while it runs: its bound input and output blobs.
///
/// Kernels read inputs through ``input(_:)`` views and get outputs from
/// ``output(_:dims:type:)``, which reuses the output blob's storage when it
/// is unshared and of the right size (so steady-state runs do not allocate,
/// and an in-place op writes into its input's memory), and allocates fresh
/// storage otherwise (so a tensor a user still holds is never overwritten).
///
/// ```swift
/// let x = try ctx.input(0)
/// let y = try ctx.output(0, dims: x.dims, type: .float)
/// let xs = try x.floats, ys = y.floats
/// for i in 0..<xs.count { ys[i] = 1 / xs[i] }
/// ```
public final class OperatorContext {
    /// The operator definition (arguments are better parsed once, at creation).
    public let def: OperatorDef
    /// The op's position in its net, if it is part of one.
    public let index: Int?
    let inputBlobs: [Blob]
    let outputBlobs: [Blob]
    /// The workspace the op is bound to.
    public unowned let workspace: Workspace
    /// Storage replaced during this run, kept alive until the run ends so input views stay valid.
    @exclusivity(unchecked) private var retired: [TensorStorage] = []

    init(def: OperatorDef, index: Int?, inputs: [Blob], outputs: [Blob], workspace: Workspace) {
        self.def = def
        self.index = index
        self.inputBlobs = inputs
        self.outputBlobs = outputs
        self.workspace = workspace
    }

    public var inputCount: Int { inputBlobs.count }
    public var outputCount: Int { outputBlobs.count }

    /// The name of input `i`.
    public func inputName(_ i: Int) -> String { inputBlobs[i].name }
    /// The name of output `i`.
    public func outputName(_ i: Int) -> String { outputBlobs[i].name }

    /// Whether input `i` and output `o` are the same blob.
    public func isInPlace(input i: Int, output o: Int) -> Bool { inputBlobs[i] === outputBlobs[o] }

    /// A view of input `i`; throws if the blob holds no tensor.
    @inline(__always)
    public func input(_ i: Int) throws -> TensorView {
        let b = inputBlobs[i]
        guard b.hasTensor else { throw emptyInput(i) }
        let slot = b.slot
        return TensorView(
            blob: b, dims: slot.pointee.dims, dataType: slot.pointee.dataType, count: slot.pointee.count,
            raw: slot.pointee.storage.bytes)
    }

    @inline(never)
    private func emptyInput(_ i: Int) -> Caffe2Error {
        let b = inputBlobs[i]
        return Caffe2Error(.missingBlob, "input \(i) ('\(b.name)') holds no tensor", blob: b.name)
    }

    /// The tensor value of input `i` (retains its storage; use for pass-through ops).
    public func inputTensor(_ i: Int) throws -> Tensor {
        guard let t = inputBlobs[i].tensor else { throw emptyInput(i) }
        return t
    }

    /// The current tensor of output `i`, if it holds one (for stateful ops such as Iter).
    public func currentOutput(_ i: Int) -> Tensor? { outputBlobs[i].tensor }

    /// Makes output `i` a tensor of `dims` and `type` and returns a writable view.
    ///
    /// The previous contents are not preserved unless the storage is reused
    /// in place (same blob as an input of the same size): kernels must write
    /// every element.
    @inline(__always)
    public func output(_ i: Int, dims: [Int64], type: DataType) throws -> MutableTensorView {
        let b = outputBlobs[i]
        let slot = b.slot
        // Fast path: the blob already holds an unshared tensor of exactly this shape and type.
        if b.hasTensor, slot.pointee.dataType == type, type != .string, slot.pointee.dims == dims,
            isKnownUniquelyReferenced(&slot.pointee.storage)
        {
            return MutableTensorView(
                blob: b, dims: dims, dataType: type, count: slot.pointee.count, raw: slot.pointee.storage.bytes)
        }
        return try reshapeOutput(i, dims: dims, type: type)
    }

    @inline(never)
    private func reshapeOutput(_ i: Int, dims: [Int64], type: DataType) throws -> MutableTensorView {
        let b = outputBlobs[i]
        let slot = b.slot
        let n = try Tensor.elementCount(dims)
        let esize = try Tensor.checkedType(type)
        let bytes = n * esize
        if b.hasTensor, type != .string, slot.pointee.dataType != .string, slot.pointee.storage.byteCount == bytes,
            isKnownUniquelyReferenced(&slot.pointee.storage)
        {
            slot.pointee.setShape(dims, type: type, count: n)
        } else {
            if b.hasTensor { retired.append(slot.pointee.storage) }
            b.tensor = try Tensor.uninitialized(dims: dims, dataType: type)
        }
        return MutableTensorView(blob: b, dims: dims, dataType: type, count: n, raw: slot.pointee.storage.bytes)
    }

    /// Output `i` shaped like the view `like`, of the same type unless given.
    public func output(_ i: Int, like: TensorView, type: DataType? = nil) throws -> MutableTensorView {
        try output(i, dims: like.dims, type: type ?? like.dataType)
    }

    /// Stores a tensor value as output `i` (sharing storage; copy-on-write protects both sides).
    public func setOutput(_ i: Int, _ tensor: Tensor) {
        let b = outputBlobs[i]
        if b.hasTensor { retired.append(b.slot.pointee.storage) }
        b.tensor = tensor
    }

    /// Ends a run: releases storage kept alive for input views.
    func finishRun() {
        if !retired.isEmpty { retired.removeAll(keepingCapacity: true) }
    }

    /// A `.shape`/`.argument`/... error for this op; the net adds op index, type and name.
    public func error(_ kind: Caffe2Error.Kind, _ message: String, blob: String? = nil) -> Caffe2Error {
        Caffe2Error(kind, message, blob: blob)
    }
}

extension Tensor {
    /// Changes dims and type over the same storage (byte size already checked).
    mutating func setShape(_ dims: [Int64], type: DataType, count: Int) {
        self.dims = dims
        self.dataType = type
        self.count = count
    }
}
