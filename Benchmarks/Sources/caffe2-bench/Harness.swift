import Foundation

/// Times `body` `reps` times after `warmup` runs and returns the median in seconds.
func median(reps: Int = 31, warmup: Int = 3, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup { try body() }
    var times: [Double] = []
    times.reserveCapacity(reps)
    let clock = ContinuousClock()
    for _ in 0..<reps {
        let t0 = clock.now
        try body()
        let d = clock.now - t0
        times.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }
    times.sort()
    return times[times.count / 2]
}

/// Median of `reps` timings of `inner` back-to-back calls, per call.
func medianPerCall(reps: Int = 31, inner: Int, _ body: () throws -> Void) rethrows -> Double {
    try median(reps: reps) {
        for _ in 0..<inner { try body() }
    } / Double(inner)
}

/// A fixed-width table printed to stdout.
struct Table {
    var title: String
    var header: [String]
    var rows: [[String]] = []

    mutating func add(_ row: [String]) { rows.append(row) }

    func print() {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == 0 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[i] - c.count) + c }.joined(separator: "  ")
        }
        Swift.print("\n## \(title)\n")
        Swift.print(line(header))
        Swift.print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for r in rows { Swift.print(line(r)) }
    }
}

func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

/// Allocates `n` floats, touched so page faults are not timed.
func buffer(_ n: Int, _ f: (Int) -> Float) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
    for i in 0..<n { p[i] = f(i) }
    return p
}

/// Runs `body` on `threads` threads over contiguous halves of `0..<n` (the C loop "on both cores").
func split(_ n: Int, threads: Int, _ body: @Sendable (Int, Int) -> Void) {
    if threads <= 1 {
        body(0, n)
        return
    }
    DispatchQueue.concurrentPerform(iterations: threads) { c in
        let lo = n * c / threads & ~63
        let hi = c == threads - 1 ? n : n * (c + 1) / threads & ~63
        body(lo, hi)
    }
}

struct SendablePointer<T>: @unchecked Sendable {
    let p: UnsafeMutablePointer<T>
}
