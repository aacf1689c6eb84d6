#if canImport(Glibc)
import Glibc
#endif

/// cgroup v1 `blkio.throttle.io_service_bytes` counts a device's I/O only once a throttle rule
/// exists for it (blk-throttle initialises lazily; KERNEL-NOTES "Measuring"). The v1 backend
/// calls `applyRules` on every run group right after creating it, before the workload starts:
/// the user's `disk_read_rate` / `disk_write_rate` on the device holding cwd, and on every other
/// device the run can write to (`BlockDevice.writable`) a rule so high that it never limits
/// anything (`unlimitedBps`): it only switches counting on.
public enum BlkioInit {
    /// The no-op limit: 10^15 bytes/s.
    public static let unlimitedBps: UInt64 = 1_000_000_000_000_000

    /// Writes the read and write bps rules of a v1 blkio group: `limits` on `limitDevice`, the
    /// no-op rule on every device of `counting` (and on `limitDevice` for an unlimited direction).
    static func applyRules(cgroupDir: String, limits: Limits, limitDevice: BlockDevice?,
                           counting: [BlockDevice]) throws(SystemFailure) {
        var devices = counting
        if let d = limitDevice, !devices.contains(d) { devices.append(d) }
        for dev in devices {
            let limited = dev == limitDevice
            try SysFS.write(cgroupDir + "/blkio.throttle.read_bps_device",
                            "\(dev.id) \(limited ? limits.diskReadRate ?? unlimitedBps : unlimitedBps)")
            try SysFS.write(cgroupDir + "/blkio.throttle.write_bps_device",
                            "\(dev.id) \(limited ? limits.diskWriteRate ?? unlimitedBps : unlimitedBps)")
        }
    }

    /// Whether the group has any throttle rule (so its throttle counters count).
    public static func hasThrottleRule(cgroupDir: String) -> Bool {
        for file in ["blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                     "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"] {
            if let t = SysFS.read(cgroupDir + "/" + file), t.contains(where: { !$0.isWhitespace }) { return true }
        }
        return false
    }
}
