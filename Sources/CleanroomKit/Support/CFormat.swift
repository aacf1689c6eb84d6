import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// printf-style formatting of numbers through the C library's vsnprintf, in place of
/// `String(format:)`: that goes through Foundation's NSString and CoreFoundation's own format
/// parser, whose first use in a process pages in and sets up CoreFoundation's formatting (perf of
/// `run` on /bin/true: a quarter of the sampler thread's CPU went to writing its "50ms" into a
/// source text; `exec -- /bin/true` used 1.3 ms less user CPU without it). The process never calls setlocale, so the decimal
/// point is the C locale's ".", as `String(format:)` without a locale writes it.
/// Only for numbers (%d %u %x %X %f %g %e with flags, width and precision; no %@, no %s).
public enum CFormat {
    /// One number, the common case (every caller but the byte and code-point texts): through a C
    /// function of fixed signature, not `withVaList`, whose casts of each argument to the C
    /// variadic protocols were first conformance lookups, each a scan of every conformance record
    /// in the binary (16 of the 35 scans of an `exec -- /bin/true`). `format` has exactly one
    /// floating-point conversion (%f %g %e with flags, width and precision).
    public static func text(_ format: String, _ value: Double) -> String {
        format.withCString { f in
            var small = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            let n = withUnsafeMutableBytes(of: &small) { raw -> Int in
                Int(cspawn_format_double(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count, f, value))
            }
            guard n >= 0 else { return "" }
            if n < MemoryLayout.size(ofValue: small) {
                return withUnsafeBytes(of: &small) { String(decoding: $0.prefix(n), as: UTF8.self) }
            }
            return String(unsafeUninitializedCapacity: n + 1) { buf in
                buf.withMemoryRebound(to: CChar.self) { c in
                    Int(cspawn_format_double(c.baseAddress, n + 1, f, value))
                }
            }
        }
    }

    public static func text(_ format: String, _ args: CVarArg...) -> String {
        let needed = render(format, args, capacity: 128)
        switch needed {
        case .done(let s): return s
        case .needs(let n):
            if case .done(let s) = render(format, args, capacity: n + 1) { return s }
            return ""
        }
    }

    private enum Rendered { case done(String), needs(Int) }

    /// A va_list is used up by one vsnprintf: a longer text is rendered again from the arguments.
    private static func render(_ format: String, _ args: [CVarArg], capacity: Int) -> Rendered {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
            let n = format.withCString { f in withVaList(args) { vsnprintf(buffer.baseAddress, capacity, f, $0) } }
            guard n >= 0 else { return .done("") }
            if Int(n) >= capacity { return .needs(Int(n)) }
            return .done(String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(n)).bindMemory(to: UInt8.self), as: UTF8.self))
        }
    }
}
