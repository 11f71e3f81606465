import Foundation
internal import CryptoShim

// ECDSA P-256 with SHA-256 (FIPS 186-4), signatures in DER (the form CMS, X.509 and
// `openssl dgst -sign` use).

extension PrivateKey {
    /// The DER-encoded ECDSA P-256/SHA-256 signature of `data`. Only P-256 keys sign.
    public func signature<D: ContiguousBytes>(for data: D) throws -> [UInt8] {
        try require(.p256, for: "ECDSA signing")
        OpenSSLErrors.clear()
        let context = try OpenSSLErrors.nonNull(EVP_MD_CTX_new(), "EVP_MD_CTX_new")
        defer { EVP_MD_CTX_free(context) }
        try OpenSSLErrors.check(EVP_DigestSignInit_ex(context, nil, "SHA2-256", nil, nil, key.pointer, nil), "EVP_DigestSignInit_ex")
        return try data.withUnsafeBytes { message in
            let input = message.baseAddress?.assumingMemoryBound(to: UInt8.self)
            var length = 0
            try OpenSSLErrors.check(EVP_DigestSign(context, nil, &length, input, message.count), "EVP_DigestSign")
            var signature = [UInt8](repeating: 0, count: length)
            try OpenSSLErrors.check(EVP_DigestSign(context, &signature, &length, input, message.count), "EVP_DigestSign")
            signature.removeSubrange(length...)
            return signature
        }
    }
}

extension PublicKey {
    /// Whether `signature` is a valid DER ECDSA P-256/SHA-256 signature of `data` by this
    /// key. Non-DER encodings (BER lengths, padding, trailing bytes) are invalid.
    public func isValidSignature<S: ContiguousBytes, D: ContiguousBytes>(_ signature: S, for data: D) -> Bool {
        guard algorithm == .p256 else { return false }
        OpenSSLErrors.clear()
        defer { OpenSSLErrors.clear() }  // a failed verification leaves reasons behind
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit_ex(context, nil, "SHA2-256", nil, nil, key.pointer, nil) == 1 else { return false }
        return signature.withUnsafeBytes { sig in
            data.withUnsafeBytes { message in
                EVP_DigestVerify(context, sig.baseAddress?.assumingMemoryBound(to: UInt8.self), sig.count,
                                 message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1
            }
        }
    }
}

// MARK: - ECDH P-256

extension PrivateKey {
    /// The raw ECDH P-256 shared secret (the x-coordinate, 32 bytes) with `peer`.
    /// The peer key is checked to be a valid P-256 point before use.
    public func sharedSecret(with peer: PublicKey) throws -> SecretBytes {
        try require(.p256, for: "ECDH")
        guard peer.algorithm == .p256 else { throw CryptoError.policyViolation("ECDH peer must be EC P-256, not \(peer.algorithm)") }
        OpenSSLErrors.clear()
        let context = try key.operationContext()
        defer { EVP_PKEY_CTX_free(context) }
        try OpenSSLErrors.check(EVP_PKEY_derive_init(context), "EVP_PKEY_derive_init")
        // validate_peer = 1: a full public-key check (on the curve, right order) first.
        try OpenSSLErrors.check(EVP_PKEY_derive_set_peer_ex(context, peer.key.pointer, 1), "EVP_PKEY_derive_set_peer_ex")
        var length = 0
        try OpenSSLErrors.check(EVP_PKEY_derive(context, nil, &length), "EVP_PKEY_derive")
        return try SecretBytes(count: length) { out in
            var written = length
            try OpenSSLErrors.check(EVP_PKEY_derive(context, out.baseAddress?.assumingMemoryBound(to: UInt8.self), &written), "EVP_PKEY_derive")
            guard written == length else { throw CryptoError.libraryFailure(operation: "EVP_PKEY_derive", openSSL: []) }
        }
    }

    /// A P-256 key pair from a raw private scalar (big-endian, leading zeros allowed), for
    /// published test vectors that give keys that way.
    static func p256(rawScalar: [UInt8]) throws -> PrivateKey {
        OpenSSLErrors.clear()
        let scalar = try OpenSSLErrors.nonNull(BN_secure_new(), "BN_secure_new")
        defer { BN_clear_free(scalar) }
        guard BN_bin2bn(rawScalar, Int32(rawScalar.count), scalar) != nil else {
            throw CryptoError.libraryFailure(operation: "BN_bin2bn", openSSL: OpenSSLErrors.drain())
        }
        let group = try OpenSSLErrors.nonNull(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1), "EC_GROUP_new_by_curve_name")
        defer { EC_GROUP_free(group) }
        let point = try OpenSSLErrors.nonNull(EC_POINT_new(group), "EC_POINT_new")
        defer { EC_POINT_free(point) }
        try OpenSSLErrors.check(EC_POINT_mul(group, point, scalar, nil, nil, nil), "EC_POINT_mul")
        var encoded = [UInt8](repeating: 0, count: 65)
        guard EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, &encoded, encoded.count, nil) == 65 else {
            throw CryptoError.libraryFailure(operation: "EC_POINT_point2oct", openSSL: OpenSSLErrors.drain())
        }
        let pointer = try OpenSSLErrors.nonNull(CryptoShim_EC_key_fromdata("prime256v1", scalar, encoded, encoded.count), "EVP_PKEY_fromdata")
        return PrivateKey(EVPKey(owning: pointer))
    }
}
