import Exchange
import Foundation
import XCTest

/// The canonical writer behind receipts and log entries.
final class JSONWriterTests: XCTestCase {
    func testCanonicalBytesSortKeysAndEscapeOnlyWhatJSONRequires() {
        let value = JSONValue.object(["b": 1, "a": .array([true, .null, .number(1.5)]), "s": .string("é \"q\" \\ / \n\t\u{1}")])
        XCTAssertEqual(String(decoding: value.canonicalBytes, as: UTF8.self),
                       #"{"a":[true,null,1.5],"b":1,"s":"é \"q\" \\ / \n\t\u0001"}"#)
        let parsed = try? JSONParser().parse(value.canonicalBytes).value
        XCTAssertEqual(parsed, value, "the canonical bytes parse back to the same value")
    }

    /// The hand-written log encoding is byte for byte what `JSONEncoder` with sorted keys
    /// writes, so the log format did not change when it replaced the encoder.
    func testLogEntriesEncodeAsJSONEncoderWouldWithSortedKeys() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let entries = [
            LogEntry(time: "2026-11-20T12:00:00Z", operation: .collection, actor: .init(person: nil, agency: "police"),
                     records: ["doc_1"], case: "M-2026-0001", meeting: nil, recipients: [], bases: ["consent"],
                     justification: "referral form received through the police inbox", details: ["kind": "referral", "sha256": "ab"]),
            LogEntry(time: "2026-11-20T12:00:00Z", operation: .disclosure, actor: .init(person: "Chair \"J\"", agency: "police"),
                     records: ["doc_1", "doc_2"], case: nil, meeting: "2026-12-01", recipients: ["health", "idva"],
                     bases: ["marac-isp", "dpa-s1-p18"], justification: "meeting pack / in session", details: [:]),
        ]
        for entry in entries {
            XCTAssertEqual(String(decoding: entry.encoded(), as: UTF8.self), String(decoding: try encoder.encode(entry), as: UTF8.self))
            XCTAssertEqual(try JSONDecoder().decode(LogEntry.self, from: entry.encoded()), entry)
        }
    }
}
