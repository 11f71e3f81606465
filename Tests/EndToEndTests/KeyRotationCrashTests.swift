import Foundation
import TestSupport
import Vault
import XCTest

/// `maracctl key rotate` killed with SIGKILL in the middle of its rewrap, several times,
/// then `maracctl key resume`: the rotation completes and every document still reads.
final class KeyRotationCrashTests: XCTestCase {
    struct AllowAll: DocumentAccessPolicy {
        func decide(_ request: AccessRequest, for document: DocumentRecord, reading tx: VaultTransaction) -> AccessDecision {
            .allow(logEntry: Data(#"{"op":"test-read"}"#.utf8))
        }
    }

    func testRewrapKilledRepeatedlyResumesAndCompletes() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let count = 6_000
        var ids: [String] = []
        do {
            let vault = try Vault.create(stateDirectory: state, signingName: "crash test")
            for chunk in stride(from: 0, to: count, by: 500) {
                ids += try vault.put((chunk..<chunk + 500).map {
                    NewDocument(content: SecretBytes(copying: Array("document \($0)".utf8)), agency: "police", kind: "referral")
                })
            }
        }

        // Start the rotation, throttled so the kills land mid-rewrap; kill it three times at
        // growing progress, each time restarting with `key rotate`'s resumable half.
        let maracctl = CLITests.products.appendingPathComponent("maracctl")
        var killsMidRewrap = 0
        for (round, threshold) in [300, 1_800, 3_600].enumerated() {
            let process = Process()
            process.executableURL = maracctl
            process.arguments = round == 0
                ? ["key", "rotate", "--agency", "police", "--state", state, "--batch", "100", "--pause-ms", "20"]
                : ["key", "resume", "--state", state, "--batch", "100", "--pause-ms", "20"]
            process.standardOutput = FileHandle.nullDevice
            let errors = URL(fileURLWithPath: state + "-round-\(round).err")
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: errors) }
            process.standardError = try FileHandle(forWritingTo: errors)
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            var moved = 0
            while Date() < deadline && process.isRunning {
                moved = try rewrapped(state)
                if moved >= threshold { break }
                usleep(2_000)
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal,
                           "round \(round) finished before it was killed (status \(process.terminationStatus), moved \(moved)): "
                           + ((try? String(contentsOf: errors, encoding: .utf8)) ?? ""))
            if moved < count { killsMidRewrap += 1 }
        }
        XCTAssertEqual(killsMidRewrap, 3)

        let status = try Subprocess.run(maracctl, ["key", "status", "--state", state, "--json"])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.output.contains(#""rewrapPending":true"#), status.output)

        let resume = try Subprocess.run(maracctl, ["key", "resume", "--state", state])
        XCTAssertEqual(resume.status, 0, resume.stderr)
        XCTAssertEqual(resume.output, "completed rotation for police\n")

        let vault = try Vault.open(stateDirectory: state, policy: AllowAll())
        let police = try XCTUnwrap(try vault.keyStatus().first)
        XCTAssertEqual(police.activeVersion, 2)
        XCTAssertEqual(police.minimumDecryptionVersion, 2)
        XCTAssertEqual(police.dataKeysByVersion, [2: count])
        XCTAssertFalse(police.rewrapPending)
        let request = AccessRequest(actor: "t", agency: "police", bases: ["audit"], reason: "t")
        for (n, id) in ids.enumerated() {
            XCTAssertEqual(try vault.read(id, as: request).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }, "document \(n)")
        }
        XCTAssertEqual(try vault.verifyLog().head.size, try vault.treeHead().size)
    }

    /// DEKs already under version 2, read through a separate connection.
    private func rewrapped(_ state: String) throws -> Int {
        try Vault.open(stateDirectory: state).keyStatus().first?.dataKeysByVersion[2] ?? 0
    }
}
