// Tensor <-> TensorProto, following Caffe2's TensorSerializer/TensorDeserializer.

extension Tensor {
    /// Deserialises a `TensorProto` exactly as Caffe2 does.
    ///
    /// The payload field follows the type: `float_data` (FLOAT), `int32_data`
    /// (INT32 and the narrow integer types, BOOL, FLOAT16 bit patterns),
    /// `int64_data`, `double_data`, `string_data`, `byte_data` (BYTE as
    /// uint8, and FLOAT16 when present), or PyTorch-era `raw_data`
    /// (little-endian; bfloat16 when `data_format` is `FMT_BFLOAT16`).
    /// A `segment` fills only its element range of a zero tensor of the full
    /// `dims`; combine chunks with ``Tensor/init(chunks:)``.
    ///
    /// ```swift
    /// var p = TensorProto(dims: [2], dataType: .int64)
    /// p.int64Data = [3, 4]
    /// let t = try Tensor(proto: p)        // int64 [2] [3, 4]
    /// ```
    public init(proto: TensorProto) throws {
        var t = try Tensor(dims: proto.dims, dataType: Tensor.storedType(proto.dataType, name: proto.name))
        try t.fill(from: proto)
        self = t
    }

    /// Joins the chunks Caffe2 writes for large tensors (each with full dims and a segment).
    public init(chunks: [TensorProto]) throws {
        guard let first = chunks.first else {
            throw Caffe2Error(.invalidInput, "no tensor chunks given")
        }
        var t = try Tensor(dims: first.dims, dataType: Tensor.storedType(first.dataType, name: first.name))
        for c in chunks {
            guard c.dims == first.dims, Tensor.storedTypeOrNil(c.dataType) == t.dataType else {
                throw Caffe2Error(.invalidInput, "tensor chunk '\(c.name)' has dims \(c.dims) / type \(c.dataType.name), expected \(first.dims) / \(first.dataType.name)")
            }
            try t.fill(from: c)
        }
        self = t
    }

    static func storedTypeOrNil(_ t: DataType) -> DataType? {
        if t == .byte { return .uint8 }
        return t.isTensorType ? t : nil
    }

    static func storedType(_ t: DataType, name: String) throws -> DataType {
        guard let s = storedTypeOrNil(t) else {
            throw Caffe2Error(.dataType, "tensor '\(name)' has data_type \(t.name), which has no tensor deserializer")
        }
        return s
    }

