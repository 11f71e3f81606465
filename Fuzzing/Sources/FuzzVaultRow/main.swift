import Exchange
import FuzzDriver
import Vault

/// The vault's decoder for what a database row holds and an attacker with the database file
/// controls: a sealed blob (a payload, a wrapped data or agency key, a sealed record:
/// nonce, ciphertext, tag) opened under a key, and the log entry a row holds. Any bytes
/// must end in a refusal, never a crash or a read out of bounds.
nonisolated(unsafe) let cipher = try! AESGCM(key: try! SecretBytes(randomByteCount: 32))  // libFuzzer calls in from one thread

public func fuzzVaultRow(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The first byte splits the input into additional data and the sealed blob.
    let rest = Array(bytes.dropFirst())
    let split = min(Int(bytes.first ?? 0), rest.count)
    _ = try? cipher.open(Array(rest[split...]), authenticating: Array(rest[..<split]))
    return 0
}

@_cdecl("FuzzVaultRow_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzVaultRow) }
