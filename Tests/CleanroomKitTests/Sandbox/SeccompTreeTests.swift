import CSpawn
import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// The seccomp filters are built in libseccomp's binary-tree layout (`SeccompPolicy.compile`,
/// `tree`): it must decide every call exactly as the one-comparison-after-another layout does, and
/// its longest path (what the kernel's load time grows with) must be short. Both filters of each
/// policy are run by a small classic-BPF interpreter over every syscall number of three
/// architectures, with argument values around each rule's own.
final class SeccompTreeTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(cspawn_sc_available() == 1, "libseccomp is needed to build filters")
    }

    func testTheDefaultPolicyDecidesAsTheChainAndInAFewSteps() throws {
        let rules = SeccompPolicy.defaultDenied.map { SeccompPolicy.Rule(names: [$0], action: CSPAWN_ACT_ERRNO, errno: EPERM, args: []) }
        for notify in [true, false] {
            let (tree, chain) = try compileBoth(defaultAction: (CSPAWN_ACT_ALLOW, 0), rules: rules, notify: notify)
            let longest = try assertSameDecisions(tree, chain, argValues: [0])
            // The chain walks every denied name for an allowed call; the tree a few levels.
            XCTAssertGreaterThan(longest.chain, 50, "the chain's longest path")
            XCTAssertLessThanOrEqual(longest.tree * 3, longest.chain, "tree \(longest.tree) steps, chain \(longest.chain)")
        }
    }

    func testTheStrictPolicyDecidesAsTheChain() throws {
        let rules = [SeccompPolicy.Rule(names: SeccompPolicy.strictAllowed, action: CSPAWN_ACT_ALLOW, errno: 0, args: [])]
        let (tree, chain) = try compileBoth(defaultAction: (CSPAWN_ACT_ERRNO, EPERM), rules: rules, notify: true)
        let longest = try assertSameDecisions(tree, chain, argValues: [0])
        XCTAssertLessThan(longest.tree, longest.chain, "tree \(longest.tree) steps, chain \(longest.chain)")
    }

    /// An OCI profile with argument rules of every comparison, 64-bit values among them (the
    /// tree and the chain compare the two 32-bit halves in different places).
    func testAProfileWithArgumentRulesDecidesAsTheChain() throws {
        let dir = NSTemporaryDirectory() + "cr-seccomp-tree-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/profile.json"
        try """
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [
          {"names": ["read", "write", "close", "openat", "mmap", "brk", "execve", "exit_group", "exit", "sendmsg",
                     "rt_sigaction", "rt_sigprocmask", "futex", "getpid", "newfstatat", "pread64"], "action": "SCMP_ACT_ALLOW"},
          {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 131080, "op": "SCMP_CMP_EQ"}]},
          {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
          {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]},
          {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
          {"names": ["mprotect"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 2, "value": 4, "op": "SCMP_CMP_GE"}]},
          {"names": ["lseek"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 4294967296, "op": "SCMP_CMP_LT"}]},
          {"names": ["ioctl"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 1, "value": 21522, "op": "SCMP_CMP_EQ"}]},
          {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_LE"}]},
          {"names": ["ptrace", "mount", "umount2"], "action": "SCMP_ACT_KILL_PROCESS"}
        ]}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let profile = try OCIProfile.load(path)
        var argValues: Set<UInt64> = [0, 1, UInt64.max]
        for a in profile.rules.flatMap(\.args) {
            let v: UInt64 = a.value
            let around: [UInt64] = [v, v &- 1, v &+ 1, v | (1 << 32), v & 0xffff_ffff, ~v]
            argValues.formUnion(around)
        }
        let (tree, chain) = try compileBoth(defaultAction: profile.defaultAction, rules: profile.rules, notify: true)
        _ = try assertSameDecisions(tree, chain, argValues: Array(argValues).sorted())
    }

    /// A policy of a few rules keeps the chain (libseccomp <= 2.5.3 builds a wrong tree for none).
    func testFewRulesKeepTheChain() throws {
        let rules = [SeccompPolicy.Rule(names: ["ptrace", "mount"], action: CSPAWN_ACT_ERRNO, errno: EPERM, args: [])]
        let (tree, chain) = try compileBoth(defaultAction: (CSPAWN_ACT_ALLOW, 0), rules: rules, notify: false)
        XCTAssertEqual(ClassicBPF.instructions(tree), ClassicBPF.instructions(chain))
        _ = try assertSameDecisions(tree, chain, argValues: [0])
    }

    // MARK: - helpers

    func compileBoth(defaultAction: (Int32, Int32), rules: [SeccompPolicy.Rule], notify: Bool) throws -> (SeccompProgram, SeccompProgram) {
        (try SeccompPolicy.compile(defaultAction: defaultAction, rules: rules, notify: notify, tree: true),
         try SeccompPolicy.compile(defaultAction: defaultAction, rules: rules, notify: notify, tree: false))
    }

    static let x86_64: UInt32 = 0xC000_003E, i386: UInt32 = 0x4000_0003, aarch64: UInt32 = 0xC000_00B7

    /// Every syscall number below 600 (and the x32 ones) of three architectures, each argument
    /// in turn set to each of `argValues`: the same return value from both filters. The longest
    /// path each took.
    func assertSameDecisions(_ a: SeccompProgram, _ b: SeccompProgram, argValues: [UInt64]) throws -> (tree: Int, chain: Int) {
        let fa = ClassicBPF.instructions(a), fb = ClassicBPF.instructions(b)
        var longest = (tree: 0, chain: 0)
        var compared = 0
        let numbers = Array(0..<600) + (0..<600).map { 0x4000_0000 | $0 }
        for arch in [Self.x86_64, Self.i386, Self.aarch64] {
            for nr in numbers {
                var vectors: [[UInt64]] = [[0, 0, 0, 0, 0, 0]]
                for index in 0..<6 { for v in argValues where v != 0 { var args = [UInt64](repeating: 0, count: 6); args[index] = v; vectors.append(args) } }
                for args in vectors {
                    let data = SeccompData(nr: UInt32(truncatingIfNeeded: nr), arch: arch, args: args)
                    let ra = try ClassicBPF.run(fa, on: data), rb = try ClassicBPF.run(fb, on: data)
                    if ra.result != rb.result {
                        XCTFail(String(format: "arch %08x nr %d args %@: tree %08x, chain %08x", arch, nr, args.description, ra.result, rb.result))
                        return longest
                    }
                    longest = (max(longest.tree, ra.steps), max(longest.chain, rb.steps))
                    compared += 1
                }
            }
        }
        XCTAssertGreaterThanOrEqual(compared, 3 * 1200)
        return longest
    }
}

/// `struct seccomp_data` as the kernel lays it out (little-endian here): nr, arch,
/// instruction_pointer, args[6].
struct SeccompData {
    var bytes = [UInt8](repeating: 0, count: 64)
    init(nr: UInt32, arch: UInt32, args: [UInt64]) {
        put(UInt64(nr), at: 0, size: 4)
        put(UInt64(arch), at: 4, size: 4)
        for (i, v) in args.enumerated() { put(v, at: 16 + 8 * i, size: 8) }
    }
    mutating func put(_ v: UInt64, at offset: Int, size: Int) {
        for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }
    func word(at offset: Int) -> UInt32? {
        guard offset >= 0, offset % 4 == 0, offset + 4 <= bytes.count else { return nil }
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }
}

/// A classic-BPF interpreter for what seccomp filters use (the kernel's `seccomp_check_filter`
/// list): anything else fails the test rather than being guessed at.
enum ClassicBPF {
    struct Unsupported: Error, CustomStringConvertible { var description: String }

    /// `struct sock_filter`: code, jt, jf, k (8 bytes).
    struct Instruction: Equatable, CustomStringConvertible {
        var code: UInt16, jt: UInt8, jf: UInt8, k: UInt32
        var description: String { String(format: "{%04x %d %d %08x}", code, jt, jf, k) }
    }

    static func instructions(_ p: SeccompProgram) -> [Instruction] {
        let raw = UnsafeRawBufferPointer(start: p.filter, count: Int(p.length) * 8)
        return (0..<Int(p.length)).map { i in
            Instruction(code: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt16.self),
                        jt: raw[8 * i + 2], jf: raw[8 * i + 3],
                        k: raw.loadUnaligned(fromByteOffset: 8 * i + 4, as: UInt32.self))
        }
    }

    // linux/bpf_common.h
    static let BPF_LD: Int32 = 0x00, BPF_LDX: Int32 = 0x01, BPF_ST: Int32 = 0x02, BPF_STX: Int32 = 0x03
    static let BPF_ALU: Int32 = 0x04, BPF_JMP: Int32 = 0x05, BPF_RET: Int32 = 0x06, BPF_MISC: Int32 = 0x07
    static let BPF_W: Int32 = 0x00, BPF_IMM: Int32 = 0x00, BPF_ABS: Int32 = 0x20, BPF_MEM: Int32 = 0x60, BPF_LEN: Int32 = 0x80
    static let BPF_ADD: Int32 = 0x00, BPF_SUB: Int32 = 0x10, BPF_MUL: Int32 = 0x20, BPF_OR: Int32 = 0x40, BPF_AND: Int32 = 0x50
    static let BPF_LSH: Int32 = 0x60, BPF_RSH: Int32 = 0x70, BPF_NEG: Int32 = 0x80, BPF_XOR: Int32 = 0xa0
    static let BPF_JA: Int32 = 0x00, BPF_JEQ: Int32 = 0x10, BPF_JGT: Int32 = 0x20, BPF_JGE: Int32 = 0x30, BPF_JSET: Int32 = 0x40
    static let BPF_K: Int32 = 0x00, BPF_X: Int32 = 0x08, BPF_A: Int32 = 0x10, BPF_TAX: Int32 = 0x00

    static func run(_ prog: [Instruction], on data: SeccompData) throws -> (result: UInt32, steps: Int) {
        var a: UInt32 = 0, x: UInt32 = 0, mem = [UInt32](repeating: 0, count: 16)
        var pc = 0, steps = 0
        while pc < prog.count {
            let ins = prog[pc]
            steps += 1
            pc += 1
            let code = Int32(ins.code)
            let cls = code & 0x07
            switch cls {
            case BPF_LD:
                switch code & 0xe0 {
                case BPF_ABS:
                    guard code & 0x18 == BPF_W, let w = data.word(at: Int(ins.k)) else { throw Unsupported(description: "load \(ins)") }
                    a = w
                case BPF_IMM: a = ins.k
                case BPF_MEM: a = mem[Int(ins.k)]
                case BPF_LEN: a = 64
                default: throw Unsupported(description: "load mode \(ins)")
                }
            case BPF_LDX:
                switch code & 0xe0 {
                case BPF_IMM: x = ins.k
                case BPF_MEM: x = mem[Int(ins.k)]
                case BPF_LEN: x = 64
                default: throw Unsupported(description: "ldx mode \(ins)")
                }
            case BPF_ST: mem[Int(ins.k)] = a
            case BPF_STX: mem[Int(ins.k)] = x
            case BPF_ALU:
                let operand = code & 0x08 == BPF_X ? x : ins.k
                switch code & 0xf0 {
                case BPF_ADD: a = a &+ operand
                case BPF_SUB: a = a &- operand
                case BPF_MUL: a = a &* operand
                case BPF_AND: a &= operand
                case BPF_OR: a |= operand
                case BPF_XOR: a ^= operand
                case BPF_LSH: a = operand < 32 ? a << operand : 0
                case BPF_RSH: a = operand < 32 ? a >> operand : 0
                case BPF_NEG: a = 0 &- a
                default: throw Unsupported(description: "alu \(ins)")
                }
            case BPF_JMP:
                let operand = code & 0x08 == BPF_X ? x : ins.k
                let taken: Bool
                switch code & 0xf0 {
                case BPF_JA: pc += Int(ins.k); continue
                case BPF_JEQ: taken = a == operand
                case BPF_JGT: taken = a > operand
                case BPF_JGE: taken = a >= operand
                case BPF_JSET: taken = a & operand != 0
                default: throw Unsupported(description: "jump \(ins)")
                }
                pc += Int(taken ? ins.jt : ins.jf)
            case BPF_RET:
                return (code & 0x18 == BPF_A ? a : ins.k, steps)
            case BPF_MISC:
                if code & 0xf8 == BPF_TAX { x = a } else { a = x }
            default:
                throw Unsupported(description: "class \(ins)")
            }
        }
        throw Unsupported(description: "ran off the end of the program")
    }
}
