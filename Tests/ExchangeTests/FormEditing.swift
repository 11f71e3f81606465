import Exchange
import Foundation
import XCTest

/// Edits a fixture's JSON tree by dotted path (`victim.dob`, `perpetrators.0.name`) and
/// validates the result.
struct FormEdit {
    var tree: [String: Any]
    var agency: String
    var received = "2026-11-20"
    var thresholds = RiskThresholds.standard

    init(_ fixture: String) throws {
        tree = try FormFixtures.tree(fixture)
        agency = FormFixtures.agency(for: fixture)
    }

    /// Sets (or, with nil, removes) the value at `path`.
    mutating func set(_ path: String, _ value: Any?) {
        tree = Self.set(tree, path.split(separator: ".").map(String.init), value) as! [String: Any]
    }

    private static func set(_ node: Any, _ path: [String], _ value: Any?) -> Any {
        let head = path[0], rest = Array(path.dropFirst())
        if var array = node as? [Any], let index = Int(head) {
            if rest.isEmpty { if let value { array[index] = value } else { array.remove(at: index) } }
            else { array[index] = set(array[index], rest, value) }
            return array
        }
        var object = node as! [String: Any]
        if rest.isEmpty { object[head] = value } else { object[head] = set(object[head]!, rest, value) }
        return object
    }

    /// The bytes of the edited form.
    var bytes: [UInt8] { [UInt8](try! JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys])) }

    /// The validator's report: `path: message` lines, empty when accepted.
    var problems: [String] {
        FormValidator.validate(bytes, in: ValidationContext(agency: agency, received: CalendarDate(received)!, thresholds: thresholds)).lines
    }
}