    private mutating func fill(from p: TensorProto) throws {
        var begin = 0
        var end = count
        if let s = p.segment {
            guard s.begin >= 0, s.begin <= s.end, s.end <= Int64(count) else {
                throw Caffe2Error(.invalidInput, "tensor '\(p.name)': invalid chunk \(s.begin) \(s.end) with total tensor size \(count)")
            }
            begin = Int(s.begin)
            end = Int(s.end)
        }
        let n = end - begin
        func sizeError(_ field: String, _ got: Int) -> Caffe2Error {
            Caffe2Error(
                .invalidInput,
                "tensor '\(p.name)' (\(p.dataType.name) \(p.dims)): \(field) holds \(got) values, expected \(n) (incorrect proto field size)"
            )
        }
        makeUnique()
        if dataType == .string {
            guard p.stringData.count == n else { throw sizeError("string_data", p.stringData.count) }
            for i in 0..<n { storage.strings[begin + i] = String(decoding: p.stringData[i], as: UTF8.self) }
            return
        }
        let esize = dataType.elementSize!
        let dst = storage.bytes + begin * esize
        if let raw = p.$rawData {
            if p.dataFormat == 1 {  // FMT_BFLOAT16: upper halves of float32
                guard dataType == .float else {
                    throw Caffe2Error(.invalidInput, "tensor '\(p.name)': bfloat16 raw_data needs FLOAT, not \(p.dataType.name)")
                }
                guard raw.count == n * 2 else { throw sizeError("raw_data (bfloat16 bytes)", raw.count / 2) }
                let out = dst.assumingMemoryBound(to: UInt32.self)
                for i in 0..<n { out[i] = (UInt32(raw[2 * i]) | UInt32(raw[2 * i + 1]) << 8) << 16 }
                return
            }
            guard p.dataFormat == 0 else {
                throw Caffe2Error(.invalidInput, "tensor '\(p.name)': unknown data_format \(p.dataFormat)")
            }
            guard raw.count == n * esize else { throw sizeError("raw_data (bytes / \(esize))", raw.count / esize) }
            raw.withUnsafeBytes { if n > 0 { dst.copyMemory(from: $0.baseAddress!, byteCount: n * esize) } }
            return
        }
        func copyInts<T: FixedWidthInteger>(_: T.Type) throws {
            guard p.int32Data.count == n else { throw sizeError("int32_data", p.int32Data.count) }
            let out = dst.assumingMemoryBound(to: T.self)
            for i in 0..<n { out[i] = T(truncatingIfNeeded: p.int32Data[i]) }
        }
        switch dataType {
        case .float:
            guard p.floatData.count == n else { throw sizeError("float_data", p.floatData.count) }
            p.floatData.withUnsafeBytes { if n > 0 { dst.copyMemory(from: $0.baseAddress!, byteCount: n * 4) } }
        case .double:
            guard p.doubleData.count == n else { throw sizeError("double_data", p.doubleData.count) }
            p.doubleData.withUnsafeBytes { if n > 0 { dst.copyMemory(from: $0.baseAddress!, byteCount: n * 8) } }
        case .int64:
            guard p.int64Data.count == n else { throw sizeError("int64_data", p.int64Data.count) }
            p.int64Data.withUnsafeBytes { if n > 0 { dst.copyMemory(from: $0.baseAddress!, byteCount: n * 8) } }
        case .int32:
            try copyInts(Int32.self)
        case .uint8 where p.dataType == .byte || (p.$byteData != nil && p.int32Data.isEmpty):
            guard p.byteData.count == n else { throw sizeError("byte_data", p.byteData.count) }
            p.byteData.withUnsafeBytes { if n > 0 { dst.copyMemory(from: $0.baseAddress!, byteCount: n) } }
        case .uint8:
            try copyInts(UInt8.self)
        case .int8:
            try copyInts(Int8.self)
        case .uint16:
            try copyInts(UInt16.self)
        case .int16:
            try copyInts(Int16.self)
        case .bool:
            guard p.int32Data.count == n else { throw sizeError("int32_data", p.int32Data.count) }
            let out = dst.assumingMemoryBound(to: Bool.self)
            for i in 0..<n { out[i] = p.int32Data[i] != 0 }
        case .float16:
            if let bytes = p.$byteData {
                guard bytes.count == n * 2 else { throw sizeError("byte_data (fp16 bytes)", bytes.count / 2) }
                bytes.withUnsafeBytes { if n > 0 { dst.copyMemory(from: $0.baseAddress!, byteCount: n * 2) } }
            } else {
                try copyInts(UInt16.self)
            }
        default:
            throw Caffe2Error(.dataType, "tensor '\(p.name)': cannot deserialize \(p.dataType.name)")
        }
    }

    /// Serialises the tensor as Caffe2's TensorSerializer does (typed payload fields, not `raw_data`).
    ///
    /// FLOAT goes to `float_data`; INT32, BOOL, UINT8, INT8, UINT16, INT16 and
    /// FLOAT16 (bit pattern) to `int32_data`; INT64 to `int64_data`; DOUBLE to
    /// `double_data`; STRING to `string_data`.
    public func proto(name: String? = nil) -> TensorProto {
        var p = TensorProto(name: name, dims: dims, dataType: dataType)
        switch dataType {
        case .float: p.floatData = Array(typedBuffer(Float.self))
        case .double: p.doubleData = Array(typedBuffer(Double.self))
        case .int64: p.int64Data = Array(typedBuffer(Int64.self))
        case .int32: p.int32Data = Array(typedBuffer(Int32.self))
        case .bool: p.int32Data = typedBuffer(Bool.self).map { $0 ? 1 : 0 }
        case .uint8: p.int32Data = typedBuffer(UInt8.self).map { Int32($0) }
        case .int8: p.int32Data = typedBuffer(Int8.self).map { Int32($0) }
        case .uint16: p.int32Data = typedBuffer(UInt16.self).map { Int32($0) }
        case .int16: p.int32Data = typedBuffer(Int16.self).map { Int32($0) }
        case .float16: p.int32Data = typedBuffer(UInt16.self).map { Int32($0) }
        case .string: p.stringData = storage.strings.map { Array($0.utf8) }
        default: break
        }
        return p
    }
}
