import Exchange
import FuzzDriver

/// The form validator, as intake calls it for a police inbox: a verdict for any input.
public func fuzzForms(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let context = ValidationContext(agency: "police", received: CalendarDate("2026-12-03")!)
    switch FormValidator.validate(Array(UnsafeBufferPointer(start: data, count: size)), in: context) {
    case .success: break
    case let .failure(rejection): precondition(!rejection.problems.isEmpty, "a rejection names a problem")
    }
    return 0
}

@_cdecl("FuzzForms_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzForms) }
