/// Gather and SparseToDense: picking rows by index and scattering them back.
///
/// Training nets use `Gather` to draw a minibatch out of a dataset held in
/// the workspace; its gradient is Caffe2's sparse pass-through
/// (`(indices, dOutput)`), or a dense `SparseToDense` with `dense_gradient`.
enum IndexingOperators {
    static let definitions: [OperatorDefinition] = [gather, sparseToDense]

    /// Reads an index tensor (int32 or int64) as `Int`s, each checked against `limit`.
    static func indices(_ v: TensorView, limit: Int, what: String) throws -> [Int] {
        let raw: [Int]
        switch v.dataType {
        case .int32: raw = try v.buffer(Int32.self).map(Int.init)
        case .int64: raw = try v.buffer(Int64.self).map(Int.init)
        default: throw v.unsupportedType([.int32, .int64])
        }
        for (i, k) in raw.enumerated() where k < 0 || k >= limit {
            throw Caffe2Error(
                .invalidInput, "index \(k) at position \(i) of '\(v.name)' is out of range for \(what) (size \(limit))",
                blob: v.name)
        }
        return raw
    }

    static let gather = OperatorDefinition(
        schema: OperatorSchema("Gather")
            .numInputs(2).numOutputs(1)
            .tensorInference("Gather") { def, inputs in
                let axis = try Arguments(def).single("axis", default: 0)
                let data = inputs[0]
                let a = axis < 0 ? axis + data.dims.count : axis
                guard a >= 0, a < data.dims.count else {
                    throw Caffe2Error(.argument, "axis \(axis) is out of range for DATA of rank \(data.dims.count)")
                }
                return [
                    TensorShape(
                        dims: Array(data.dims[..<a]) + inputs[1].dims + Array(data.dims[(a + 1)...]),
                        dataType: data.dataType)
                ]
            }
            .types(DataType.tensorTypes)
            .doc(
                """
                Picks slices of DATA along `axis` (default 0) at INDICES: OUTPUT has shape \
                DATA.dims[:axis] + INDICES.dims + DATA.dims[axis+1:]. Indices are int32 or int64 and must lie \
                in [0, DATA.dims[axis]).
                """
            )
            .arg("axis", "The axis of DATA to index (default 0).")
            .arg("dense_gradient", "Make the gradient of DATA dense (SparseToDense) instead of sparse.")
            .input(0, "DATA", "Tensor to gather from.")
            .input(1, "INDICES", "int32 or int64 indices.")
            .output(0, "OUTPUT", "The gathered slices."),
        kernels: [
            OperatorKernel { _, args in
                let axis = try args.single("axis", default: 0)
                return { ctx in
                    let data = try ctx.input(0)
                    let idx = try ctx.input(1)
                    let a = axis < 0 ? axis + data.rank : axis
                    guard a >= 0, a < data.rank else {
                        throw Caffe2Error(.argument, "axis \(axis) is out of range for '\(data.name)' of rank \(data.rank)")
                    }
                    let ks = try indices(idx, limit: data.dim(a), what: "axis \(a) of '\(data.name)'")
                    let outer = data.sizeToDim(a)
                    let inner = data.sizeFromDim(a + 1)
                    let rows = data.dim(a)
                    let outDims = Array(data.dims[..<a]) + idx.dims + Array(data.dims[(a + 1)...])
                    if data.dataType == .string {
                        let src = try ctx.inputTensor(0).strings
                        var out: [String] = []
                        out.reserveCapacity(outer * ks.count * inner)
                        for o in 0..<outer {
                            for k in ks { out += src[((o * rows + k) * inner)..<((o * rows + k + 1) * inner)] }
                        }
                        ctx.setOutput(0, try Tensor(dims: outDims, strings: out))
                        return
                    }
                    let y = try ctx.output(0, dims: outDims, type: data.dataType)
                    let size = data.dataType.elementSize! * inner
                    let src = UnsafeRawPointer(data.pointer(UInt8.self))
                    let dst = UnsafeMutableRawPointer(y.pointer(UInt8.self))
                    var d = 0
                    for o in 0..<outer {
                        for k in ks {
                            (dst + d).copyMemory(from: src + (o * rows + k) * size, byteCount: size)
                            d += size
                        }
                    }
                }
            }
        ],
        gradient: .make { g in
            let args = try Arguments(g.def)
            guard try args.single("axis", default: 0) == 0 else {
                throw Caffe2Error(.gradient, "Gather's gradient is only defined for axis 0", opType: "Gather")
            }
            if try args.single("dense_gradient", default: false) {
                return [g.gradientDef("SparseToDense", inputs: [try g.I(1), try g.GO(0), try g.I(0)], outputs: [try g.GI(0)])]
            }
            try g.SetSparse(0, indices: try g.I(1), values: try g.GO(0))
            return []
        })

