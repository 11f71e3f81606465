import Foundation
import XCTest
@testable import Vault

/// Helper threads run below the process's priority, under a name `ps -L` shows.
final class HelperThreadTests: XCTestCase {
    func testHelperThreadsRunBelowTheProcessPriorityUnderTheirName() throws {
        let done = expectation(description: "helper ran")
        let seen = Seen()
        HelperThread.start(name: "maracd-test") {
            errno = 0
            seen.nice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            seen.name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            done.fulfill()
        }
        wait(for: [done], timeout: 10)
        let main = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(getpid()))
        XCTAssertEqual(seen.nice, min(19, main + HelperThread.niceIncrement))
        XCTAssertEqual(seen.name, "maracd-test\n")
    }
}

private final class Seen: @unchecked Sendable {
    var nice: Int32 = 0
    var name = ""
}
