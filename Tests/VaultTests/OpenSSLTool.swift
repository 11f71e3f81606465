import Foundation
import XCTest
import TestSupport
import Vault

/// Runs the stock `openssl` command-line tool, for interoperability tests. Never mocked:
/// if the binary is missing the test fails (the README's test command installs it).
struct OpenSSLTool {
    /// A scratch directory, removed by `cleanUp()`.
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    /// The path of `name` inside the scratch directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: some ContiguousBytes) throws {
        try bytes.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path(name)))
    }

    func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name)))) }

    /// Runs `openssl` with `arguments` in the scratch directory.
    @discardableResult
    func run(_ arguments: [String]) throws -> Subprocess {
        try Subprocess.run(URL(fileURLWithPath: Self.executable), arguments, in: directory)
    }

    /// Runs `openssl` and fails the test unless it exits 0.
    @discardableResult
    func succeed(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Subprocess {
        let result = try run(arguments)
        XCTAssertEqual(result.status, 0, "openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(result.stderr)", file: file, line: line)
        return result
    }

    /// Makes a key and self-signed certificate with the CLI: `kind` is `rsa` or `ec`.
    /// Writes `<name>.key` and `<name>.pem`.
    func makeCertificate(_ name: String, kind: String) throws {
        let keyOption = kind == "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        try succeed(["req", "-x509", "-nodes", "-subj", "/CN=\(name) test agency/O=Example Marac", "-days", "30"]
                    + keyOption + ["-keyout", "\(name).key", "-out", "\(name).pem"])
    }

    static let executable: String = {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/openssl"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/bin/openssl"
    }()
}
