import Exchange
import FuzzDriver
import Vault

/// What `maracctl verify` does with an export once its signature verified: the manifest
/// and files, and an audit export's checkpoint and proofs. Also the SignedData reader on
/// the raw input, with a trust anchor nothing can chain to.
let anchor = try! Certificate.selfSigned(commonName: "fuzz anchor", key: try! PrivateKey.generateP256())

public func fuzzExport(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let (_, files) = try? ExportDocument.check(bytes) { _ = try? AuditExport.check(files, trusted: [anchor]) }
    _ = try? CMS.verify(bytes, trusting: [anchor])
    return 0
}

@_cdecl("FuzzExport_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzExport) }
