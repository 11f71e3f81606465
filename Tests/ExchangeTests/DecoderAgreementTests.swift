@testable import Exchange
import Foundation
import XCTest

/// The validator decodes a form from its parsed tree (`JSONValueDecoder`, with fast paths
/// such as `Dash.init(from:)`); what it gives must equal what Foundation's `JSONDecoder`
/// gives from the same bytes through the synthesized conformances.
final class DecoderAgreementTests: XCTestCase {
    func testEveryValidFixtureDecodesAsFoundationDecodesIt() throws {
        let names = try FormFixtures.files(in: "valid")
        XCTAssertGreaterThan(names.count, 3)
        var checklists = 0
        for name in names {
            let bytes = try FormFixtures.bytes(name)
            guard case let .success(validated) = FormValidator.validate(bytes, in: FormFixtures.context(for: name)) else {
                return XCTFail("\(name) does not validate")
            }
            switch validated.form {
            case let .referral(referral):
                XCTAssertEqual(referral, try JSONDecoder().decode(Referral.self, from: Data(bytes)), name)
                if referral.dash != nil { checklists += 1 }
            case let .research(research):
                XCTAssertEqual(research, try JSONDecoder().decode(Research.self, from: Data(bytes)), name)
            case let .iswc(iswc):
                XCTAssertEqual(iswc, try JSONDecoder().decode(ISWC.self, from: Data(bytes)), name)
            case let .actionUpdate(update):
                XCTAssertEqual(update, try JSONDecoder().decode(ActionUpdateForm.self, from: Data(bytes)), name)
            }
        }
        XCTAssertGreaterThan(checklists, 0, "some fixture has a checklist")
    }

    /// Comments and sources absent, null and present; then members the fast path does not
    /// take, which go the synthesized way with its error.
    func testChecklistAnswersEveryWayTheyMayBeWritten() throws {
        var answers = (1...24).map { #""\#($0)": {"answer": "no"}"# }
        answers[0] = #""1": {"answer": "yes", "comment": "a comment", "source": null}"#
        answers[1] = #""2": {"answer": "dont_know", "comment": null, "source": "police"}"#
        answers[2] = #""3": {"answer": "no", "extra": 1}"#
        let json = #"{"answers": {\#(answers.joined(separator: ", "))}, "signedDate": "2026-11-19", "referralMade": true}"#
        let tree = try JSONParser().parse(Array(json.utf8)).value
        XCTAssertNotNil(tree.object?["answers"].flatMap(Dash.Answer.dictionary), "the fast path takes these")
        let fast = try JSONValueDecoder.decode(Dash.self, from: tree)
        XCTAssertEqual(fast, try JSONDecoder().decode(Dash.self, from: Data(json.utf8)))
        XCTAssertEqual(fast.answers["1"], Dash.Answer(answer: .yes, comment: "a comment", source: nil))
        XCTAssertEqual(fast.yesCount, 1)

        for wrong in [#"{"answer": "no", "comment": 5}"#, #"{"answer": "maybe"}"#, #"{"comment": "x"}"#, "[]"] {
            let bad = json.replacingOccurrences(of: #""4": {"answer": "no"}"#, with: #""4": \#(wrong)"#)
            let badTree = try JSONParser().parse(Array(bad.utf8)).value
            XCTAssertNil(badTree.object?["answers"].flatMap(Dash.Answer.dictionary), wrong)
            XCTAssertThrowsError(try JSONValueDecoder.decode(Dash.self, from: badTree), wrong) { error in
                XCTAssertEqual(
                    (error as? DecodingError).map(Self.path), ["answers", "4"] + (wrong.hasPrefix("[") ? [] : [wrong.contains("comment\": 5") ? "comment" : "answer"]),
                    wrong)
            }
            XCTAssertThrowsError(try JSONDecoder().decode(Dash.self, from: Data(bad.utf8)), wrong)
        }
    }

    private static func path(_ error: DecodingError) -> [String] {
        switch error {
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            return context.codingPath.map(\.stringValue)
        case let .keyNotFound(key, context):
            return context.codingPath.map(\.stringValue) + [key.stringValue]
        @unknown default:
            return []
        }
    }
}
