import Foundation
internal import CryptoShim

/// SHA-256 (FIPS 180-4).
public enum SHA256 {
    /// The digest length in bytes.
    public static let byteCount = 32

    /// The digest of `data`.
    public static func hash<D: ContiguousBytes>(_ data: D) -> [UInt8] {
        data.withUnsafeBytes { hash(buffer: $0) }
    }

    /// The digest of `data` as lowercase hex.
    public static func hexDigest<D: ContiguousBytes>(_ data: D) -> String {
        Hex.encode(hash(data))
    }

    static func hash(buffer: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            var length: UInt32 = 0
            let ok = EVP_Digest(buffer.baseAddress, buffer.count, out.baseAddress, &length,
                                Algorithms.shared.sha256, nil)
            // A fetched SHA-256 over memory cannot fail short of memory exhaustion.
            precondition(ok == 1 && length == UInt32(byteCount), "EVP_Digest failed")
            initialized = byteCount
        }
    }
}

/// An incremental SHA-256 computation; the context is reused after `finalize()`.
public final class SHA256Hasher {
    private let context: OpaquePointer

    /// A hasher ready for input.
    public init() {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new: out of memory") }
        self.context = context
        reset()
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Feeds `data` to the hash.
    public func update<D: ContiguousBytes>(_ data: D) {
        data.withUnsafeBytes { update(buffer: $0) }
    }

    /// Feeds raw bytes to the hash.
    public func update(buffer: UnsafeRawBufferPointer) {
        guard buffer.count > 0 else { return }
        precondition(EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) == 1, "EVP_DigestUpdate failed")
    }

    /// The digest of everything fed since the last reset; the hasher is then reset.
    public func finalize() -> [UInt8] {
        let digest = [UInt8](unsafeUninitializedCapacity: SHA256.byteCount) { out, initialized in
            var length: UInt32 = 0
            precondition(EVP_DigestFinal_ex(context, out.baseAddress, &length) == 1, "EVP_DigestFinal_ex failed")
            initialized = Int(length)
        }
        reset()
        return digest
    }

    private func reset() {
        precondition(EVP_DigestInit_ex2(context, Algorithms.shared.sha256, nil) == 1, "EVP_DigestInit_ex2 failed")
    }
}

/// Lowercase hexadecimal, for digests and identifiers (never for secrets).
public enum Hex {
    /// `bytes` as lowercase hex.
    public static func encode<D: ContiguousBytes>(_ bytes: D) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return bytes.withUnsafeBytes { raw in
            var out = [UInt8]()
            out.reserveCapacity(raw.count * 2)
            for byte in raw {
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0f)])
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// The bytes of an even-length hex string (either case), or nil if it is not hex.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
