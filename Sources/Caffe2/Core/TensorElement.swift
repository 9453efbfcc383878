/// A Swift type that can be a ``Tensor`` element, tied to its ``DataType``.
public protocol TensorElement: BitwiseCopyable, Sendable, Equatable {
    /// The Caffe2 element type of `Self`.
    static var dataType: DataType { get }
    /// The zero value.
    static var zero: Self { get }
    /// Widens to `Double` (for printing, statistics and comparisons).
    var doubleValue: Double { get }
    /// Narrows from `Double` (rounding toward zero for integers, saturating).
    init(fromDouble d: Double)
}

/// A floating-point ``TensorElement`` that kernels can compute with.
public protocol FloatingTensorElement: TensorElement, BinaryFloatingPoint {}

extension Float: FloatingTensorElement {
    public static var dataType: DataType { .float }
    public var doubleValue: Double { Double(self) }
    public init(fromDouble d: Double) { self = Float(d) }
}

extension Double: FloatingTensorElement {
    public static var dataType: DataType { .double }
    public var doubleValue: Double { self }
    public init(fromDouble d: Double) { self = d }
}

extension Float16: TensorElement {
    public static var dataType: DataType { .float16 }
    public var doubleValue: Double { Double(self) }
    public init(fromDouble d: Double) { self = Float16(d) }
}

extension Bool: TensorElement {
    public static var dataType: DataType { .bool }
    public static var zero: Bool { false }
    public var doubleValue: Double { self ? 1 : 0 }
    public init(fromDouble d: Double) { self = d != 0 }
}

/// Integer element types share one saturating conversion.
public protocol IntegerTensorElement: TensorElement, FixedWidthInteger {}

extension IntegerTensorElement {
    public var doubleValue: Double { Double(self) }
    public init(fromDouble d: Double) {
        if d.isNaN {
            self = 0
        } else if d >= Double(Self.max) {
            self = Self.max
        } else if d <= Double(Self.min) {
            self = Self.min
        } else {
            self = Self(d.rounded(.towardZero))
        }
    }
}

extension Int32: IntegerTensorElement { public static var dataType: DataType { .int32 } }
extension Int64: IntegerTensorElement { public static var dataType: DataType { .int64 } }
extension UInt8: IntegerTensorElement { public static var dataType: DataType { .uint8 } }
extension Int8: IntegerTensorElement { public static var dataType: DataType { .int8 } }
extension UInt16: IntegerTensorElement { public static var dataType: DataType { .uint16 } }
extension Int16: IntegerTensorElement { public static var dataType: DataType { .int16 } }
