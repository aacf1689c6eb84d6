/// The capabilities a workload and its services keep (docs/sandbox.md "Capabilities"): Docker's
/// default set, so a root workload cannot mount, load modules, ptrace, change the clock, reconfigure
/// the network, read raw devices or bypass file read checks (SYS_ADMIN, SYS_MODULE, SYS_PTRACE,
/// SYS_TIME, NET_ADMIN, DAC_READ_SEARCH, SYS_RAWIO, BPF, PERFMON, SYS_BOOT are all dropped).
/// Dropped from the bounding, ambient, inheritable, permitted and effective sets before execve.
enum Capabilities {
    /// Docker's default set, by CAP_* number (linux/capability.h).
    static let dockerDefault: [(name: String, number: Int)] = [
        ("CHOWN", 0), ("DAC_OVERRIDE", 1), ("FOWNER", 3), ("FSETID", 4), ("KILL", 5), ("SETGID", 6),
        ("SETUID", 7), ("SETPCAP", 8), ("NET_BIND_SERVICE", 10), ("NET_RAW", 13), ("SYS_CHROOT", 18),
        ("MKNOD", 27), ("AUDIT_WRITE", 29), ("SETFCAP", 31),
    ]

    static let dockerDefaultMask: UInt64 = dockerDefault.reduce(0) { $0 | (1 << UInt64($1.number)) }
}
