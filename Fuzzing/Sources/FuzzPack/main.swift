import Exchange
import FuzzDriver
import Vault

/// `maracctl open`'s first step on a pack: the AuthEnvelopedData reader and its recipient
/// policy, with a recipient key and certificate of its own.
let key = try! PrivateKey.generateP256()
let certificate = try! Certificate.selfSigned(commonName: "fuzz recipient", key: key, usage: .recipient)

public func fuzzPack(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? CMS.decrypt(bytes, key: key, certificate: certificate)
    return 0
}

@_cdecl("FuzzPack_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzPack) }
