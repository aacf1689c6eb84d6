import CSpawn
import Foundation
import XCTest
@testable import CleanroomKit

/// The relocation table the loader read once is dropped from the process (CSpawn/startup.c): the
/// range lies in the executable's own file mapping and none of its pages is mapped afterwards.
final class LoaderPagesTests: XCTestCase {
    func testTheRelocationTableIsNoLongerMapped() throws {
        var start: UInt = 0, end: UInt = 0
        cspawn_relocation_pages(&start, &end)
        // This test binary (debug, dynamically linked) has a relocation table of its own too.
        XCTAssertGreaterThan(end, start, "no relocation table found")
        // Mapped again first (one read a page, from the page cache): another test may have dropped
        // them already (testTheReadOnlySegmentsAreUnmappedAndFaultBackIn, the same segment).
        touch(start, end)
        let before = presentPages(start, end)
        XCTAssertGreaterThan(before, 0, "the loader's reads left nothing mapped: the check below could not fail")
        let released = cspawn_release_relocations()
        XCTAssertGreaterThanOrEqual(released, 0, "madvise: \(String(cString: strerror(Int32(-released))))")
        XCTAssertEqual(UInt(released), end - start)
        XCTAssertEqual(presentPages(start, end), 0, "pages of the relocation table still mapped (\(before) before)")

        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8).split(separator: "\n")
        let inExecutable = maps.contains { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 6, String(f[5]) == exe else { return false }
            let r = f[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            return r.count == 2 && r[0] <= start && end <= r[1]
        }
        XCTAssertTrue(inExecutable, "range \(String(start, radix: 16))–\(String(end, radix: 16)) is not in \(exe)'s mapping")
    }

    func testTheReadOnlySegmentsAreUnmappedAndFaultBackIn() throws {
        var start: UInt = 0, end: UInt = 0
        cspawn_text_pages(&start, &end)
        XCTAssertGreaterThan(end, start, "no read-only segment found")
        let before = presentPages(start, end)
        XCTAssertGreaterThan(before, 64, "this test process has run code from its executable: the check below could not fail")
        let released = cspawn_release_text()
        let right = presentPages(start, end)
        XCTAssertGreaterThan(released, 0, "madvise: \(String(cString: strerror(Int32(-released))))")
        XCTAssertLessThanOrEqual(UInt(released), end - start, "each read-only segment, no more")
        // Only what ran between the madvise and the count (this function, the count itself) is back.
        XCTAssertLessThan(right, before / 4, "\(right) of the \(before) pages mapped before are mapped still")
        // The code keeps running: what it needs faults back in from the page cache.
        let parsed = JSONParser.parse(Array(#"{"a": [1, 2.5, "x"]}"#.utf8))
        XCTAssertNotNil(parsed.root)
        XCTAssertNil(parsed.error)
        XCTAssertGreaterThan(presentPages(start, end), right, "the pages used since came back")
    }

    /// Reads one byte of each page of [start, end), which maps it.
    func touch(_ start: UInt, _ end: UInt) {
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        var sum: UInt8 = 0
        for at in stride(from: start, to: end, by: Int(page)) {
            sum &+= UnsafePointer<UInt8>(bitPattern: at)!.pointee
        }
        withExtendedLifetime(sum) {}
    }

    /// Pages of [start, end) mapped in this process (/proc/self/pagemap's present bit).
    func presentPages(_ start: UInt, _ end: UInt) -> Int {
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let fd = open("/proc/self/pagemap", O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let count = Int((end - start) / page)
        var entries = [UInt64](repeating: 0, count: count)
        let n = entries.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start / page * 8)) }
        XCTAssertEqual(n, count * 8)
        return entries.filter { $0 >> 63 == 1 }.count
    }
}
