import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// cgroup v1 `blkio.throttle.io_service_bytes` counts a device's I/O only once a throttle rule
/// exists for it (blk-throttle initialises lazily; KERNEL-NOTES "Measuring"). The sandbox calls
/// `ensureCounting` on every v1 run group, right after creating it and BEFORE the workload
/// starts, with a rule so high (1 PB/s) that it never limits anything: it only switches counting on.
///
/// When the user asked for a real `disk_read_rate` / `disk_write_rate`, the sandbox writes that
/// rule instead (for the direction it limits) and calls this for the other direction: any rule
/// on the device makes both directions count.
public enum BlkioInit {
    /// The no-op limit: 10^15 bytes/s.
    public static let unlimitedBps: UInt64 = 1_000_000_000_000_000

    /// Whole-disk block devices of the host as "MAJ:MIN" (from /sys/block/*/dev), skipping
    /// devices of size 0 (an unconfigured zram or loop device refuses rules).
    public static func devices() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/sys/block") else { return [] }
        return names.sorted().compactMap { name in
            guard let size = KernelFile.read("/sys/block/\(name)/size", KernelText.single), size > 0,
                  let dev = KernelFile.text("/sys/block/\(name)/dev") else { return nil }
            return dev.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Writes a read and a write bps rule of `unlimitedBps` for `device` ("254:0") in the v1 blkio
    /// group `cgroupDir` unless that direction already has a rule. Returns false when the kernel
    /// refused the rule.
    @discardableResult
    public static func ensureCounting(cgroupDir: String, device: String) -> Bool {
        var ok = true
        for file in ["blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device"] {
            let path = cgroupDir + "/" + file
            let existing = KernelFile.text(path) ?? ""
            if existing.split(separator: "\n").contains(where: { $0.split(separator: " ").first.map(String.init) == device }) {
                continue
            }
            if !write(path, "\(device) \(unlimitedBps)\n") { ok = false }
        }
        return ok
    }

    /// `ensureCounting` for every device of `devices()`. Returns the devices that refused.
    @discardableResult
    public static func ensureCountingAllDevices(cgroupDir: String) -> [String] {
        devices().filter { !ensureCounting(cgroupDir: cgroupDir, device: $0) }
    }

    /// Whether the group has any throttle rule (so its throttle counters count).
    public static func hasThrottleRule(cgroupDir: String) -> Bool {
        for file in ["blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                     "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"] {
            if let t = KernelFile.text(cgroupDir + "/" + file),
               !t.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return true }
        }
        return false
    }

    static func write(_ path: String, _ text: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }
}
