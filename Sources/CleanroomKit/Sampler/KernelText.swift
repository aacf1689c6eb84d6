/// Pure parsers for the text the kernel exposes in cgroupfs and /proc. They work on raw bytes
/// (no String building) because the sampler calls them every few milliseconds on preallocated
/// buffers; `KernelText.withBytes` lets tests and the end-of-run readers call them on Strings.
///
/// Every parser returns nil when the figure is not in the text: callers turn that into an
/// `unmeasured` reason, never into 0.
public enum KernelText {
    public typealias Bytes = UnsafeBufferPointer<UInt8>

    /// Runs `body` on the UTF-8 bytes of `text`.
    public static func withBytes<R>(_ text: String, _ body: (Bytes) -> R) -> R {
        var copy = text
        return copy.withUTF8 { body($0) }
    }

    // MARK: - building blocks

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    @inline(__always) static func isBlank(_ c: UInt8) -> Bool { c == 32 || c == 9 }

    /// Parses an unsigned decimal at `i`, advancing `i` past it. nil when no digit is there.
    @inline(__always)
    static func number(_ b: Bytes, _ i: inout Int) -> Int64? {
        var v: Int64 = 0
        let start = i
        while i < b.count, isDigit(b[i]) {
            v = v &* 10 &+ Int64(b[i] &- 48)
            i += 1
        }
        return i > start ? v : nil
    }

    @inline(__always)
    static func skipBlanks(_ b: Bytes, _ i: inout Int) {
        while i < b.count, isBlank(b[i]) { i += 1 }
    }

    @inline(__always)
    static func skipLine(_ b: Bytes, _ i: inout Int) {
        while i < b.count, b[i] != 10 { i += 1 }
        if i < b.count { i += 1 }
    }

    /// Whether `b[i...]` starts with `word`.
    @inline(__always)
    static func hasPrefix(_ b: Bytes, _ i: Int, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count else { return false }
        let w = word.utf8Start
        for k in 0..<n where b[i + k] != w[k] { return false }
        return true
    }

    // MARK: - file formats

    /// A file holding one number (`memory.current`, `memory.peak`, `cpuacct.usage`, `pids.peak`,
    /// `memory.max_usage_in_bytes`). nil for `max` or anything else that is not a number.
    public static func single(_ b: Bytes) -> Int64? {
        var i = 0
        skipBlanks(b, &i)
        return number(b, &i)
    }

    /// The number after `key` in a flat "key value" file: cgroup `cpu.stat` (`usage_usec 123`),
    /// `memory.events` (`oom_kill 0`), `memory.oom_control`, `cpuacct.stat` (`user 12`), and the
    /// "key: value" files of /proc (`/proc/PID/io` `write_bytes: 4096`, `/proc/PID/status`
    /// `VmHWM:    1234 kB`). The key must be a whole word at the start of a line.
    public static func keyed(_ b: Bytes, _ key: StaticString) -> Int64? {
        var i = 0
        let n = key.utf8CodeUnitCount
        while i < b.count {
            if hasPrefix(b, i, key), i + n < b.count, b[i + n] == 32 || b[i + n] == 58 || b[i + n] == 9 {
                var j = i + n
                if b[j] == 58 { j += 1 }   // ':'
                skipBlanks(b, &j)
                return number(b, &j)
            }
            skipLine(b, &i)
        }
        return nil
    }

    /// PSI files (`cpu.pressure`, `memory.pressure`, `io.pressure`): the `total=` of the `some`
    /// line, in microseconds of stall since the cgroup was created.
    public static func psiSomeTotal(_ b: Bytes) -> Int64? {
        var i = 0
        while i < b.count {
            if hasPrefix(b, i, "some ") {
                while i < b.count, b[i] != 10 {
                    if hasPrefix(b, i, "total=") {
                        var j = i + 6
                        return number(b, &j)
                    }
                    i += 1
                }
                return nil
            }
            skipLine(b, &i)
        }
        return nil
    }

    /// cgroup v2 `io.stat`: `254:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0`, one line per
    /// device; the sum over devices. nil when no line carries the counter (an empty io.stat means
    /// no I/O yet, which is a real 0: see `ioStatTotalsOrZero`).
    public static func ioStat(_ b: Bytes, _ key: StaticString) -> Int64? {
        var i = 0
        var total: Int64 = 0
        var found = false
        let n = key.utf8CodeUnitCount
        while i < b.count {
            // Scan this line's fields for `key=`.
            while i < b.count, b[i] != 10 {
                if (i == 0 || isBlank(b[i - 1])), hasPrefix(b, i, key), i + n < b.count, b[i + n] == 61 {
                    var j = i + n + 1
                    if let v = number(b, &j) { total &+= v; found = true }
                    i = j
                } else {
                    i += 1
                }
            }
            if i < b.count { i += 1 }
        }
        return found ? total : nil
    }

