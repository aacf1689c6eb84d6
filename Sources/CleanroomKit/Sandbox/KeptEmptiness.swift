/// One file that tells whether a group holds processes: a v1 `cgroup.procs` (empty text: none
/// in that hierarchy), cgroup2's `cgroup.events` (`populated 0`).
public struct EmptinessProbe {
    public let path: String
    public let saysEmpty: (KernelText.Bytes) -> Bool

    /// The same parser as the v1 backend's `pids`, so the kept answer is `isEmpty`'s.
    static func procs(_ path: String) -> EmptinessProbe {
        EmptinessProbe(path: path) { text in
            var pids: [Int32] = []
            KernelText.pids(text, into: &pids)
            return pids.isEmpty
        }
    }

    static func events(_ path: String) -> EmptinessProbe {
        EmptinessProbe(path: path) { KernelText.keyed($0, "populated") == 0 }
    }
}

/// A run's group's probes opened while its init sets up (the parent only waits then), so that
/// the check at the run's end — on every run's critical path — reads them at offset 0 instead
/// of opening each by path: 7 files on a hybrid host, 0.13 ms a run read by path
/// (docs/BENCHMARKS.md). The same files, the same answer as `CgroupBackend.isEmpty`; when one
/// of them cannot be read, no answer, and the caller asks `isEmpty`.
final class KeptEmptiness {
    private let probes: [(file: KeptFile, saysEmpty: (KernelText.Bytes) -> Bool)]

    /// nil when the backend has no probes or one cannot be opened.
    init?(_ probes: [EmptinessProbe]) {
        var kept: [(file: KeptFile, saysEmpty: (KernelText.Bytes) -> Bool)] = []
        for p in probes {
            guard let f = KeptFile(p.path, capacity: 256) else { return nil }
            kept.append((f, p.saysEmpty))
        }
        guard !kept.isEmpty else { return nil }
        self.probes = kept
    }

    /// true: no process in any of the files; false: some; nil: a file could not be read.
    func isEmpty() -> Bool? {
        for p in probes {
            guard let empty = p.file.read({ p.saysEmpty($0) }) else { return nil }
            if !empty { return false }
        }
        return true
    }
}
