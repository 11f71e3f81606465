import Exchange
import FuzzDriver

/// The strict JSON parser every form and control request goes through: any input must end
/// in a value or a `Failure`, never a crash, a hang or a read out of bounds.
public func fuzzJSON(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let value = try? JSONParser().parse(bytes).value {
        // What parsed must write and parse again to the same value.
        precondition((try? JSONParser().parse(value.canonicalBytes).value) == value, "canonical round trip")
    }
    return 0
}

@_cdecl("FuzzJSON_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzJSON) }
