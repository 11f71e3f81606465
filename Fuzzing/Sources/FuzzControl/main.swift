import Exchange
import FuzzDriver

/// The control protocol's decoders: a request body (the daemon's side) and a response
/// body (maracctl's side), and the frame header.
public func fuzzControl(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? ControlRequest.parse(bytes)
    _ = try? ControlResponse.parse(bytes)
    if bytes.count >= 4 { _ = ControlProtocol.bodyLength(header: bytes.prefix(4), limit: ControlProtocol.maxResponseBytes) }
    return 0
}

@_cdecl("FuzzControl_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzControl) }
