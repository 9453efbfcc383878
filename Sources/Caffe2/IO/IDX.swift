import CZlib

/// Reader for the IDX format of the MNIST files (`t10k-images-idx3-ubyte`), plain or gzip-compressed.
///
/// An IDX file is a big-endian header — two zero bytes, a type code, the
/// number of dims, then each dim as a 32-bit integer — followed by the
/// elements in row-major order.
///
/// ```swift
/// let images = try IDXFile.read("mnist/t10k-images-idx3-ubyte.gz")   // uint8 [10000, 28, 28]
/// let labels = try IDXFile.read("mnist/t10k-labels-idx1-ubyte.gz")   // uint8 [10000]
/// ```
public enum IDXFile {
    /// Reads a whole IDX file (gzip is detected from the content) into a tensor of its element type.
    public static func read(_ path: String) throws -> Tensor {
        try parse(try gunzipIfNeeded(readWholeFile(path), path: path), path: path)
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> Tensor {
        do {
            return try parse(bytes)
        } catch let e as Caffe2Error {
            throw e.inFile(path)
        }
    }

    /// Parses IDX bytes.
    public static func parse(_ bytes: [UInt8]) throws -> Tensor {
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
            throw Caffe2Error(.parse, "not an IDX file: it must start with two zero bytes")
        }
        let type: DataType
        switch bytes[2] {
        case 0x08: type = .uint8
        case 0x09: type = .int8
        case 0x0B: type = .int16
        case 0x0C: type = .int32
        case 0x0D: type = .float
        case 0x0E: type = .double
        default: throw Caffe2Error(.parse, "unknown IDX element type 0x\(String(bytes[2], radix: 16)) at byte 2")
        }
        let rank = Int(bytes[3])
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw Caffe2Error(.parse, "IDX header needs \(headerSize) bytes, the file has \(bytes.count)")
        }
        var dims: [Int64] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dims.append(Int64(bytes[o]) << 24 | Int64(bytes[o + 1]) << 16 | Int64(bytes[o + 2]) << 8 | Int64(bytes[o + 3]))
        }
        var t = try Tensor(dims: dims, dataType: type)
        let size = type.elementSize!
        guard bytes.count - headerSize == t.count * size else {
            throw Caffe2Error(
                .parse,
                "IDX body holds \(bytes.count - headerSize) bytes, dims \(dims) need \(t.count * size) (truncated file?)")
        }
        t.makeUnique()
        let dst = t.storage.bytes
        bytes.withUnsafeBytes { src in
            let body = src.baseAddress! + headerSize
            if size == 1 {
                if t.count > 0 { dst.copyMemory(from: body, byteCount: t.count) }
            } else {
                // Big-endian elements: reverse each element's bytes.
                let d = dst.assumingMemoryBound(to: UInt8.self)
                let s = body.assumingMemoryBound(to: UInt8.self)
                for i in 0..<t.count {
                    for b in 0..<size { d[i * size + b] = s[i * size + size - 1 - b] }
                }
            }
        }
        return t
    }

    static func gunzipIfNeeded(_ bytes: [UInt8], path: String) throws -> [UInt8] {
        guard bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B else { return bytes }
        var stream = z_stream()
        // 15 + 32: zlib or gzip header, detected automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Caffe2Error(.io, "zlib could not start inflating", file: path)
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        try bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            repeat {
                status = chunk.withUnsafeMutableBufferPointer { buf in
                    stream.next_out = buf.baseAddress
                    stream.avail_out = UInt32(buf.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw Caffe2Error(
                        .parse, "gzip data is corrupt or truncated near compressed byte \(Int(stream.total_in))",
                        file: path)
                }
                out.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
                if status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw Caffe2Error(.parse, "gzip data ends early (truncated file)", file: path)
                }
            } while status != Z_STREAM_END
        }
        return out
    }
}
