import Foundation

/// Reference-counted element storage behind ``Tensor``; never shared mutably.
///
/// Fixed-size elements live in one 64-byte aligned allocation; string
/// tensors keep a Swift array instead.
@usableFromInline
final class TensorStorage: @unchecked Sendable {
    @usableFromInline let bytes: UnsafeMutableRawPointer
    @usableFromInline let byteCount: Int
    @usableFromInline var strings: [String]

    static let alignment = 64

    /// Uninitialised storage for `byteCount` bytes.
    init(uninitializedByteCount byteCount: Int) {
        self.byteCount = byteCount
        bytes = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: Self.alignment)
        strings = []
    }

    /// Zero-filled storage.
    convenience init(zeroedByteCount byteCount: Int) {
        self.init(uninitializedByteCount: byteCount)
        if byteCount > 0 { memset(bytes, 0, byteCount) }
    }

    /// String storage.
    init(strings: [String]) {
        byteCount = 0
        bytes = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: Self.alignment)
        self.strings = strings
    }

    /// A copy of `other`.
    convenience init(copying other: TensorStorage) {
        if other.byteCount == 0 && !other.strings.isEmpty {
            self.init(strings: other.strings)
        } else {
            self.init(uninitializedByteCount: other.byteCount)
            if byteCount > 0 { bytes.copyMemory(from: other.bytes, byteCount: byteCount) }
            strings = other.strings
        }
    }

    deinit { bytes.deallocate() }
}

/// An n-dimensional array of one element type, with value semantics.
///
/// A tensor has `dims` (row-major, 0-d scalars and zero-sized dims allowed),
/// a ``DataType`` and contiguous storage. Copies share storage until one of
/// them is mutated (copy-on-write), so a tensor fetched from a ``Workspace``
/// can never change under you, and feeding a tensor never aliases the
/// caller's copy.
///
/// ```swift
/// let x = try Tensor(dims: [2, 2], values: [1, 2, 4, 8] as [Float])
/// x.dims                              // [2, 2]
/// try x.values(as: Float.self)        // [1.0, 2.0, 4.0, 8.0]
/// let s = Tensor(scalar: Int64(7))    // 0-d
/// ```
public struct Tensor: Sendable {
    /// The dimensions, outermost first.
    public internal(set) var dims: [Int64]
    /// The element type.
    public internal(set) var dataType: DataType
    @usableFromInline var storage: TensorStorage

    /// The number of elements (product of `dims`; 1 for a 0-d tensor).
    public internal(set) var count: Int

    init(dims: [Int64], dataType: DataType, count: Int, storage: TensorStorage) {
        self.dims = dims
        self.dataType = dataType
        self.count = count
        self.storage = storage
    }

    /// The number of elements `dims` describes; throws on negative or overflowing dims.
    public static func elementCount(_ dims: [Int64]) throws -> Int {
        var n = 1
        for (i, d) in dims.enumerated() {
            guard d >= 0 else {
                throw Caffe2Error(.shape, "dimension \(i) of \(dims) is negative")
            }
            guard d <= Int64(Int.max) else {
                throw Caffe2Error(.shape, "dimension \(i) of \(dims) is too large")
            }
            let (p, o) = n.multipliedReportingOverflow(by: Int(d))
            guard !o, p <= (1 << 48) else {
                throw Caffe2Error(.shape, "dims \(dims) describe more elements than can be stored")
            }
            n = p
        }
        return n
    }

    static func checkedType(_ dataType: DataType) throws -> Int {
        guard dataType.isTensorType else {
            throw Caffe2Error(.dataType, "a tensor cannot hold elements of type \(dataType.name)")
        }
        return dataType.elementSize ?? 0
    }

    /// A zero-filled tensor (empty strings for string tensors).
    public init(dims: [Int64], dataType: DataType = .float) throws {
        let n = try Self.elementCount(dims)
        let size = try Self.checkedType(dataType)
        let storage =
            dataType == .string
            ? TensorStorage(strings: Array(repeating: "", count: n)) : TensorStorage(zeroedByteCount: n * size)
        self.init(dims: dims, dataType: dataType, count: n, storage: storage)
    }

    /// A zero-filled tensor.
    public init(dims: [Int], dataType: DataType = .float) throws {
        try self.init(dims: dims.map(Int64.init), dataType: dataType)
    }

    /// A tensor whose storage the caller fills in before anyone reads it.
    static func uninitialized(dims: [Int64], dataType: DataType) throws -> Tensor {
        let n = try elementCount(dims)
        let size = try checkedType(dataType)
        let storage =
            dataType == .string
            ? TensorStorage(strings: Array(repeating: "", count: n)) : TensorStorage(uninitializedByteCount: n * size)
        return Tensor(dims: dims, dataType: dataType, count: n, storage: storage)
    }

    /// A tensor holding `values` in row-major order; `values.count` must match `dims`.
    public init<T: TensorElement>(dims: [Int64], values: [T]) throws {
        let n = try Self.elementCount(dims)
        guard n == values.count else {
            throw Caffe2Error(
                .shape, "dims \(dims) describe \(n) elements but \(values.count) values were given")
        }
        let storage = TensorStorage(uninitializedByteCount: n * MemoryLayout<T>.stride)
        values.withUnsafeBytes { src in
            if n > 0 { storage.bytes.copyMemory(from: src.baseAddress!, byteCount: src.count) }
        }
        self.init(dims: dims, dataType: T.dataType, count: n, storage: storage)
    }

    /// A tensor holding `values` in row-major order.
    public init<T: TensorElement>(dims: [Int], values: [T]) throws {
        try self.init(dims: dims.map(Int64.init), values: values)
    }

