import Exchange
import XCTest

/// Response frames: up to 64 MiB (a long audit log, an export), and a larger result is
/// a refusal the client can read, never a crash of the daemon's socket thread.
final class ControlFrameTests: XCTestCase {
    func testAResultOverOneMiBIsFramedWhole() throws {
        let big = ControlResponse.success(.string(String(repeating: "a", count: 3 << 20)))
        let frame = big.frame
        XCTAssertEqual(ControlProtocol.bodyLength(header: frame.prefix(4), limit: ControlProtocol.maxResponseBytes), frame.count - 4)
        XCTAssertNil(ControlProtocol.bodyLength(header: frame.prefix(4)), "over a request's limit")
        XCTAssertEqual(try ControlResponse.parse(Array(frame.dropFirst(4))), big)
    }

    func testAResultOverTheResponseLimitBecomesARefusal() throws {
        XCTAssertEqual(ControlProtocol.maxResponseBytes, 64 << 20)
        let frame = ControlResponse.success(.string(String(repeating: "a", count: 2 << 20))).frame(limit: 1 << 20)
        XCTAssertLessThan(frame.count, 1_000)
        guard case let .failure(error) = try ControlResponse.parse(Array(frame.dropFirst(4))) else { return XCTFail("not a refusal") }
        XCTAssertEqual(error, ControlError(.unavailable, "the result is larger than a response may be (1 MiB); narrow it (--since, --until, --case)"))
    }
}