    static let sparseToDense = OperatorDefinition(
        schema: OperatorSchema("SparseToDense")
            .numInputs(2, 3).numOutputs(1)
            .tensorInference("SparseToDense") { def, inputs in
                guard inputs.count == 3 else { return [TensorShape.unknown()] }
                let first = inputs[2].dims.first ?? 1
                return [TensorShape(dims: [first] + Array(inputs[1].dims.dropFirst(inputs[0].dims.count)),
                                    dataType: inputs[1].dataType)]
            }
            .types([.float, .double, .int32, .int64])
            .doc(
                """
                Scatters VALUES into a zero tensor: OUTPUT[INDICES[i]] += VALUES[i]. The first dim of OUTPUT is \
                DATA_TO_INFER_DIM.dims[0] when that input is given, else max(INDICES) + 1; the remaining dims are \
                those of VALUES after the index dims. Duplicate indices accumulate.
                """
            )
            .input(0, "INDICES", "int32 or int64 indices.")
            .input(1, "VALUES", "Slices to scatter, one per index.")
            .input(2, "DATA_TO_INFER_DIM", "Optional: a tensor whose first dim is the output's.")
            .output(0, "OUTPUT", "The dense tensor."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let idx = try ctx.input(0)
                    let values = try ctx.input(1)
                    guard values.rank >= idx.rank, Array(values.dims[..<idx.rank]) == idx.dims else {
                        throw Caffe2Error(
                            .shape, "VALUES \(values.dims) must start with the INDICES dims \(idx.dims)", blob: values.name)
                    }
                    let limit: Int
                    if ctx.inputCount == 3 {
                        let like = try ctx.input(2)
                        guard like.rank >= 1 else {
                            throw Caffe2Error(.shape, "DATA_TO_INFER_DIM must have at least one dim", blob: like.name)
                        }
                        limit = like.dim(0)
                    } else {
                        let raw = try indices(idx, limit: Int.max, what: "the output")
                        limit = (raw.max() ?? -1) + 1
                    }
                    let ks = try indices(idx, limit: limit, what: "the output's first dim")
                    let inner = values.sizeFromDim(idx.rank)
                    let y = try ctx.output(0, dims: [Int64(limit)] + Array(values.dims[idx.rank...]), type: values.dataType)
                    y.zero()
                    func scatter<T: Numeric>(_: T.Type) {
                        let src = values.pointer(T.self)
                        let dst = y.pointer(T.self)
                        for (i, k) in ks.enumerated() {
                            for j in 0..<inner { dst[k * inner + j] += src[i * inner + j] }
                        }
                    }
                    switch values.dataType {
                    case .float: scatter(Float.self)
                    case .double: scatter(Double.self)
                    case .int32: scatter(Int32.self)
                    case .int64: scatter(Int64.self)
                    default: throw values.unsupportedType([.float, .double, .int32, .int64])
                    }
                }
            }
        ],
        gradient: .make { g in
            g.singleGradientDef("Gather", inputs: [try g.GO(0), try g.I(0)], outputs: [try g.GI(1)])
        })
}