    /// A 1-D tensor.
    public init<T: TensorElement>(_ values: [T]) {
        // The count always matches a 1-D shape.
        let dims: [Int64] = [Int64(values.count)]
        try! self.init(dims: dims, values: values)
    }

    /// A 0-d tensor holding one value.
    public init<T: TensorElement>(scalar: T) {
        let dims: [Int64] = []
        try! self.init(dims: dims, values: [scalar])
    }

    /// A string tensor.
    public init(dims: [Int64], strings: [String]) throws {
        let n = try Self.elementCount(dims)
        guard n == strings.count else {
            throw Caffe2Error(.shape, "dims \(dims) describe \(n) elements but \(strings.count) strings were given")
        }
        self.init(dims: dims, dataType: .string, count: n, storage: TensorStorage(strings: strings))
    }

    /// The content of an empty blob (never visible through the public API).
    static let placeholder = Tensor(dims: [0], dataType: .float, count: 0, storage: TensorStorage(uninitializedByteCount: 0))

    /// The dimensions as `Int`.
    public var shape: [Int] { dims.map { Int($0) } }

    /// The number of dimensions.
    public var rank: Int { dims.count }

    /// Bytes of element data (0 for string tensors).
    public var byteCount: Int { count * (dataType.elementSize ?? 0) }

    /// The elements as `T`; throws if the tensor holds another type.
    public func values<T: TensorElement>(as _: T.Type = T.self) throws -> [T] {
        try withUnsafeBufferPointer(as: T.self) { Array($0) }
    }

    /// The elements of any numeric type, widened to `Double`.
    public func doubleValues() -> [Double] {
        switch dataType {
        case .float: return typedBuffer(Float.self).map { Double($0) }
        case .double: return Array(typedBuffer(Double.self))
        case .int32: return typedBuffer(Int32.self).map { Double($0) }
        case .int64: return typedBuffer(Int64.self).map { Double($0) }
        case .bool: return typedBuffer(Bool.self).map { $0 ? 1 : 0 }
        case .uint8: return typedBuffer(UInt8.self).map { Double($0) }
        case .int8: return typedBuffer(Int8.self).map { Double($0) }
        case .uint16: return typedBuffer(UInt16.self).map { Double($0) }
        case .int16: return typedBuffer(Int16.self).map { Double($0) }
        case .float16: return typedBuffer(Float16.self).map { Double($0) }
        default: return []
        }
    }

    /// The elements of a string tensor.
    public var strings: [String] { dataType == .string ? storage.strings : [] }

    @inline(__always)
    func typedBuffer<T>(_: T.Type) -> UnsafeBufferPointer<T> {
        UnsafeBufferPointer(start: storage.bytes.assumingMemoryBound(to: T.self), count: count)
    }

    func typeMismatch(_ expected: DataType) -> Caffe2Error {
        Caffe2Error(.dataType, "tensor holds \(dataType) elements, expected \(expected)")
    }

    /// Calls `body` with the elements; throws if the tensor holds another type.
    public func withUnsafeBufferPointer<T: TensorElement, R>(
        as _: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) throws -> R {
        guard dataType == T.dataType else { throw typeMismatch(T.dataType) }
        return try withExtendedLifetime(storage) { try body(typedBuffer(T.self)) }
    }

    /// Calls `body` with mutable elements, copying the storage first if it is shared.
    public mutating func withUnsafeMutableBufferPointer<T: TensorElement, R>(
        as _: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) throws -> R {
        guard dataType == T.dataType else { throw typeMismatch(T.dataType) }
        makeUnique()
        return try withExtendedLifetime(storage) {
            try body(UnsafeMutableBufferPointer(start: storage.bytes.assumingMemoryBound(to: T.self), count: count))
        }
    }

    /// Calls `body` with the raw element bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(UnsafeRawBufferPointer(start: storage.bytes, count: byteCount))
        }
    }

    @usableFromInline
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = TensorStorage(copying: storage)
        }
    }

    /// The same elements with new dims (the element count must not change).
    public func reshaped(to newDims: [Int64]) throws -> Tensor {
        let n = try Self.elementCount(newDims)
        guard n == count else {
            throw Caffe2Error(.shape, "cannot reshape \(dims) (\(count) elements) to \(newDims) (\(n) elements)")
        }
        return Tensor(dims: newDims, dataType: dataType, count: n, storage: storage)
    }

    /// Whether two tensors share storage (for tests of in-place execution).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

    /// The address of the element data (for tests of in-place execution).
    public var storageAddress: UInt { UInt(bitPattern: storage.bytes) }
}

extension Tensor: Equatable {
    /// Same dims, type and bit-identical elements.
    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.dims == b.dims, a.dataType == b.dataType else { return false }
        if a.dataType == .string { return a.storage.strings == b.storage.strings }
        if a.storage === b.storage { return true }
        return memcmp(a.storage.bytes, b.storage.bytes, a.byteCount) == 0
    }
}

extension Tensor: CustomStringConvertible {
    /// `float [2, 3] [1.0, 2.0, ...]`
    public var description: String {
        let shown: String
        if dataType == .string {
            shown = storage.strings.prefix(8).map { "\"\($0)\"" }.joined(separator: ", ")
        } else {
            shown = doubleValues().prefix(8).map { Tensor.format($0, dataType) }.joined(separator: ", ")
        }
        return "\(dataType) \(dims) [\(shown)\(count > 8 ? ", ..." : "")]"
    }

    static func format(_ v: Double, _ t: DataType) -> String {
        if t.isFloatingPoint { return String(format: "%g", v) }
        if t == .bool { return v != 0 ? "true" : "false" }
        return String(Int64(v))
    }
}
