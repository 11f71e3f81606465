import Exchange
import XCTest

/// The product identity operators and agencies see.
final class ProductTests: XCTestCase {
    /// Operators and agencies compare versions: it must be semantic (MAJOR.MINOR.PATCH).
    func testVersionIsSemantic() {
        let parts = Product.version.split(separator: ".")
        XCTAssertEqual(parts.count, 3)
        XCTAssertTrue(parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }, Product.version)
    }

    /// The reader understands exactly interchange format version 1 (forms.md).
    func testFormVersionIsOne() {
        XCTAssertEqual(Product.formVersion, 1)
    }
}
