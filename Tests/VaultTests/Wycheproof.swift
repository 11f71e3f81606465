import Foundation
import XCTest
@testable import Vault

/// Loads a Wycheproof `testvectors_v1` file and runs each test of each group, tallying the
/// outcome against the file's `result`, in the manner of swift-crypto's runner.
struct WycheproofFile<Group: Decodable>: Decodable {
    let algorithm: String
    let numberOfTests: Int
    let testGroups: [Group]

    static func load(_ name: String) throws -> WycheproofFile<Group> {
        // A missing vector file is a failure, never a skip.
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Vectors/wycheproof/\(name)", withExtension: nil),
                                "missing vector file \(name)")
        return try JSONDecoder().decode(Self.self, from: Data(contentsOf: url))
    }
}

/// The verdict a Wycheproof test expects.
enum WycheproofResult: String, Decodable {
    case valid, invalid, acceptable
}

/// Counts outcomes and reports failures by test id (vectors hold no personal data).
struct WycheproofTally {
    let file: String
    var passed = 0
    var acceptable = 0
    var outOfScope = 0
    var failures: [String] = []

    /// Records one test: `accepted` is whether our code accepted the input and produced the
    /// expected output.
    mutating func record(id: Int, expected: WycheproofResult, accepted: Bool, note: String = "") {
        switch expected {
        case .valid where accepted, .invalid where !accepted: passed += 1
        case .acceptable: acceptable += 1
        default: failures.append("tc \(id) expected \(expected.rawValue)\(note.isEmpty ? "" : ": " + note)")
        }
    }

    /// Asserts no failure and prints the per-file count the issue asks for.
    func finish(total: Int, file callerFile: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(failures, [], "\(self.file): \(failures.count) vector(s) failed", file: callerFile, line: line)
        XCTAssertEqual(passed + acceptable + outOfScope + failures.count, total, "\(self.file): not every test was run",
                       file: callerFile, line: line)
        XCTAssertGreaterThan(passed, 0, file: callerFile, line: line)
        print("Wycheproof \(self.file): \(passed) of \(total - outOfScope) in-scope vectors as expected"
              + " (\(acceptable) 'acceptable' either way, \(outOfScope) outside our format's scope, \(failures.count) wrong)")
    }
}

extension Array where Element == UInt8 {
    /// Bytes of a hex string from a vector file.
    init(hex: String) {
        guard let bytes = Hex.decode(hex) else { preconditionFailure("bad hex in a vector file") }
        self = bytes
    }
}

