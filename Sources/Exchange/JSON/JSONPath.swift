/// A location in a JSON document, printed as `$.victim.dob`, `$.contacts[0].name` or
/// `$.dash.answers["7"]`.
///
/// A member name is printed only if it looks like a field name (ASCII letters, digits,
/// `_` and `-`, at most 64 characters): an unknown key could be anything a sender typed,
/// including a person's name, and paths go into rejection reports and logs.
public struct JSONPath: Hashable, Sendable, CustomStringConvertible {
    enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
        /// A member whose name is not repeated.
        case withheld
    }

    private(set) var components: [Component] = []

    /// The document root, `$`.
    public static let root = JSONPath()

    /// This path extended by member `key`.
    public func appending(_ key: String) -> JSONPath {
        var copy = self
        copy.components.append(.key(key))
        return copy
    }

    /// This path extended by array index `index`.
    public func appending(index: Int) -> JSONPath {
        var copy = self
        copy.components.append(.index(index))
        return copy
    }

    /// Descends into member `key` in place (a walk that copies the path only when it
    /// reports a problem; `pop()` climbs back).
    mutating func push(_ key: String) { components.append(.key(key)) }

    /// Descends into index `index` in place.
    mutating func push(index: Int) { components.append(.index(index)) }

    /// Climbs back out of the last `push`.
    mutating func pop() { components.removeLast() }

    /// `$`, then `.name`, `["name"]` or `[n]` per component; `.*` for a member whose name
    /// is withheld (`withheld`).
    public var description: String {
        var out = "$"
        for component in components {
            switch component {
            case let .index(i): out += "[\(i)]"
            case .withheld: out += ".*"
            case let .key(key): out += Self.render(key)
            }
        }
        return out
    }

    /// Descends into a member whose name is not repeated (it may be personal data).
    mutating func pushWithheld() { components.append(.withheld) }

    static func render(_ key: String) -> String {
        let utf8 = key.utf8
        let printable = !utf8.isEmpty && utf8.count <= 64 && utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x5f || $0 == 0x2d
        }
        guard printable else { return "[<unprintable key>]" }
        let first = utf8.first!
        let identifier = !(first >= 0x30 && first <= 0x39) && !utf8.contains(0x2d)
        return identifier ? "." + key : "[\"" + key + "\"]"
    }
}
