import Foundation

/// Human rendering of a figure in its report unit (`s`, `B`, `B/s`, `%`, `count`, custom units).
enum UnitText {
    static func value(_ v: Double, unit: String) -> String {
        switch unit {
        case "s": return Units.format(v, .duration)
        case "B": return Units.format(v, .bytes)
        case "B/s": return Units.format(v, .rate)
        case "%": return Units.format(v, .percent)
        case "count", "": return Units.format(v, .count)
        default: return Units.format(v, .count) + " " + unit
        }
    }
}
