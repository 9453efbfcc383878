import Testing

@testable import Caffe2

/// The public broadcast helpers of Kernels/Broadcast.swift.
@Suite struct ElementwiseBroadcastTests {
    @Test(arguments: [
        ([2, 3, 4], [3, 1], [2, 3, 4]),
        ([2, 3], [2, 3], [2, 3]),
        ([], [2, 3], [2, 3]),
        ([3, 1], [], [3, 1]),
        ([], [], []),
        ([1, 3], [2, 1], [2, 3]),
        ([4], [2, 3, 4], [2, 3, 4]),
        ([2, 0, 3], [1, 3], [2, 0, 3]),
        ([0], [1], [0]),
        ([5, 1, 1], [1, 4, 6], [5, 4, 6]),
    ] as [([Int64], [Int64], [Int64])])
    func numpyDims(_ a: [Int64], _ b: [Int64], _ expected: [Int64]) throws {
        #expect(try Broadcast.numpyDims(a, b) == expected)
        #expect(try Broadcast.numpyDims(b, a) == expected)
    }

    @Test func numpyMismatchUsesCaffe2Message() {
        #expect {
            try Broadcast.numpyDims([2, 3], [4])
        } throws: { e in
            (e as? Caffe2Error)?.message == "A_dim: 3,B_dim: 4" && (e as? Caffe2Error)?.kind == .shape
        }
        // 0 only combines with 0 or 1.
        #expect(throws: Caffe2Error.self) { try Broadcast.numpyDims([0], [3]) }
    }

    @Test func legacySizes() throws {
        let s = try Broadcast.legacySizes([2, 3, 4, 5], [3, 4], axis: 1)
        #expect(s.pre == 2 && s.n == 12 && s.post == 5)
        let suffix = try Broadcast.legacySizes([2, 3, 4, 5], [4, 5], axis: -1)
        #expect(suffix.pre == 6 && suffix.n == 20 && suffix.post == 1)
        // Leading and trailing 1s of B are stripped.
        let ones = try Broadcast.legacySizes([2, 3, 4, 5], [1, 3, 1], axis: 0)
        #expect(ones.pre == 2 && ones.n == 3 && ones.post == 20)
        let view = try Broadcast.legacyDims([2, 3, 4, 5], [3, 4], axis: 1)
        #expect(view.a == [2, 12, 5] && view.b == [12, 1])
        let scalar = try Broadcast.legacyDims([2, 3], [1, 1], axis: -1)
        #expect(scalar.a == [6] && scalar.b == [1])
    }

    @Test func legacyErrorsUseCaffe2Messages() {
        func message(_ body: () throws -> Void) -> String {
            do {
                try body()
                return ""
            } catch let e as Caffe2Error { return e.message } catch { return "\(error)" }
        }
        #expect(
            message { _ = try Broadcast.legacySizes([3], [2, 3], axis: -1) }.hasPrefix(
                "If you are doing broadcasting, input1 should have a smaller or equal number of dimensions."))
        #expect(
            message { _ = try Broadcast.legacySizes([2, 3, 4], [3, 4], axis: 2) }.hasPrefix(
                "Broadcast axis should be in the range of[0, A.ndim() - B.ndim()], but axis = 2"))
        #expect(message { _ = try Broadcast.legacySizes([2, 3, 4], [4], axis: 1) }.hasPrefix("Broadcast dimension mismatch."))
    }

    @Test func layoutMergesDimsAndDropsOnes() throws {
        let l = try BroadcastLayout(output: [2, 3, 4], operands: [[2, 3, 4], [3, 1]])
        // B varies along the middle dim only, so nothing merges.
        #expect(l.dims == [2, 3, 4])
        #expect(l.strides == [[12, 4, 1], [0, 1, 0]])
        #expect(l.innerCount == 4 && l.outerCount == 6 && l.count == 24)
        #expect(l.innerStride(1) == 0 && l.isFullSize(0) && !l.isFullSize(1))

        let suffix = try BroadcastLayout(output: [2, 3, 4], operands: [[2, 3, 4], [4]])
        #expect(suffix.dims == [6, 4] && suffix.strides == [[4, 1], [0, 1]])

        let same = try BroadcastLayout(output: [2, 1, 3], operands: [[2, 1, 3], [2, 1, 3]])
        #expect(same.dims == [6] && same.strides == [[1], [1]])

        let merged = try BroadcastLayout(output: [2, 3, 4], operands: [[2, 3, 4], [2, 1, 1]])
        #expect(merged.dims == [2, 12] && merged.strides == [[12, 1], [1, 0]])

        let scalar = try BroadcastLayout(output: [], operands: [[], []])
        #expect(scalar.dims == [1] && scalar.count == 1)

        let empty = try BroadcastLayout(output: [2, 0, 3], operands: [[2, 0, 3], [1, 3]])
        #expect(empty.count == 0 && empty.outerCount == 0)

        #expect(throws: Caffe2Error.self) { try BroadcastLayout(output: [2, 3], operands: [[4, 3]]) }
        #expect(throws: Caffe2Error.self) { try BroadcastLayout(output: [3], operands: [[2, 3]]) }
    }

    @Test func rowsVisitOperandOffsetsInOrder() throws {
        // Output [2, 3, 2]; operand 1 is [3, 1], so its row offsets repeat per outer index.
        let l = try BroadcastLayout(output: [2, 3, 2], operands: [[2, 3, 2], [2, 1, 2], [3, 1]])
        var seen: [[Int]] = []
        l.forEachRow { offsets, row in seen.append([row, offsets[0], offsets[1], offsets[2]]) }
        #expect(l.dims == [2, 3, 2])
        #expect(seen == [
            [0, 0, 0, 0], [1, 2, 0, 1], [2, 4, 0, 2],
            [3, 6, 2, 0], [4, 8, 2, 1], [5, 10, 2, 2],
        ])
        // A cursor started in the middle gives the same offsets.
        var cursor = l.cursor(at: 4)
        #expect(cursor.offsets == [8, 2, 1])
        cursor.advance()
        #expect(cursor.offsets == [10, 2, 2])
    }

    @Test func rowChunksCoverEveryRowOnce() throws {
        let rows = 3 * Parallel.minElementsPerThread
        let l = try BroadcastLayout(output: [Int64(rows), 2], operands: [[Int64(rows), 1]])
        var hits = [UInt8](repeating: 0, count: rows)
        hits.withUnsafeMutableBufferPointer { h in
            let p = h.baseAddress!
            l.forRowChunks { range in
                var cursor = l.cursor(at: range.lowerBound)
                for row in range {
                    if cursor.offsets[0] == row { p[row] &+= 1 }
                    cursor.advance()
                }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }

    @Test func reduceAndExpandLoops() throws {
        // dB for B [3, 1] broadcast into [2, 3, 4]: sums over axes 0 and 2.
        let layout = try BroadcastLayout(output: [2, 3, 4], operands: [[2, 3, 4], [3, 1]])
        let g = (0..<24).map { Float($0) }
        var db = [Float](repeating: -1, count: 3)
        g.withUnsafeBufferPointer { gp in
            db.withUnsafeMutableBufferPointer { d in
                reduceIntoOperand(layout, target: 1, other: 1, gp.baseAddress!, gp.baseAddress!, gp.baseAddress!,
                    d.baseAddress!, count: 3) { v, _, _ in v }
            }
        }
        // Row r (0...2) sums i*12 + r*4 + k over i in 0..<2, k in 0..<4.
        #expect(db == [60, 92, 124])

        var back = [Float](repeating: 0, count: 24)
        db.withUnsafeBufferPointer { s in
            back.withUnsafeMutableBufferPointer { d in
                expandFromOperand(layout, source: 1, s.baseAddress!, d.baseAddress!) { $0 * 2 }
            }
        }
        #expect(back[0...3].allSatisfy { $0 == 120 } && back[4...7].allSatisfy { $0 == 184 } && back[20] == 248)
    }
}
