/// A type an ``Argument`` can hold as a single value.
public protocol ArgumentValue: Sendable {
    /// The Argument field it lives in (`"f"`, `"i"`, `"s"`, `"n"`), for messages.
    static var argumentField: String { get }
    /// Reads the single value, or `nil` if that field is absent.
    static func single(from a: Argument, name: String) throws -> Self?
    /// Reads the repeated values.
    static func repeated(from a: Argument, name: String) throws -> [Self]
}

private func lossless<T: BinaryInteger>(_ v: Int64, _: T.Type, _ name: String) throws -> T {
    guard let x = T(exactly: v) else {
        throw Caffe2Error(.argument, "Value \(v) of argument \(name) cannot be represented correctly in a target type")
    }
    return x
}

extension Float: ArgumentValue {
    public static var argumentField: String { "f" }
    public static func single(from a: Argument, name: String) throws -> Float? { a.f }
    public static func repeated(from a: Argument, name: String) throws -> [Float] { a.floats }
}

extension Double: ArgumentValue {
    public static var argumentField: String { "f" }
    public static func single(from a: Argument, name: String) throws -> Double? { a.f.map(Double.init) }
    public static func repeated(from a: Argument, name: String) throws -> [Double] { a.floats.map(Double.init) }
}

extension Int64: ArgumentValue {
    public static var argumentField: String { "i" }
    public static func single(from a: Argument, name: String) throws -> Int64? { a.i }
    public static func repeated(from a: Argument, name: String) throws -> [Int64] { a.ints }
}

extension Int: ArgumentValue {
    public static var argumentField: String { "i" }
    public static func single(from a: Argument, name: String) throws -> Int? {
        try a.i.map { try lossless($0, Int.self, name) }
    }
    public static func repeated(from a: Argument, name: String) throws -> [Int] {
        try a.ints.map { try lossless($0, Int.self, name) }
    }
}

extension Int32: ArgumentValue {
    public static var argumentField: String { "i" }
    public static func single(from a: Argument, name: String) throws -> Int32? {
        try a.i.map { try lossless($0, Int32.self, name) }
    }
    public static func repeated(from a: Argument, name: String) throws -> [Int32] {
        try a.ints.map { try lossless($0, Int32.self, name) }
    }
}

extension Bool: ArgumentValue {
    public static var argumentField: String { "i" }
    public static func single(from a: Argument, name: String) throws -> Bool? { a.i.map { $0 != 0 } }
    public static func repeated(from a: Argument, name: String) throws -> [Bool] { a.ints.map { $0 != 0 } }
}

extension String: ArgumentValue {
    public static var argumentField: String { "s" }
    public static func single(from a: Argument, name: String) throws -> String? { a.stringValue }
    public static func repeated(from a: Argument, name: String) throws -> [String] { a.stringValues }
}

extension NetDef: ArgumentValue {
    public static var argumentField: String { "n" }
    public static func single(from a: Argument, name: String) throws -> NetDef? { a.n }
    public static func repeated(from a: Argument, name: String) throws -> [NetDef] { a.nets }
}

/// Typed access to an operator's arguments: Caffe2's `ArgumentHelper`.
///
/// ```swift
/// let args = try Arguments(op)
/// let kernel = try args.single("kernel", default: 1)          // Int from field i
/// let order = try args.single("order", default: "NCHW")       // String from field s
/// let shape: [Int64] = try args.repeated("shape")
/// ```
public struct Arguments: Sendable {
    private var byName: [String: Argument] = [:]
    /// The arguments in definition order (first of each name).
    public private(set) var all: [Argument] = []

    /// Indexes `def.arg`; two arguments of the same name with different
    /// contents are an error, identical duplicates are accepted.
    public init(_ def: OperatorDef) throws {
        try self.init(def.arg)
    }

    /// Indexes a list of arguments.
    public init(_ list: [Argument]) throws {
        for a in list {
            if let old = byName[a.name] {
                guard old == a else {
                    throw Caffe2Error(.argument, "Found argument of the same name \(a.name) but with different contents.")
                }
                continue
            }
            byName[a.name] = a
            all.append(a)
        }
    }

    /// Whether an argument called `name` is present.
    public func has(_ name: String) -> Bool { byName[name] != nil }

    /// The raw argument called `name`.
    public subscript(name: String) -> Argument? { byName[name] }

    /// Whether `name` is present with its single `T` field set.
    public func hasSingle<T: ArgumentValue>(_ name: String, as _: T.Type) -> Bool {
        guard let a = byName[name] else { return false }
        return (try? T.single(from: a, name: name)) != nil
    }

    /// The single value of `name`, `nil` when the argument is absent; throws
    /// if present without the right field.
    public func single<T: ArgumentValue>(_ name: String, as _: T.Type = T.self) throws -> T? {
        guard let a = byName[name] else { return nil }
        guard let v = try T.single(from: a, name: name) else {
            throw Caffe2Error(.argument, "Argument \(name) does not have the right field: expected field \(T.argumentField)")
        }
        return v
    }

    /// The single value of `name`, or `defaultValue` when absent.
    public func single<T: ArgumentValue>(_ name: String, default defaultValue: T) throws -> T {
        try single(name, as: T.self) ?? defaultValue
    }

    /// The repeated values of `name`, or `defaultValue` when absent.
    public func repeated<T: ArgumentValue>(_ name: String, default defaultValue: [T] = []) throws -> [T] {
        guard let a = byName[name] else { return defaultValue }
        return try T.repeated(from: a, name: name)
    }
}
