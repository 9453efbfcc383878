import CCaffe2Proto

/// Hooks for the benchmark package; not API (the underscore says so).
public enum _BenchmarkHooks {
    /// protobuf-c's raw unpack of a NetDef, then free: the baseline the Swift
    /// decoder is measured against. Returns the op count, or -1 on failure.
    public static func protobufCUnpackNetDef(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { b -> Int in
            guard let m = caffe2__net_def__unpack(nil, b.count, b.baseAddress) else { return -1 }
            let n = m.pointee.n_op
            caffe2__net_def__free_unpacked(m, nil)
            return n
        }
    }
}
