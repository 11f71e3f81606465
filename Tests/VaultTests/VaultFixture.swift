import Foundation
import XCTest
@testable import Vault

/// Allows every read and logs it, so tests can reach plaintext through the one read path.
struct AllowAllPolicy: DocumentAccessPolicy {
    func decide(_ request: AccessRequest, for document: DocumentRecord, reading tx: VaultTransaction) -> AccessDecision {
        .allow(logEntry: Data(#"{"op":"read","document":"\#(document.id)","actor":"\#(request.actor)"}"#.utf8))
    }
}

/// A vault in a fresh 0700 temporary state directory, removed by `cleanUp()`.
final class VaultFixture {
    let directory: String
    var vault: Vault!

    static let reader = AccessRequest(actor: "tester", agency: "police", bases: ["audit"], reason: "test")

    init(create: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-vault-\(UUID().uuidString)").path
        if create { vault = try Vault.create(stateDirectory: directory, signingName: "maracd test", policy: AllowAllPolicy()) }
    }

    var keyPath: String { directory + "/master.key" }
    var dbPath: String { directory + "/" + Vault.databaseName }

    /// Closes the vault and opens it again from disk.
    func reopen(keyPath: String? = nil) throws {
        vault = nil
        vault = try Vault.open(stateDirectory: directory, rootKeyPath: keyPath, policy: AllowAllPolicy())
    }

    func cleanUp() {
        vault = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stores `text` for `agency` and returns the id.
    @discardableResult
    func put(_ text: String, agency: String = "police", kind: String = "referral", metadata: [String: String] = [:]) throws -> String {
        try vault.put(NewDocument(content: SecretBytes(copying: Array(text.utf8)), agency: agency, kind: kind, metadata: metadata))
    }

    /// Reads document `id` back as text.
    func read(_ id: String) throws -> String {
        String(decoding: try vault.read(id, as: Self.reader).withUnsafeBytes { Array($0) }, as: UTF8.self)
    }

    /// Runs raw SQL on the vault's own connection (for tamper tests).
    func sql(_ statement: String, _ values: [SQLValue] = []) throws {
        try vault.locked { try vault.db.run(statement, values) }
    }

    /// One blob column of one row.
    func blob(_ query: String, _ values: [SQLValue]) throws -> [UInt8] {
        try vault.locked { try XCTUnwrap(vault.db.statement(query).first(values) { $0.blob(0) }) }
    }

    /// All bytes of every file under the state directory, by path.
    func filesOnDisk() throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)!
        while let name = enumerator.nextObject() as? String {
            let path = directory + "/" + name
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[name] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            }
        }
        return out
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs anywhere in these bytes.
    func contains(bytes needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return Data(self).range(of: Data(needle)) != nil
    }
}

/// What the vault's tests record key operations with: the event as compact JSON (Exchange's
/// `LogEntry.keyEvent` is the product's; the vault takes whatever its caller makes).
func keyEvents(_ event: KeyEvent) throws -> Data {
    try JSONSerialization.data(withJSONObject: event.details.merging(["action": event.action]) { a, _ in a }, options: [.sortedKeys])
}
