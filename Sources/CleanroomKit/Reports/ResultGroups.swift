/// Many results (a glob objective gives one per matching metric, `workload: "*"` one per workload)
/// stay readable: failing, inconclusive and no-data results are listed one by one, failures first;
/// the passing results of an objective with several results are folded into one line per
/// objective and workload ("NAME on WORKLOAD: 198 passed"), which report.html and summary.md
/// open on demand (<details>) and the console prints as a single row.
public enum ResultGroups {
    /// With this many results or fewer, nothing is folded.
    public static let foldAbove = 10

    public struct Group: Equatable, Sendable {
        public var name: String
        public var workload: String
        /// The passing results, in report order.
        public var results: [ObjectiveResult]
        /// How many results the objective has on this workload in all.
        public var total: Int
    }

    /// (results listed one by one in urgency order, folded passing groups in report order).
    public static func split(_ slos: [ObjectiveResult]) -> (listed: [ObjectiveResult], folded: [Group]) {
        let ordered = ReportText.objectivesByUrgency(slos)
        guard slos.count > foldAbove else { return (ordered, []) }
        struct Key: Hashable { var name: String; var workload: String }
        var sizes: [Key: Int] = [:]
        for s in slos { sizes[Key(name: s.name, workload: s.workload), default: 0] += 1 }
        func folds(_ s: ObjectiveResult) -> Bool { s.status == .pass && (sizes[Key(name: s.name, workload: s.workload)] ?? 0) > 1 }
        var groups: [Group] = []
        var index: [Key: Int] = [:]
        for s in slos where folds(s) {
            let k = Key(name: s.name, workload: s.workload)
            if let i = index[k] { groups[i].results.append(s) } else {
                index[k] = groups.count
                groups.append(Group(name: s.name, workload: s.workload, results: [s], total: sizes[k] ?? 0))
            }
        }
        return (ordered.filter { !folds($0) }, groups)
    }

    /// "BenchTime on gbench: 198 of 200 passed".
    public static func title(_ g: Group) -> String {
        "\(g.name) on \(g.workload): \(g.results.count) of \(g.total) passed"
    }

    /// How an objective is named in a list: a glob result by its metric.
    public static func label(_ s: ObjectiveResult) -> String {
        s.metric.map { "\(s.name)[\($0)]" } ?? s.name
    }
}
