import Exchange
import FuzzDriver
import Foundation
import Vault

/// The checkpoint note parser, the log entry decoder and the inclusion-proof verifier an
/// IG officer runs offline.
public func fuzzCheckpoint(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? Checkpoint.parse(String(decoding: bytes, as: UTF8.self))
    _ = try? LogEntry(decoding: Data(bytes))
    if bytes.count >= 40 {
        // A proof of 32-byte hashes for a leaf at an index in a tree whose size the input gives.
        let size = Int(bytes[0]) << 8 | Int(bytes[1]), index = Int(bytes[2]) << 8 | Int(bytes[3])
        let hashes = stride(from: 36, to: bytes.count - 31, by: 32).map { Array(bytes[$0..<$0 + 32]) }
        _ = MerkleTree.verifyInclusion(leafHash: Array(bytes[4..<36]), index: index, size: size, proof: hashes, root: hashes.last ?? [])
    }
    return 0
}

@_cdecl("FuzzCheckpoint_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzCheckpoint) }
