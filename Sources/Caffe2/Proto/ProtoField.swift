/// An `optional` proto2 field that remembers whether it was set.
///
/// Reading the property gives the field's value, or its proto default when the
/// field is absent; assigning marks it present. The projected value (`$name`)
/// exposes the presence itself: `nil` when the field is absent.
///
/// ```swift
/// var op = OperatorDef(type: "Relu")
/// op.name            // ""      (absent, default)
/// op.$name           // nil
/// op.name = "relu1"
/// op.$name           // "relu1"
/// op.$name = nil     // clear it again
/// ```
///
/// Presence matters for Caffe2 files: a field written as `name: ""` and a
/// field left out are different messages, and decoding then encoding a model
/// must give back the same bytes.
@propertyWrapper
public struct ProtoField<Value: Equatable & Sendable>: Equatable, Sendable {
    /// The stored value; `nil` when the field is absent.
    public var projectedValue: Value?
    @usableFromInline let defaultValue: Value

    /// An absent field whose reads give `defaultValue`.
    @inlinable
    public init(default defaultValue: Value) {
        self.defaultValue = defaultValue
        self.projectedValue = nil
    }

    /// A field with the given presence.
    @inlinable
    public init(_ value: Value?, default defaultValue: Value) {
        self.defaultValue = defaultValue
        self.projectedValue = value
    }

    @inlinable
    public var wrappedValue: Value {
        get { projectedValue ?? defaultValue }
        set { projectedValue = newValue }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.projectedValue == rhs.projectedValue
    }
}