    /// cgroup v1 `blkio.throttle.io_service_bytes` / `blkio.io_service_bytes`:
    /// `254:0 Read 4096` … `254:0 Write 8192` … `Total 12288`. Sum over devices of the `Read`
    /// (or `Write`) lines. nil when the file has no per-device line at all.
    public static func blkio(_ b: Bytes, _ op: StaticString) -> Int64? {
        var i = 0
        var total: Int64 = 0
        var found = false
        while i < b.count {
            if i < b.count, isDigit(b[i]) {
                var j = i
                while j < b.count, !isBlank(b[j]), b[j] != 10 { j += 1 }   // MAJ:MIN
                skipBlanks(b, &j)
                if hasPrefix(b, j, op), j + op.utf8CodeUnitCount < b.count, isBlank(b[j + op.utf8CodeUnitCount]) {
                    var k = j + op.utf8CodeUnitCount
                    skipBlanks(b, &k)
                    if let v = number(b, &k) { total &+= v }
                }
                found = true
            }
            skipLine(b, &i)
        }
        return found ? total : nil
    }

    /// The fields of `/proc/PID/stat` the sampler needs (proc(5) numbering).
    public struct ProcStat: Equatable, Sendable {
        public var state: UInt8 = 0
        public var ppid: Int32 = 0
        /// Clock ticks (USER_HZ) spent by the process itself (all its threads, dead ones included).
        public var utime: Int64 = 0, stime: Int64 = 0
        /// Clock ticks of its waited-for (reaped) descendants.
        public var cutime: Int64 = 0, cstime: Int64 = 0
        public var numThreads: Int64 = 0
        /// Resident set size in pages.
        public var rssPages: Int64 = 0
        public init() {}
    }

    /// Parses `/proc/PID/stat`. The command name (field 2) may hold spaces and parentheses, so
    /// fields are counted from the LAST `)`.
    public static func procStat(_ b: Bytes) -> ProcStat? {
        var close = b.count - 1
        while close >= 0, b[close] != 41 { close -= 1 }   // a plain loop: `stride` is slow unoptimised
        guard close >= 0 else { return nil }
        var s = ProcStat()
        var i = close + 1
        var field = 2
        while i < b.count {
            skipBlanks(b, &i)
            guard i < b.count, b[i] != 10 else { break }
            field += 1
            if field == 3 {
                s.state = b[i]; i += 1; continue
            }
            let neg = b[i] == 45
            if neg { i += 1 }
            let v = number(b, &i)
            switch field {
            case 4: s.ppid = Int32(truncatingIfNeeded: v ?? 0)
            case 14: s.utime = v ?? 0
            case 15: s.stime = v ?? 0
            case 16: s.cutime = v ?? 0
            case 17: s.cstime = v ?? 0
            case 20: s.numThreads = v ?? 0
            case 24: s.rssPages = v ?? 0; return s
            default: break
            }
            while i < b.count, !isBlank(b[i]), b[i] != 10 { i += 1 }   // rest of a non-numeric field
        }
        return field >= 17 ? s : nil
    }

    /// `/proc/PID/net/dev`: sum over every interface of the namespace of (received, transmitted)
    /// bytes. The first two lines are headers; then `  lo: RXBYTES packets … | TXBYTES …`, the
    /// receive block having 8 columns.
    public static func netDev(_ b: Bytes) -> (rx: Int64, tx: Int64)? {
        var i = 0
        skipLine(b, &i); skipLine(b, &i)
        var rx: Int64 = 0, tx: Int64 = 0
        var found = false
        while i < b.count {
            var colon = i
            while colon < b.count, b[colon] != 58, b[colon] != 10 { colon += 1 }
            guard colon < b.count, b[colon] == 58 else { skipLine(b, &i); continue }
            var j = colon + 1
            var col = 0
            while j < b.count, b[j] != 10 {
                skipBlanks(b, &j)
                guard j < b.count, b[j] != 10 else { break }
                let v = number(b, &j)
                if col == 0 { rx &+= v ?? 0 }
                if col == 8 { tx &+= v ?? 0; found = true }
                col += 1
                while j < b.count, !isBlank(b[j]), b[j] != 10 { j += 1 }
            }
            i = j
            if i < b.count { i += 1 }
        }
        return found ? (rx, tx) : nil
    }

    /// Whitespace-separated PIDs (`cgroup.procs`, `/proc/PID/task/TID/children`), appended to `out`.
    public static func pids(_ b: Bytes, into out: inout [Int32]) {
        var i = 0
        while i < b.count {
            if isDigit(b[i]), let v = number(b, &i) {
                out.append(Int32(truncatingIfNeeded: v))
            } else {
                i += 1
            }
        }
    }
}
