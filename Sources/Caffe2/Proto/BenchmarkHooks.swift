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

extension _BenchmarkHooks {
    /// Times the stages of `NetDef(serializedBytes:)` separately (seconds, median of `reps`):
    /// the wire pre-scan, protobuf-c unpack + free, the C → Swift conversion, and freeing the Swift value.
    public static func netDefDecodeStages(_ bytes: [UInt8], reps: Int = 15) -> [(String, Double)] {
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var scan: [Double] = [], unpack: [Double] = [], convert: [Double] = [], destroy: [Double] = []
        let d = NetDef.cDescriptor
        for _ in 0..<reps {
            bytes.withUnsafeBytes { raw in
                var t0 = clock.now
                try? WireScanner.check(raw, d)
                scan.append(seconds(clock.now - t0))
                let b = raw.bindMemory(to: UInt8.self)
                t0 = clock.now
                guard let m = caffe2__net_def__unpack(nil, b.count, b.baseAddress) else { return }
                let tUnpack = clock.now - t0
                t0 = clock.now
                var net: NetDef? = NetDef(c: m)
                convert.append(seconds(clock.now - t0))
                t0 = clock.now
                caffe2__net_def__free_unpacked(m, nil)
                unpack.append(seconds(tUnpack + (clock.now - t0)))
                t0 = clock.now
                net = nil
                destroy.append(seconds(clock.now - t0))
                _ = net
            }
        }
        func med(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        return [("scan", med(scan)), ("unpack + free", med(unpack)), ("convert", med(convert)), ("free Swift value", med(destroy))]
    }
}

import Foundation
