import Testing

@testable import Caffe2

@Suite struct IDXTests {
    @Test(.enabled(if: TestSupport.haveModels, "needs ../shared/models"))
    func mnistTestSet() throws {
        let images = try IDXFile.read(TestSupport.model("mnist-t10k/t10k-images-idx3-ubyte.gz"))
        let labels = try IDXFile.read(TestSupport.model("mnist-t10k/t10k-labels-idx1-ubyte.gz"))
        #expect(images.dims == [10000, 28, 28] && images.dataType == .uint8)
        #expect(labels.dims == [10000])
        // Reference sums computed with numpy from the same files.
        let px = try images.values(as: UInt8.self)
        #expect(px.reduce(0) { $0 + Int($1) } == 264_923_200)
        #expect(px[5000 * 784..<5001 * 784].reduce(0) { $0 + Int($1) } == 23_625)
        let lb = try labels.values(as: UInt8.self)
        #expect(lb.prefix(10).map(Int.init) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        #expect(lb.reduce(0) { $0 + Int($1) } == 44_434)
    }

    @Test func bigEndianElementsAndErrors() throws {
        // int32 [2] = [1, -2], float [1] = [1.5]
        let ints: [UInt8] = [0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE]
        #expect(try IDXFile.parse(ints).values(as: Int32.self) == [1, -2])
        let floats: [UInt8] = [0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0, 0]
        #expect(try IDXFile.parse(floats).values(as: Float.self) == [1.5])
        #expect(throws: Caffe2Error.self) { try IDXFile.parse([1, 0, 8, 1]) }
        #expect(throws: Caffe2Error.self) { try IDXFile.parse([0, 0, 0x42, 1, 0, 0, 0, 1, 0]) }
        #expect(throws: Caffe2Error.self) { try IDXFile.parse(Array(ints.dropLast())) }
        #expect(throws: Caffe2Error.self) { try IDXFile.gunzipIfNeeded([0x1F, 0x8B, 8, 0, 0, 0], path: "x.gz") }
    }
}
