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
            XCTAssertEqual(try LogEntry(decoding: entry.encoded()), entry, "the read path's decoder agrees")
        }
    }

    /// Objects past the scan threshold switch to a hash index: lookups, a repeated key
    /// (first position, last value, and reported by the parser) and order-blind equality
    /// behave the same on both sides of it.
    func testLargeObjectsBehaveAsSmallOnes() throws {
        for count in [3, JSONObject.indexThreshold, JSONObject.indexThreshold + 1, 500] {
            var members = (0..<count).map { "\"k\($0)\": \($0)" }
            members.insert("\"k1\": \"again\"", at: members.count / 2 + 1)
            let parsed = try JSONParser().parse(Array("{\(members.joined(separator: ","))}".utf8))
            XCTAssertEqual(parsed.duplicateKeys.map(\.description), ["$.k1"], "count \(count)")
            let object = try XCTUnwrap(parsed.value.object)
            XCTAssertEqual(object.count, count)
            XCTAssertEqual(object.keys, (0..<count).map { "k\($0)" }, "document order, the repeated key in its first place")
            XCTAssertEqual(object["k1"], .string("again"), "the last value")
            XCTAssertEqual(object["k\(count - 1)"], .number(Double(count - 1)))
            XCTAssertNil(object["k\(count)"])
            var reversed = JSONObject()
            for (key, value) in object.members.reversed() { reversed.set(key, value) }
            XCTAssertEqual(reversed, object)
            reversed.set("k0", .null)
            XCTAssertNotEqual(reversed, object)
        }
    }
}
