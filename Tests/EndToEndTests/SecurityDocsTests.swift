import Foundation
import XCTest

/// `docs/threat-model.md` and `docs/security-review.md` point to evidence: every test they
/// name (`Class.testName`) must exist in `Tests/`, and every repository file they name must
/// exist, so a renamed or removed test cannot leave a claim without its evidence.
final class SecurityDocsTests: XCTestCase {
    /// Every `Class.testName` defined in the test sources.
    static func definedTests() throws -> Set<String> {
        var found = Set<String>()
        let tests = DaemonHarness.repository.appendingPathComponent("Tests")
        let files = FileManager.default.enumerator(at: tests, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where file.pathExtension == "swift" {
            var current: String?
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                // A test class is declared at the top level (nested helper classes are not).
                if let range = line.range(of: #"^(final )?class [A-Za-z0-9]+"#, options: .regularExpression) {
                    current = String(line[range].split(separator: " ").last!)
                }
                if let current, let range = line.range(of: #"func test[A-Za-z0-9]+"#, options: .regularExpression) {
                    found.insert(current + "." + line[range].dropFirst("func ".count))
                }
            }
        }
        return found
    }

    func testEveryTestAndFileTheSecurityDocumentsCiteExists() throws {
        let defined = try Self.definedTests()
        XCTAssertTrue(defined.contains("SecurityDocsTests.testEveryTestAndFileTheSecurityDocumentsCiteExists"), "the scan finds tests")
        for document in ["docs/threat-model.md", "docs/security-review.md"] {
            let text = try String(contentsOf: DaemonHarness.repository.appendingPathComponent(document), encoding: .utf8)
            var tests = 0, files = 0
            var rest = text[...]
            while let open = rest.firstIndex(of: "`") {
                let after = rest[rest.index(after: open)...]
                guard let close = after.firstIndex(of: "`") else { break }
                let cited = String(after[..<close])
                rest = after[after.index(after: close)...]
                if cited.range(of: #"^[A-Z][A-Za-z0-9]*Tests\.test[A-Za-z0-9]+$"#, options: .regularExpression) != nil {
                    XCTAssertTrue(defined.contains(cited), "\(document) cites \(cited), which no test defines")
                    tests += 1
                } else if cited.range(of: #"^(docs|deploy|scripts|config|Sources|Tests)/[A-Za-z0-9_./-]+$|^(Package\.swift|\.ci/run)$"#,
                                      options: .regularExpression) != nil {
                    XCTAssertTrue(FileManager.default.fileExists(atPath: DaemonHarness.repository.appendingPathComponent(cited).path),
                                  "\(document) cites \(cited), which does not exist")
                    files += 1
                }
            }
            XCTAssertGreaterThan(tests, 20, "\(document) cites tests")
            XCTAssertGreaterThan(files, 3, "\(document) cites files")
        }
    }
}
