/// A kernel for a unary element-wise operator over float32 and float64:
/// output 0 is shaped like input 0, and may be the same blob (in place).
///
/// The loops receive `(x, y, count)` with `y == x` for an in-place call;
/// ``mapUnary(_:_:_:_:)`` handles that case and threading.
func unaryFloatingKernel(
    float: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
    double: @escaping @Sendable (UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void
) -> OperatorKernel {
    OperatorKernel { _, _ in
        { ctx in
            let x = try ctx.input(0)
            switch x.dataType {
            case .float:
                let y = try ctx.output(0, like: x)
                float(x.pointer(Float.self), y.pointer(Float.self), x.count)
            case .double:
                let y = try ctx.output(0, like: x)
                double(x.pointer(Double.self), y.pointer(Double.self), x.count)
            default:
                throw x.unsupportedType([.float, .double])
            }
        }
    }
}

/// A kernel for a binary element-wise operator over float32 and float64
/// whose two inputs must have identical dims (gradient ops such as
/// `ReciprocalGradient(Y, dY)`); output 0 is shaped like input 0 and may be
/// the same blob as either input.
func sameShapeBinaryFloatingKernel(
    float: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
    double: @escaping @Sendable (UnsafePointer<Double>, UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) ->
        Void
) -> OperatorKernel {
    OperatorKernel { _, _ in
        { ctx in
            let a = try ctx.input(0)
            let b = try ctx.input(1)
            guard a.dims == b.dims else {
                throw Caffe2Error(
                    .shape, "inputs '\(a.name)' \(a.dims) and '\(b.name)' \(b.dims) must have the same dims",
                    blob: b.name)
            }
            guard a.dataType == b.dataType else {
                throw Caffe2Error(
                    .dataType, "inputs '\(a.name)' (\(a.dataType)) and '\(b.name)' (\(b.dataType)) must have the same type",
                    blob: b.name)
            }
            switch a.dataType {
            case .float:
                let z = try ctx.output(0, like: a)
                float(a.pointer(Float.self), b.pointer(Float.self), z.pointer(Float.self), a.count)
            case .double:
                let z = try ctx.output(0, like: a)
                double(a.pointer(Double.self), b.pointer(Double.self), z.pointer(Double.self), a.count)
            default:
                throw a.unsupportedType([.float, .double])
            }
        }
    }
}
