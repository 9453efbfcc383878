import CCaffe2Proto

/// Owns every C allocation made while building one protobuf-c message tree.
///
/// Messages are built for encoding only: the tree lives as long as the arena,
/// and no pointer into it escapes the closure that packs it. Small objects come
/// from 64 KiB bump-allocated blocks; large arrays get their own block.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    private static let blockSize = 64 * 1024

    deinit {
        for b in blocks { b.deallocate() }
    }

    /// Uninitialised, aligned storage for `count` values of `T`.
    func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let align = max(MemoryLayout<T>.alignment, 8)
        let bytes = max(MemoryLayout<T>.stride * count, 1)
        if bytes > Self.blockSize / 4 {
            let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: align)
            blocks.append(p)
            return p.bindMemory(to: T.self, capacity: count)
        }
        if let c = cursor {
            let misalign = Int(bitPattern: c) & (align - 1)
            let pad = misalign == 0 ? 0 : align - misalign
            if pad + bytes <= remaining {
                let p = c + pad
                cursor = p + bytes
                remaining -= pad + bytes
                return p.bindMemory(to: T.self, capacity: count)
            }
        }
        let block = UnsafeMutableRawPointer.allocate(byteCount: Self.blockSize, alignment: 16)
        blocks.append(block)
        cursor = block + bytes
        remaining = Self.blockSize - bytes
        return block.bindMemory(to: T.self, capacity: count)
    }

    /// A copy of `xs`, or `nil` when empty (protobuf-c's convention for `n == 0`).
    func copy<T: BitwiseCopyable>(_ xs: [T]) -> UnsafeMutablePointer<T>? {
        guard !xs.isEmpty else { return nil }
        let p = allocate(T.self, count: xs.count)
        xs.withUnsafeBufferPointer { p.initialize(from: $0.baseAddress!, count: xs.count) }
        return p
    }

    /// A NUL-terminated copy of `s`.
    func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        var s = s
        return s.withUTF8 { utf8 in
            let p = allocate(CChar.self, count: utf8.count + 1)
            if utf8.count > 0 {
                UnsafeMutableRawPointer(p).copyMemory(from: utf8.baseAddress!, byteCount: utf8.count)
            }
            p[utf8.count] = 0
            return p
        }
    }

    /// A NUL-terminated copy of `s`, or `nil` for an absent field.
    func cString(_ s: String?) -> UnsafeMutablePointer<CChar>? { s.map { cString($0) } }

    /// An array of C strings (`char **`).
    func cStrings(_ xs: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard !xs.isEmpty else { return nil }
        let p = allocate(UnsafeMutablePointer<CChar>?.self, count: xs.count)
        for (i, s) in xs.enumerated() { (p + i).initialize(to: cString(s)) }
        return p
    }

    /// A `ProtobufCBinaryData` holding a copy of `bytes`.
    func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: bytes.count, data: copy(bytes))
    }

    /// An array of `ProtobufCBinaryData`.
    func binaries(_ xs: [[UInt8]]) -> UnsafeMutablePointer<ProtobufCBinaryData>? {
        guard !xs.isEmpty else { return nil }
        let p = allocate(ProtobufCBinaryData.self, count: xs.count)
        for (i, b) in xs.enumerated() { (p + i).initialize(to: binary(b)) }
        return p
    }

    /// An array of message pointers (`Msg **`).
    func pointers<T>(_ xs: [UnsafeMutablePointer<T>]) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?>? {
        guard !xs.isEmpty else { return nil }
        let p = allocate(UnsafeMutablePointer<T>?.self, count: xs.count)
        for (i, x) in xs.enumerated() { (p + i).initialize(to: x) }
        return p
    }

    /// A message struct initialised by its protobuf-c `__init` function.
    func message<T>(_ initialise: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
        let p = allocate(T.self, count: 1)
        initialise(p)
        return p
    }
}

// MARK: - Reading C values

@inline(__always)
func swiftString(_ p: UnsafePointer<CChar>?) -> String? {
    guard let p else { return nil }
    return String(cString: p)
}

@inline(__always)
func swiftString(_ p: UnsafeMutablePointer<CChar>?) -> String? {
    guard let p else { return nil }
    return String(cString: p)
}

@inline(__always)
func swiftStrings(_ n: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard n > 0, let p else { return [] }
    var out: [String] = []
    out.reserveCapacity(n)
    for i in 0..<n { out.append(p[i].map { String(cString: $0) } ?? "") }
    return out
}

@inline(__always)
func swiftArray<T>(_ n: Int, _ p: UnsafeMutablePointer<T>?) -> [T] {
    guard n > 0, let p else { return [] }
    return Array(UnsafeBufferPointer(start: p, count: n))
}

@inline(__always)
func swiftBytes(_ b: ProtobufCBinaryData) -> [UInt8] {
    guard b.len > 0, let d = b.data else { return [] }
    return Array(UnsafeBufferPointer(start: d, count: b.len))
}

@inline(__always)
func swiftBytesArray(_ n: Int, _ p: UnsafeMutablePointer<ProtobufCBinaryData>?) -> [[UInt8]] {
    guard n > 0, let p else { return [] }
    return (0..<n).map { swiftBytes(p[$0]) }
}

@inline(__always)
func swiftMessages<C, S>(_ n: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<C>?>?, _ f: (UnsafePointer<C>) -> S)
    -> [S]
{
    guard n > 0, let p else { return [] }
    var out: [S] = []
    out.reserveCapacity(n)
    for i in 0..<n {
        if let m = p[i] { out.append(f(m)) }
    }
    return out
}

@inline(__always)
func present<T>(_ has: protobuf_c_boolean, _ v: T) -> T? { has != 0 ? v : nil }

@inline(__always)
func cBool(_ b: Bool) -> protobuf_c_boolean { b ? 1 : 0 }
