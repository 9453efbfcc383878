/// The one error type of swift-caffe2.
///
/// Every error says what went wrong and where: the file and byte offset or
/// line:column for parse errors, the operator (index, type, name) and blob
/// for runtime errors, and what was expected.
///
/// ```swift
/// do {
///     try workspace.runNetOnce(net)
/// } catch let error as Caffe2Error {
///     print(error)            // op #2 (Conv "conv1"): input 'data': expected a 4-D tensor, got [3, 224]
///     error.kind == .shape    // true
///     error.opIndex           // 2
/// }
/// ```
public struct Caffe2Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is; stable enough to branch on.
    public enum Kind: String, Sendable, Equatable {
        /// Bytes or text that are not a valid message.
        case parse
        /// A file that cannot be read or written.
        case io
        /// An operator definition that fails its schema (counts, in-place rules, required arguments).
        case schema
        /// No operator registered for a type on a device.
        case unknownOperator
        /// A blob that does not exist.
        case missingBlob
        /// A tensor shape that does not fit.
        case shape
        /// An element type an operator does not support.
        case dataType
        /// An argument with a bad value or the wrong field.
        case argument
        /// A net definition that cannot be built or run as a net.
        case net
        /// A failure while building gradients or backward nets.
        case gradient
        /// Any other failure while running an operator.
        case runtime
        /// Bad input to an API call (not from a file).
        case invalidInput
    }

    public var kind: Kind
    /// What went wrong, without the location prefix.
    public var message: String
    /// The file the error came from, if any.
    public var file: String?
    /// Index of the failing operator in its net.
    public var opIndex: Int?
    /// Type of the failing operator.
    public var opType: String?
    /// Name of the failing operator (often empty in real models).
    public var opName: String?
    /// The blob involved, if any.
    public var blob: String?

    public init(
        _ kind: Kind, _ message: String, file: String? = nil, opIndex: Int? = nil, opType: String? = nil,
        opName: String? = nil, blob: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.file = file
        self.opIndex = opIndex
        self.opType = opType
        self.opName = opName
        self.blob = blob
    }

    /// The full message: location, then what went wrong.
    public var description: String {
        var prefix = ""
        if let file { prefix += "\(file): " }
        if opIndex != nil || opType != nil {
            var op = "op"
            if let opIndex { op += " #\(opIndex)" }
            if let opType { op += " (\(opType)" + (opName.map { $0.isEmpty ? "" : " \"\($0)\"" } ?? "") + ")" }
            prefix += op + ": "
        }
        return prefix + message
    }

    /// The same error, with operator context filled in where it is missing.
    public func inOperator(index: Int?, type: String?, name: String?) -> Caffe2Error {
        var e = self
        if e.opIndex == nil { e.opIndex = index }
        if e.opType == nil { e.opType = type }
        if e.opName == nil { e.opName = name }
        return e
    }

    /// The same error, attributed to a file.
    public func inFile(_ path: String) -> Caffe2Error {
        var e = self
        if e.file == nil { e.file = path }
        return e
    }
}
