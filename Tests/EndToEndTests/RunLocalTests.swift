import Foundation
import TestSupport
import XCTest

/// The README's run command: `make run` is `scripts/run-local.sh`, which sets up a state
/// directory on first run and runs the daemon in the foreground until Ctrl-C.
final class RunLocalTests: XCTestCase {
    func testFirstRunSetsUpAndTakesAFormAndCtrlCStopsCleanly() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let state = root.appendingPathComponent("var")
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = repository.appendingPathComponent("scripts/run-local.sh")
        process.arguments = [state.path]
        var environment = ProcessInfo.processInfo.environment
        environment["MARACD_BIN"] = CLITests.products.path
        process.environment = environment
        process.currentDirectoryURL = repository
        let log = root.appendingPathExtension("log")
        defer { try? FileManager.default.removeItem(at: log) }  // beside the root, so not removed with it
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let harness = try waiter(log)
        try harness { (try? String(contentsOf: log, encoding: .utf8))?.contains("daemon.started") ?? false }
        let text = try String(contentsOf: log, encoding: .utf8)
        XCTAssertTrue(text.contains("agencies=6"), text)
        XCTAssertTrue(text.contains("principals=1"), text)
        let key = try FileManager.default.attributesOfItem(atPath: state.appendingPathComponent("master.key").path)
        XCTAssertEqual((key[.posixPermissions] as? Int).map { $0 & 0o777 }, 0o600)

        // The README's block, word for word, pasted into a shell in a directory laid out as
        // the repository is (its fixtures, .build/release, var and var-recipient-keys).
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("Tests"), withDestinationURL: repository.appendingPathComponent("Tests"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".build"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent(".build/release"), withDestinationURL: CLITests.products)
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        let marker = try XCTUnwrap(readme.range(of: "<!-- the block RunLocalTests runs -->\n```sh\n"), "the README marks its block")
        let block = String(readme[marker.upperBound...]).components(separatedBy: "\n```\n")[0]
        let script = root.appendingPathComponent("trying-it.sh")
        try Data(("set -euo pipefail\n" + block + "\n").utf8).write(to: script)
        let pasted = Process()
        pasted.executableURL = URL(fileURLWithPath: "/bin/bash")
        pasted.arguments = [script.path]
        pasted.currentDirectoryURL = root
        let output = root.appendingPathComponent("trying-it.out"), errors = root.appendingPathComponent("trying-it.err")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        pasted.standardOutput = try FileHandle(forWritingTo: output)
        pasted.standardError = try FileHandle(forWritingTo: errors)
        try pasted.run()
        pasted.waitUntilExit()
        let printed = try String(contentsOf: output, encoding: .utf8), complained = try String(contentsOf: errors, encoding: .utf8)
        XCTAssertEqual(pasted.terminationStatus, 0, "the README's block failed:\n\(printed)\n\(complained)")
        XCTAssertTrue(complained.contains("CMS Verification successful"), complained)
        XCTAssertTrue(printed.contains("\"path\" : \"$.victim.dob\""), "the rejection report:\n\(printed)")
        XCTAssertTrue(printed.contains("agenda MTG-"), "the agenda opened as police:\n\(printed)")
        XCTAssertTrue(printed.contains("  disclosure  "), "the agenda's disclosures in the demo's audit log:\n\(printed)")
        XCTAssertTrue(printed.contains("report written to report.html\nopen report.html in a browser\n"), printed)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent("report.html").path))
        XCTAssertTrue(printed.contains("verified"), "the daemon's check:\n\(printed)")

        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertTrue(try String(contentsOf: log, encoding: .utf8).contains("daemon.stopped"))
    }

    /// Polls a condition for up to 30 s, failing with the log's tail.
    func waiter(_ log: URL) throws -> (() -> Bool) throws -> Void {
        { condition in
            let deadline = Date().addingTimeInterval(30)
            while !condition() {
                if Date() > deadline {
                    XCTFail("timed out: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
                    throw CocoaError(.userCancelled)
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }
}
