/// Runs one operator once; created per operator when a net is built.
public typealias OperatorRun = (OperatorContext) throws -> Void

/// Builds the run function of one operator from its definition. Parse and
/// check arguments here, once, so the run function does no string work.
public typealias OperatorFactory = @Sendable (_ def: OperatorDef, _ args: Arguments) throws -> OperatorRun

/// A kernel: one implementation of an operator type on a device, optionally for a named engine.
public struct OperatorKernel: Sendable {
    public var device: DeviceType
    /// `nil` (or `"DEFAULT"`) for the default implementation.
    public var engine: String?
    public var factory: OperatorFactory

    public init(device: DeviceType = .cpu, engine: String? = nil, _ factory: @escaping OperatorFactory) {
        self.device = device
        self.engine = engine
        self.factory = factory
    }
}

/// Everything about one operator type, declared in one place: its schema,
/// its kernels per device and engine, and its gradient maker.
///
/// ```swift
/// let square = OperatorDefinition(
///     schema: OperatorSchema("MySquare").numInputs(1).numOutputs(1).identicalTypeAndShape(),
///     kernels: [OperatorKernel { _, _ in
///         { ctx in
///             let x = try ctx.input(0)
///             let y = try ctx.output(0, like: x)
///             let xs = try x.floats, ys = y.floats
///             for i in 0..<xs.count { ys[i] = xs[i] * xs[i] }
///         }
///     }],
///     gradient: .make { g in
///         try g.singleGradientDef("Mul", inputs: [g.I(0), g.GO(0)], outputs: [g.GI(0)])
///     })
/// var registry = OperatorRegistry.standard
/// try registry.register(square)
/// ```
public struct OperatorDefinition: Sendable {
    public var schema: OperatorSchema
    public var kernels: [OperatorKernel]
    /// `nil`: no gradient maker is registered (asking for one is an error).
    public var gradient: GradientMaker?

    public init(schema: OperatorSchema, kernels: [OperatorKernel], gradient: GradientMaker? = nil) {
        self.schema = schema
        self.kernels = kernels
        self.gradient = gradient
    }

    /// The operator type.
    public var type: String { schema.type }
}

/// Operator schemas, kernels (keyed by type × device × engine) and gradient
/// makers: Caffe2's operator, schema and gradient registries in one value.
///
/// The registry is a value: ``standard`` holds the built-in operators, and a
/// program or a test can copy it and register its own without touching any
/// global state.
///
/// ```swift
/// var registry = OperatorRegistry.standard
/// try registry.register(myOperator)
/// let ws = Workspace(registry: registry)
/// ```
public struct OperatorRegistry: Sendable {
    struct KernelKey: Hashable, Sendable {
        var type: String
        var device: DeviceType
        var engine: String
    }

    private(set) var schemas: [String: OperatorSchema] = [:]
    private var kernels: [KernelKey: OperatorFactory] = [:]
    private(set) var gradientMakers: [String: GradientMaker] = [:]

    /// An empty registry.
    public init() {}

    /// A registry holding `definitions`; duplicate types are a programming error.
    public init(_ definitions: [OperatorDefinition]) {
        for d in definitions {
            do {
                try register(d)
            } catch {
                preconditionFailure("built-in operator table: \(error)")
            }
        }
    }

    /// Adds an operator type: its schema, kernels and gradient maker.
    /// Throws if the type is already registered (use ``replace(_:)`` to override).
    public mutating func register(_ definition: OperatorDefinition) throws {
        guard schemas[definition.type] == nil else {
            throw Caffe2Error(.invalidInput, "operator type '\(definition.type)' is already registered")
        }
        replace(definition)
    }

    /// Adds or replaces an operator type.
    public mutating func replace(_ definition: OperatorDefinition) {
        let t = definition.type
        schemas[t] = definition.schema
        kernels = kernels.filter { $0.key.type != t }
        for k in definition.kernels {
            kernels[KernelKey(type: t, device: k.device, engine: Self.normalizedEngine(k.engine))] = k.factory
        }
        if let g = definition.gradient {
            gradientMakers[t] = g
        } else {
            gradientMakers.removeValue(forKey: t)
        }
    }

    /// Adds a kernel for an already registered type (another device or engine).
    public mutating func addKernel(_ type: String, _ kernel: OperatorKernel) throws {
        guard schemas[type] != nil else {
            throw Caffe2Error(.invalidInput, "operator type '\(type)' has no schema; register its definition first")
        }
        kernels[KernelKey(type: type, device: kernel.device, engine: Self.normalizedEngine(kernel.engine))] =
            kernel.factory
    }

    /// Sets (or replaces) the gradient maker of a type.
    public mutating func setGradient(_ type: String, _ maker: GradientMaker?) {
        gradientMakers[type] = maker
    }

    static func normalizedEngine(_ e: String?) -> String {
        guard let e, e != "DEFAULT" else { return "" }
        return e
    }

    /// The schema of `type`, if registered.
    public func schema(_ type: String) -> OperatorSchema? { schemas[type] }

    /// The gradient maker of `type`, if registered.
    public func gradientMaker(_ type: String) -> GradientMaker? { gradientMakers[type] }

    /// Every registered operator type, sorted.
    public var operatorTypes: [String] { schemas.keys.sorted() }

    /// The devices `type` has kernels for, sorted.
    public func devices(for type: String) -> [DeviceType] {
        Set(kernels.keys.filter { $0.type == type }.map(\.device)).sorted()
    }

    /// The named engines `type` has on `device` (the default engine is not listed).
    public func engines(for type: String, device: DeviceType) -> [String] {
        kernels.keys.filter { $0.type == type && $0.device == device && !$0.engine.isEmpty }.map(\.engine).sorted()
    }

    /// Whether a kernel exists for `type` on `device` (any engine).
    public func hasKernel(_ type: String, device: DeviceType) -> Bool {
        kernels.keys.contains { $0.type == type && $0.device == device }
    }

    /// Picks the kernel for `def` on `device`: each engine of the
    /// comma-separated `engine` list in order, then the default implementation.
    /// Returns the factory and the engine chosen (`""` for the default).
    public func kernel(for def: OperatorDef, device: DeviceType) throws -> (OperatorFactory, String) {
        if let list = def.engine {
            for e in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
            where !e.isEmpty {
                if let f = kernels[KernelKey(type: def.type, device: device, engine: Self.normalizedEngine(e))] {
                    return (f, Self.normalizedEngine(e))
                }
            }
        }
        if let f = kernels[KernelKey(type: def.type, device: device, engine: "")] { return (f, "") }
        throw unknownOperatorError(def.type, device: device)
    }

    /// Caffe2's message for a type with no kernel on a device, plus close names and other devices.
    func unknownOperatorError(_ type: String, device: DeviceType) -> Caffe2Error {
        var msg = "Cannot create operator of type '\(type)' on the device '\(device)'."
        let elsewhere = devices(for: type).filter { $0 != device }
        if !elsewhere.isEmpty {
            msg += " '\(type)' is registered for: \(elsewhere.map(\.description).joined(separator: ", "))."
        } else {
            let onDevice = Set(kernels.keys.filter { $0.device == device }.map(\.type))
            let close = closestNames(to: type, in: onDevice.sorted(), limit: 3)
            if !close.isEmpty {
                msg += " Did you mean \(close.map { "'\($0)'" }.joined(separator: ", "))?"
            }
        }
        return Caffe2Error(.unknownOperator, msg, opType: type)
    }
}

import Foundation
