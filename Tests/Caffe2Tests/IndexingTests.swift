import Testing

@testable import Caffe2

@Suite struct IndexingTests {
    @Test func gatherRowsAndAxes() throws {
        let data = try Tensor(dims: [3, 2], values: [1, 2, 3, 4, 5, 6] as [Float])
        let idx = try Tensor(dims: [2, 2], values: [2, 0, 1, 1] as [Int64])
        let y = try TestSupport.run("Gather", [data, idx])[0]
        #expect(y.dims == [2, 2, 2])
        #expect(try y.values(as: Float.self) == [5, 6, 1, 2, 3, 4, 3, 4])
        let cols = try TestSupport.run(
            "Gather", [data, Tensor([1] as [Int32])], args: [Argument(name: "axis", int: 1)])[0]
        #expect(try cols.dims == [3, 1] && cols.values(as: Float.self) == [2, 4, 6])
        let bytes = try TestSupport.run("Gather", [try Tensor(dims: [2, 2], values: [1, 2, 3, 4] as [UInt8]), Tensor([1] as [Int32])])[0]
        #expect(try bytes.values(as: UInt8.self) == [3, 4])
        let strings = try TestSupport.run("Gather", [try Tensor(dims: [3], strings: ["a", "b", "c"]), Tensor([2, 0] as [Int32])])[0]
        #expect(strings.strings == ["c", "a"])
        let s = try #require(OperatorRegistry.standard.schema("Gather"))
        let op = OperatorDef(type: "Gather", input: ["D", "I"], output: ["O"])
        #expect(try s.inferShapes(op, [TensorShape(dims: [3, 2]), TensorShape(dims: [2, 2], dataType: .int64)])[0].dims == [2, 2, 2])
    }

    @Test func gatherRejectsOutOfRangeIndices() throws {
        let e = try #require(throws: Caffe2Error.self) {
            try TestSupport.run("Gather", [Tensor([1, 2] as [Float]), Tensor([2] as [Int32])])
        }
        #expect(e.message.contains("index 2") && e.message.contains("size 2") && e.blob == "X1")
        #expect(throws: Caffe2Error.self) { try TestSupport.run("Gather", [Tensor([1, 2] as [Float]), Tensor([0.5] as [Float])]) }
    }

    @Test func sparseToDenseAccumulates() throws {
        let idx = Tensor([0, 2, 0] as [Int32])
        let values = try Tensor(dims: [3, 2], values: [1, 2, 3, 4, 5, 6] as [Float])
        let like = try Tensor(dims: [4, 2], dataType: .float)
        let y = try TestSupport.run("SparseToDense", [idx, values, like])[0]
        #expect(try y.dims == [4, 2] && y.values(as: Float.self) == [6, 8, 0, 0, 3, 4, 0, 0])
        let inferred = try TestSupport.run("SparseToDense", [idx, values])[0]
        #expect(inferred.dims == [3, 2])
    }

    @Test func gradients() throws {
        let gather = OperatorDef(type: "Gather", input: ["D", "I"], output: ["O"])
        let sparse = try OperatorRegistry.standard.gradient(for: gather, gOutput: [.dense("O_grad")])
        #expect(sparse.ops.isEmpty && sparse.gInput == [.sparse(indices: "I", values: "O_grad"), nil])
        var dense = gather
        dense.arg = [Argument(name: "dense_gradient", bool: true)]
        let d = try OperatorRegistry.standard.gradient(for: dense, gOutput: [.dense("O_grad")])
        #expect(d.ops.map(\.type) == ["SparseToDense"] && d.ops[0].input == ["I", "O_grad", "D"])
        #expect(d.ops[0].output == ["D_grad"])
        let r = try GradientChecker(stepSize: 1e-2, threshold: 1e-2).checkOperator(
            dense, inputs: [randomTensor([4, 3]), Tensor([3, 1, 3] as [Int32])], inputIndex: 0)
        #expect(r.passed, "\(r)")
        let s2d = OperatorDef(type: "SparseToDense", input: ["I", "V", "L"], output: ["O"])
        let r2 = try GradientChecker(stepSize: 1e-2, threshold: 1e-2).checkOperator(
            s2d, inputs: [Tensor([1, 0, 1] as [Int32]), randomTensor([3, 2]), try Tensor(dims: [2, 2], dataType: .float)],
            inputIndex: 1)
        #expect(r2.passed, "\(r2)")
    }
}
