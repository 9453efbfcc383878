#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a protobuf message is stored in a file.
///
/// ```swift
/// ProtoFileFormat(path: "predict_net.pbtxt")   // .text
/// ProtoFileFormat(path: "init_net.pb")         // .binary
/// ```
public enum ProtoFileFormat: String, Sendable, CaseIterable {
    /// The protobuf wire format (`.pb`), as Caffe2's `WriteProtoToBinaryFile` writes it.
    case binary
    /// The protobuf text format (`.pbtxt`), as Caffe2's `WriteProtoToTextFile` writes it.
    case text

    /// File name extensions (lowercase, without the dot) that mean text format.
    public static let textExtensions: Set<String> = ["pbtxt", "prototxt", "textproto", "txtpb", "textpb", "txt"]

    /// The format a file name implies: ``text`` for `.pbtxt`, `.prototxt`, `.textproto`,
    /// `.txtpb`, `.textpb` and `.txt` (so also `.pb.txt`), ``binary`` for anything else.
    public init(path: String) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            self = .binary
            return
        }
        let ext = name[name.index(after: dot)...].lowercased()
        self = Self.textExtensions.contains(ext) ? .text : .binary
    }
}

extension ProtoMessage {
    /// Reads a message from a binary (`.pb`) or text (`.pbtxt`) file.
    ///
    /// With `format` left `nil` the format is detected as Caffe2's
    /// `ReadProtoFromFile` does: the bytes are decoded as binary and, if that
    /// fails, as text. Files whose name says text (see ``ProtoFileFormat/init(path:)``)
    /// are tried as text first. When both attempts fail, the one error names
    /// the file and the reason of each attempt: the byte offset for binary, the
    /// `line:column` for text.
    ///
    /// ```swift
    /// let predict = try NetDef(contentsOfFile: "squeezenet/predict_net.pb")
    /// let resnet = try NetDef(contentsOfFile: "resnet50/predict_net.pbtxt")
    /// let forced = try NetDef(contentsOfFile: "net.dat", format: .text)
    /// ```
    ///
    /// - Throws: ``Caffe2Error`` of kind `.io` when the file cannot be read,
    ///   `.parse` when its content is not a valid message; `file` is the path.
    public init(contentsOfFile path: String, format: ProtoFileFormat? = nil) throws {
        let bytes = try readWholeFile(path)
        let order: [ProtoFileFormat] =
            if let format { [format] } else {
                ProtoFileFormat(path: path) == .text ? [.text, .binary] : [.binary, .text]
            }
        var failures: [(ProtoFileFormat, String)] = []
        for attempt in order {
            do {
                switch attempt {
                case .binary: self = try Self(serializedBytes: bytes)
                case .text: self = try bytes.withUnsafeBytes { try Self.decodeTextBytes($0) }
                }
                return
            } catch let error as Caffe2Error {
                failures.append((attempt, error.message))
            }
        }
        if failures.count == 1, case (let attempt, let reason)? = failures.first {
            throw Caffe2Error(.parse, "not a \(attempt) \(Self.protoMessageName): \(reason)", file: path)
        }
        let reasons = failures.map { "as \($0.0): \($0.1)" }.joined(separator: "; ")
        throw Caffe2Error(
            .parse, "not a \(Self.protoMessageName) in binary or text format (\(reasons))", file: path)
    }

    /// Writes the message to a file, atomically.
    ///
    /// With `format` left `nil` the file name picks it (see
    /// ``ProtoFileFormat/init(path:)``): text for `.pbtxt`, `.prototxt`,
    /// `.textproto`, `.txtpb`, `.textpb`, `.txt`; binary for `.pb` and
    /// everything else.
    ///
    /// The bytes go to a temporary file in the same directory, which is
    /// flushed to disk and then renamed over `path`; so readers see either the
    /// old file or the whole new one, and a failed write leaves no temporary
    /// file and the old file (if any) untouched. An existing file keeps its
    /// permission bits; a symbolic link at `path` is replaced, not followed.
    ///
    /// ```swift
    /// try net.write(toFile: "predict_net.pb")      // binary
    /// try net.write(toFile: "predict_net.pbtxt")   // text
    /// ```
    ///
    /// - Throws: ``Caffe2Error`` of kind `.io` naming the path and the system's reason.
    public func write(toFile path: String, format: ProtoFileFormat? = nil) throws {
        let bytes: [UInt8] =
            switch format ?? ProtoFileFormat(path: path) {
            case .binary: serializedBytes()
            case .text: Array(textFormatString().utf8)
            }
        try writeFileAtomically(bytes, to: path)
    }

