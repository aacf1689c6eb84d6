import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The block device holding a path, resolved to the whole disk (throttling applies per disk).
public struct BlockDevice: Equatable, Sendable {
    public var major: UInt32
    public var minor: UInt32
    public var id: String { "\(major):\(minor)" }

    public init(major: UInt32, minor: UInt32) { self.major = major; self.minor = minor }

    /// nil (with the reason) when the path is not on a block device with a queue (tmpfs, overlay).
    public static func holding(_ path: String, sysfs: String = "/sys") -> (BlockDevice?, String?) {
        var st = stat()
        guard stat(path, &st) == 0 else { return (nil, "cannot stat \(path)") }
        let dev = st.st_dev
        let maj = UInt32((dev >> 8) & 0xfff) | UInt32((dev >> 32) & ~0xfff)
        let min = UInt32(dev & 0xff) | UInt32((dev >> 12) & ~0xff)
        let node = "\(sysfs)/dev/block/\(maj):\(min)"
        guard SysFS.exists(node) else {
            return (nil, "\(path) is on device \(maj):\(min), which is not a block device (tmpfs, overlay or a virtual fs)")
        }
        return (wholeDisk(major: maj, minor: min, sysfs: sysfs), nil)
    }

    /// The whole disk of a partition (throttle rules apply per disk); the device itself otherwise.
    static func wholeDisk(major: UInt32, minor: UInt32, sysfs: String = "/sys") -> BlockDevice {
        let node = "\(sysfs)/dev/block/\(major):\(minor)"
        if SysFS.exists(node + "/partition"),
           let whole = SysFS.read(node + "/../dev")?.trimmingSpaceAndNewlines {
            let p = whole.split(separator: ":")
            if p.count == 2, let a = UInt32(p[0]), let b = UInt32(p[1]) { return BlockDevice(major: a, minor: b) }
        }
        return BlockDevice(major: major, minor: minor)
    }

    /// Every block device the run can write to: the whole disks under every mount that is not
    /// read-only (`/proc/self/mountinfo`), and the one holding `cwd`. tmpfs, overlay, proc and the
    /// like have no block device and are skipped (their I/O reaches no disk of their own).
    public static func writable(cwd: String, mountinfo: String = "/proc/self/mountinfo", sysfs: String = "/sys") -> [BlockDevice] {
        writable(cwd: cwd, mountinfoText: SysFS.read(mountinfo) ?? "", sysfs: sysfs)
    }

    /// `writable(cwd:)` for the per-run path: the answer is kept and reused while `cwd` is the
    /// same and this process's mount table has not changed (parsing it and probing sysfs for every
    /// run of a `repeat` was ~3 % of the run thread's CPU on a hybrid host). Whether it changed is
    /// asked of the kernel (`MountTableWatch`), not learnt by reading the table again; without a
    /// watch the table is read each time and compared.
    static func writableKept(cwd: String) -> [BlockDevice] {
        keptLock.lock(); defer { keptLock.unlock() }
        let watch = Self.watch   // opened here at the first call: before the read it guards
        // Unchanged: the kept table stands for this one (a new cwd only needs a new derivation).
        let unchanged = kept != nil && watch?.changed() == false
        let text: String
        if unchanged, let k = kept { text = k.mountinfo } else {
            text = SysFS.read("/proc/self/mountinfo") ?? ""
            mountinfoReads += 1
        }
        if let k = kept, k.cwd == cwd, k.mountinfo == text { return k.devices }
        let devices = writable(cwd: cwd, mountinfoText: text, sysfs: "/sys")
        kept = (cwd, text, devices)
        return devices
    }
    private static let keptLock = NSLock()
    nonisolated(unsafe) private static var kept: (cwd: String, mountinfo: String, devices: [BlockDevice])?
    /// Opened at the first call, before the first read it guards; once per process (a table that
    /// cannot be opened is then read on every call, without trying to open it again).
    private static let watch = MountTableWatch()
    nonisolated(unsafe) private static var mountinfoReads = 0
    /// How often `writableKept` read the mount table (tests: a second run reads it no more).
    static var mountinfoReadCount: Int { keptLock.lock(); defer { keptLock.unlock() }; return mountinfoReads }

    static func writable(cwd: String, mountinfoText: String, sysfs: String) -> [BlockDevice] {
        var out: [BlockDevice] = []
        if let d = holding(cwd, sysfs: sysfs).0 { out.append(d) }
        for line in mountinfoText.split(separator: "\n") {
            // id parent MAJ:MIN root mountpoint options ...
            let f = line.split(separator: " ")
            guard f.count > 5, f[5].split(separator: ",").contains("rw") else { continue }
            let mm = f[2].split(separator: ":")
            guard mm.count == 2, let maj = UInt32(mm[0]), let min = UInt32(mm[1]), maj != 0,
                  SysFS.exists("\(sysfs)/dev/block/\(maj):\(min)") else { continue }
            let d = wholeDisk(major: maj, minor: min, sysfs: sysfs)
            if !out.contains(d) { out.append(d) }
        }
        return out
    }
}
