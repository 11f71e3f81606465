import Exchange
import Foundation
import XCTest

/// The shared fixture forms (`Fixtures/README.md`), and contexts to validate them in.
enum FormFixtures {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/forms")

    /// The bytes of `name` (`valid/referral-police.json`).
    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The fixture as a mutable JSON tree.
    static func tree(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(bytes(name))) as! [String: Any]
    }

    /// Every fixture file in `folder`, sorted.
    static func files(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path)
            .filter { $0.hasSuffix(".json") }.sorted().map { folder + "/" + $0 }
    }

    /// The inbox each fixture belongs in (`Fixtures/README.md`).
    static func agency(for name: String) -> String {
        name.contains("health") || name.contains("/iswc-") ? "health" : "police"
    }

    /// Received on 2026-11-20, in the fixtures' inbox.
    static func context(for name: String, received: String = "2026-11-20") -> ValidationContext {
        ValidationContext(agency: agency(for: name), received: CalendarDate(received)!)
    }

    /// Validates a JSON tree (re-serialised) in `agency`'s inbox.
    static func validate(_ tree: Any, agency: String = "police", received: String = "2026-11-20") throws -> Result<ValidatedForm, FormRejection> {
        let data = try JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys])
        return FormValidator.validate([UInt8](data), in: ValidationContext(agency: agency, received: CalendarDate(received)!))
    }
}

extension Result where Failure == FormRejection {
    /// The problems as `path: message` lines (empty when accepted).
    var lines: [String] {
        switch self {
        case .success: return []
        case let .failure(rejection): return rejection.problems.map(\.description)
        }
    }
}
