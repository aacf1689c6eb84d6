/// The capabilities a workload and its services keep (docs/sandbox.md "Capabilities"): Docker's
/// default set, so a root workload cannot mount, load modules, ptrace, change the clock, reconfigure
/// the network, read raw devices or bypass file read checks (SYS_ADMIN, SYS_MODULE, SYS_PTRACE,
/// SYS_TIME, NET_ADMIN, DAC_READ_SEARCH, SYS_RAWIO, BPF, PERFMON, SYS_BOOT are all dropped).
/// Dropped from the bounding, ambient, inheritable, permitted and effective sets before execve.
/// `sandbox.capabilities` (`exec --cap-add`) adds named ones back, as Docker's `--cap-add` does.
enum Capabilities {
    /// Docker's default set, by CAP_* number (linux/capability.h).
    static let dockerDefault: [(name: String, number: Int)] = [
        ("CHOWN", 0), ("DAC_OVERRIDE", 1), ("FOWNER", 3), ("FSETID", 4), ("KILL", 5), ("SETGID", 6),
        ("SETUID", 7), ("SETPCAP", 8), ("NET_BIND_SERVICE", 10), ("NET_RAW", 13), ("SYS_CHROOT", 18),
        ("MKNOD", 27), ("AUDIT_WRITE", 29), ("SETFCAP", 31),
    ]

    static let dockerDefaultMask: UInt64 = dockerDefault.reduce(0) { $0 | (1 << UInt64($1.number)) }

    /// Every capability the kernel headers name (linux/capability.h up to CAP_LAST_CAP, 6.x), by number.
    static let all: [String] = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ]

    /// `ALL` adds every capability back (Docker's `--cap-add ALL`).
    static let allWord = "ALL"

    /// The canonical name (`NET_ADMIN`) of `text`, which may carry a `CAP_` prefix and be in any case;
    /// nil when it names no capability.
    static func canonical(_ text: String) -> String? {
        var name = text.uppercased()
        if name.hasPrefix("CAP_") { name.removeFirst(4) }
        return name == allWord || all.contains(name) ? name : nil
    }

    /// The set the run keeps: Docker's default plus `added` (canonical names).
    static func mask(adding added: [String]) -> UInt64 {
        var mask = dockerDefaultMask
        for name in added {
            if name == allWord { return UInt64.max }
            if let n = all.firstIndex(of: name) { mask |= 1 << UInt64(n) }
        }
        return mask
    }
}
