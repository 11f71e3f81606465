import Exchange
import Foundation
import Glibc
import TestSupport
import XCTest

/// The new root key of an online rotation is taken out of the control frame into zeroising
/// memory, and every buffer that held it is wiped (issue 22): after the rotation, its
/// base64 (what `maracctl` sent) is nowhere in the running daemon's memory. Read through
/// `/proc/<pid>/mem`, which the test (root, and the daemon's parent) may read.
final class RootKeyMemoryTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws {
        try XCTSkipUnless(geteuid() == 0, "reading another process's memory needs root")
        daemon = try DaemonHarness()
        try daemon.useKeyCustodian()
    }
    override func tearDown() { daemon?.cleanUp() }

    /// How many times `needle` occurs in the readable memory of process `pid`.
    func occurrences(of needle: [UInt8], inProcess pid: Int32) throws -> Int {
        let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)
        let fd = open("/proc/\(pid)/mem", O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0, "open /proc/\(pid)/mem: errno \(errno)")
        defer { close(fd) }
        var found = 0, scanned = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // Writable mappings only: a key received at run time is nowhere else.
            guard fields.count >= 2, fields[1].hasPrefix("rw"), !line.hasSuffix("[vvar]"), !line.hasSuffix("[vsyscall]") else { continue }
            let bounds = fields[0].split(separator: "-").compactMap { UInt64($0, radix: 16) }
            // Under AddressSanitizer the shadow is one writable mapping of terabytes, nearly
            // all unpopulated, holding poison bits, never data: a mapping over 64 GiB is not
            // read (the sanitizer's heap is in mappings far smaller).
            guard bounds.count == 2, bounds[1] - bounds[0] <= 64 << 30 else { continue }
            var offset = bounds[0]
            var carry: [UInt8] = []  // the last bytes of the previous chunk, for a needle across two
            while offset < bounds[1] {
                let want = Int(min(UInt64(chunk.count), bounds[1] - offset))
                let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(Int64(bitPattern: offset))) }
                guard n > 0 else { break }
                let window = carry + chunk[0..<n]
                found += count(needle, in: window)
                carry = Array(window.suffix(needle.count - 1))
                scanned += n
                offset += UInt64(n)
            }
        }
        XCTAssertGreaterThan(scanned, 1 << 20, "the daemon's memory was read")
        return found
    }

    func count(_ needle: [UInt8], in haystack: [UInt8]) -> Int {
        let hay = Data(haystack), pin = Data(needle)
        var total = 0
        var from = hay.startIndex
        while let hit = hay.range(of: pin, in: from..<hay.endIndex) {
            total += 1
            from = hit.lowerBound + 1
        }
        return total
    }

    func testTheNewRootKeyIsInNoBufferOfTheDaemonAfterTheRotation() throws {
        try daemon.start()
        let pid = try XCTUnwrap(daemon.process?.processIdentifier)
        let newKey = daemon.state.deletingLastPathComponent().appendingPathComponent("new-master.key").path
        let rotated = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"),
                                         ["key", "rotate", "--root", newKey, "--state", daemon.state.path])
        XCTAssertEqual(rotated.status, 0, rotated.stderr)
        let key = try Data(contentsOf: URL(fileURLWithPath: newKey))
        XCTAssertEqual(key.count, 32)
        let base64 = Array(key.base64EncodedString().utf8)
        // The scan itself can find the needle in this process's copy only; a check that the
        // scan finds what is there: the daemon's own key file path is in its memory.
        XCTAssertGreaterThan(try occurrences(of: Array(daemon.state.appendingPathComponent("master.key").path.utf8), inProcess: pid), 0)
        XCTAssertEqual(try occurrences(of: base64, inProcess: pid), 0, "the new key's base64 is in the daemon's memory")
        XCTAssertEqual(daemon.stop(), 0)
    }

    /// Any client's frame, spaced as it likes: a key that is not 32 bytes of base64 is
    /// refused with the same words as before; a good one rotates, and is not kept either.
    func testAFrameFromAnyClientIsTreatedTheSame() throws {
        try daemon.start()
        let pid = try XCTUnwrap(daemon.process?.processIdentifier)
        let socket = daemon.state.appendingPathComponent("run/maracd.sock").path
        func send(_ body: String) throws -> ControlResponse? {
            let client = try ControlSocketTests.RawClient(socket)
            client.send(ControlProtocol.frame(Array(body.utf8)))
            return client.parsedResponse()
        }
        for bad in ["abc", Data(count: 31).base64EncodedString(), Data(count: 33).base64EncodedString(), "!" + String(repeating: "A", count: 43)] {
            XCTAssertEqual(try send(#"{"v":1,"verb":"key.rotate","args":{"root":"\#(bad)"}}"#),
                           .failure(ControlError(.badArgument, "root must be a new root key (32 bytes, base64)")), bad)
        }
        let key = try XCTUnwrap(Data(base64Encoded: "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k="))
        guard case let .success(result)? = try send(#"{ "v": 1, "verb": "key.rotate", "args": { "root" :  "\#(key.base64EncodedString())" } }"#) else {
            return XCTFail("the spaced frame was not served")
        }
        XCTAssertEqual(result["root"], "rotated")
        XCTAssertEqual(try Data(contentsOf: daemon.state.appendingPathComponent("master.key")), key, "rotated to the key sent")
        XCTAssertEqual(try occurrences(of: Array(key.base64EncodedString().utf8), inProcess: pid), 0)
        XCTAssertEqual(daemon.stop(), 0)
    }
}
