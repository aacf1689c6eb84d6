import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The sampler's schedule: ticks at fixed multiples of the interval from the start (absolute
/// deadlines, so a late wake-up does not shift every later tick — drift correction), and the
/// count of ticks that passed without a sample because the thread woke too late (a loaded host).
/// Pure arithmetic, so the counting is tested without a clock.
struct Cadence {
    let step: UInt64
    private(set) var next: UInt64
    /// Ticks that came and went while the thread was not running.
    private(set) var missed = 0

    init(start: UInt64, step: UInt64) {
        self.step = max(step, 1)
        self.next = start + self.step
    }

    /// Nanoseconds to wait from `now` until the next tick (0 when it is already due).
    func wait(from now: UInt64) -> UInt64 { next > now ? next - now : 0 }

    /// The thread woke at `now` and takes a sample: schedules the next tick after `now` and
    /// counts the ticks that fell in between (the one being served is not missed).
    mutating func woke(at now: UInt64) {
        next += step
        if next <= now {
            let skipped = (now - next) / step + 1
            missed += Int(skipped)
            next += skipped * step
        }
    }
}

/// Time-weighted means of a sampled series whose samples are not evenly spaced (a loaded host
/// delays the sampler: gaps of up to a second at 50 ms were seen). An unweighted mean gives a
/// sample taken after a 1 s gap the same weight as one taken 50 ms after the previous.
enum TimeWeighted {
    /// Mean of a gauge (memory): the integral of the piecewise-linear line through the samples
    /// (trapezoids) over the time it spans. One sample: that value. nil for no samples.
    static func gaugeMean(t: [Double], v: [Double]) -> Double? {
        let n = min(t.count, v.count)
        guard n > 0 else { return nil }
        guard n > 1 else { return v[0] }
        var area = 0.0, span = 0.0
        for i in 1..<n {
            let dt = t[i] - t[i - 1]
            guard dt > 0 else { continue }
            area += (v[i] + v[i - 1]) / 2 * dt
            span += dt
        }
        return span > 0 ? area / span : v.prefix(n).reduce(0, +) / Double(n)
    }

    /// Mean of a rate sampled as "average over the interval ending at t" (CPU %): each value
    /// weighs the length of its own interval, which starts at the previous sample (`start` for
    /// the first). This is total CPU over total time, whatever the gaps.
    static func intervalMean(t: [Double], v: [Double], start: Double) -> Double? {
        let n = min(t.count, v.count)
        guard n > 0 else { return nil }
        var sum = 0.0, span = 0.0, prev = start
        for i in 0..<n {
            let dt = t[i] - prev
            prev = t[i]
            guard dt > 0 else { continue }
            sum += v[i] * dt
            span += dt
        }
        return span > 0 ? sum / span : nil
    }
}

/// What the sampler thread does to keep its cadence on a busy host, and what worked.
enum SamplerThreadTuning {
    /// Nice value asked for the sampler thread (per-thread on Linux). Higher weight than a
    /// workload at nice 0 makes the scheduler run it promptly when its timer fires; its work per
    /// sample is tens of microseconds, so it takes little from the workload.
    static let nice: Int32 = -10
    /// Timer slack of the thread, ns (default 50 µs): wake-ups on time, not batched.
    static let timerSlackNanos = 1_000

    /// Applies the tuning to the calling thread; returns what could not be applied (non-root
    /// without CAP_SYS_NICE cannot lower its nice value), for the figures' source text.
    static func applyToCurrentThread() -> [String] {
        var notApplied: [String] = []
        let tid = currentTID()
        if let tid, setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(tid), nice) != 0 {
            notApplied.append("nice \(nice)")
        }
        if let tid {
            // Only /proc/TID/timerslack_ns exists (not under task/): /proc/TID names the thread.
            let fd = open("/proc/\(tid)/timerslack_ns", O_WRONLY | O_CLOEXEC)
            var ok = false
            if fd >= 0 {
                let text = "\(timerSlackNanos)"
                ok = text.withCString { write(fd, $0, strlen($0)) } > 0
                close(fd)
            }
            if !ok { notApplied.append("timer slack \(timerSlackNanos) ns") }
        }
        if tid == nil { notApplied.append("nice and timer slack (thread id unknown)") }
        return notApplied
    }

    /// The kernel's id of the calling thread, from /proc/thread-self ("PID/task/TID").
    static func currentTID() -> Int32? {
        var buf = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/thread-self", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let text = String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: "/").last.flatMap { Int32($0) }
    }
}