    /// Decodes text-format bytes, keeping bytes inside string literals exactly as they are.
    static func decodeTextBytes(_ bytes: UnsafeRawBufferPointer) throws -> Self {
        if let bridged = Self.self as? any CMessageBridge.Type,
            let value = try decodeText(utf8: bytes, as: bridged) as? Self
        {
            return value
        }
        return try Self(textFormat: String(decoding: bytes, as: UTF8.self))
    }
}

/// Reads the message of type `type` from a binary or text file.
///
/// The same as `M(contentsOfFile:format:)`; see ``ProtoMessage/init(contentsOfFile:format:)``.
///
/// ```swift
/// let net = try loadProto(NetDef.self, from: "init_net.pb")
/// ```
public func loadProto<M: ProtoMessage>(_ type: M.Type, from path: String, format: ProtoFileFormat? = nil) throws -> M {
    try M(contentsOfFile: path, format: format)
}

// MARK: - Files

private func systemError(_ what: String, _ path: String, _ code: Int32 = errno) -> Caffe2Error {
    Caffe2Error(.io, "\(what): \(String(cString: strerror(code)))", file: path)
}

/// The whole content of a regular file.
func readWholeFile(_ path: String) throws -> [UInt8] {
    var fd: Int32
    repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
    guard fd >= 0 else { throw systemError("cannot open file for reading", path) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw systemError("cannot read file status", path) }
    if (info.st_mode & S_IFMT) == S_IFDIR {
        throw Caffe2Error(.io, "cannot read file: it is a directory", file: path)
    }
    // Regular files report their size; pipes and devices are read until end of file.
    var bytes: [UInt8] = []
    bytes.reserveCapacity(max(Int(info.st_size), 0))
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw systemError("cannot read file", path)
        }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return bytes
}

/// Writes `bytes` to a temporary file next to `path`, syncs it and renames it over `path`.
func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    guard !path.isEmpty else { throw Caffe2Error(.io, "cannot write a file with an empty path") }
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard !name.isEmpty else { throw Caffe2Error(.io, "cannot write a file: the path names a directory", file: path) }

    // A fresh name, created exclusively; the mode 0666 is narrowed by the umask like any new file.
    var fd: Int32 = -1
    var temporary = ""
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<16 {
        let suffix = String(generator.next() as UInt64, radix: 36)
        temporary = (directory == "/" ? "/" : directory + "/") + ".\(name).tmp-\(suffix)"
        repeat { fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666) } while fd < 0 && errno == EINTR
        if fd >= 0 || errno != EEXIST { break }
    }
    guard fd >= 0 else { throw systemError("cannot create a temporary file in '\(directory)'", path) }
    // Overwriting keeps the permissions of the file being replaced.
    var existing = stat()
    if lstat(path, &existing) == 0 && (existing.st_mode & S_IFMT) == S_IFREG {
        _ = fchmod(fd, existing.st_mode & 0o7777)
    }

    var failure: Caffe2Error?
    var written = 0
    bytes.withUnsafeBytes { buffer in
        while written < buffer.count {
            let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                failure = systemError("cannot write file", path)
                return
            }
            written += n
        }
    }
    if failure == nil && fsync(fd) != 0 { failure = systemError("cannot flush file to disk", path) }
    if close(fd) != 0 && failure == nil { failure = systemError("cannot close file", path) }
    if failure == nil && rename(temporary, path) != 0 { failure = systemError("cannot replace file", path) }
    if let failure {
        unlink(temporary)
        throw failure
    }
    // Make the rename itself durable; a failure here does not undo the write.
    let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dirfd >= 0 {
        _ = fsync(dirfd)
        close(dirfd)
    }
}
