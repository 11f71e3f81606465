import Foundation
internal import CryptoShim

/// HMAC-SHA256 (RFC 2104) under one key, reusing its libcrypto context for every message.
///
/// Not thread-safe: give each thread (or each serialised writer) its own instance.
public final class HMACSHA256 {
    /// The tag length in bytes.
    public static let byteCount = 32
    private let context: OpaquePointer

    /// Prepares HMAC-SHA256 under `key` (any length; RFC 2104 hashes long keys).
    public init(key: SecretBytes) throws {
        OpenSSLErrors.clear()
        context = try OpenSSLErrors.nonNull(EVP_MAC_CTX_new(Algorithms.shared.hmac), "EVP_MAC_CTX_new")
        let ok = key.withUnsafeBytes {
            CryptoShim_MAC_init_hmac(context, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count, "SHA2-256")
        }
        if ok != 1 {
            let stack = OpenSSLErrors.drain()
            EVP_MAC_CTX_free(context)
            throw CryptoError.libraryFailure(operation: "EVP_MAC_init", openSSL: stack)
        }
    }

    /// Frees the context; libcrypto wipes the keyed state as it does.
    deinit { EVP_MAC_CTX_free(context) }

    /// The 32-byte tag of `message`.
    public func authenticationCode<D: ContiguousBytes>(for message: D) -> [UInt8] {
        // A null key re-initialises with the key already set: no re-keying per message.
        precondition(EVP_MAC_init(context, nil, 0, nil) == 1, "EVP_MAC_init (rekey) failed")
        message.withUnsafeBytes { buffer in
            if buffer.count > 0 {
                precondition(EVP_MAC_update(context, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count) == 1,
                             "EVP_MAC_update failed")
            }
        }
        return [UInt8](unsafeUninitializedCapacity: Self.byteCount) { out, initialized in
            var length = 0
            precondition(EVP_MAC_final(context, out.baseAddress, &length, Self.byteCount) == 1, "EVP_MAC_final failed")
            initialized = length
        }
    }

    /// Whether `code` is the full 32-byte tag of `message`, compared in constant time.
    public func isValidAuthenticationCode<C: ContiguousBytes, D: ContiguousBytes>(_ code: C, for message: D) -> Bool {
        constantTimeEquals(authenticationCode(for: message), code)
    }

    /// One-shot HMAC-SHA256.
    public static func authenticationCode<D: ContiguousBytes>(for message: D, key: SecretBytes) throws -> [UInt8] {
        try HMACSHA256(key: key).authenticationCode(for: message)
    }
}

/// HKDF-SHA256 (RFC 5869): extract-then-expand key derivation.
public enum HKDF {
    /// The most output HKDF-SHA256 can produce: 255 blocks of 32 bytes.
    public static let maximumOutputByteCount = 255 * 32

    /// Derives `outputByteCount` bytes from `inputKeyMaterial`, `salt` and `info`.
    ///
    /// Throws `invalidLength` for an output of 0 or more than 8160 bytes.
    public static func deriveKey<S: ContiguousBytes, I: ContiguousBytes>(
        inputKeyMaterial: SecretBytes, salt: S, info: I, outputByteCount: Int
    ) throws -> SecretBytes {
        guard outputByteCount > 0, outputByteCount <= maximumOutputByteCount else {
            throw CryptoError.invalidLength(outputByteCount)
        }
        OpenSSLErrors.clear()
        let context = try OpenSSLErrors.nonNull(EVP_KDF_CTX_new(Algorithms.shared.hkdf), "EVP_KDF_CTX_new")
        defer { EVP_KDF_CTX_free(context) }
        return try SecretBytes(count: outputByteCount) { out in
            let ok = inputKeyMaterial.withUnsafeBytes { ikm in
                salt.withUnsafeBytes { salt in
                    info.withUnsafeBytes { info in
                        CryptoShim_KDF_derive_hkdf(
                            context, "SHA2-256",
                            ikm.baseAddress?.assumingMemoryBound(to: UInt8.self), ikm.count,
                            salt.baseAddress?.assumingMemoryBound(to: UInt8.self), salt.count,
                            info.baseAddress?.assumingMemoryBound(to: UInt8.self), info.count,
                            out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count)
                    }
                }
            }
            try OpenSSLErrors.check(ok, "EVP_KDF_derive")
        }
    }
}
