import Foundation
internal import CryptoShim

// RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 8017). PKCS#1 v1.5 encryption is never
// offered: it is the padding of Bleichenbacher's attack.

/// Sets OAEP with SHA-256 for both the label hash and MGF1 on an encrypt or decrypt context.
private func configureOAEPSHA256(_ context: OpaquePointer, label: UnsafeRawBufferPointer) throws {
    try OpenSSLErrors.check(EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_OAEP_PADDING), "EVP_PKEY_CTX_set_rsa_padding")
    try OpenSSLErrors.check(EVP_PKEY_CTX_set_rsa_oaep_md_name(context, "SHA2-256", nil), "EVP_PKEY_CTX_set_rsa_oaep_md_name")
    try OpenSSLErrors.check(EVP_PKEY_CTX_set_rsa_mgf1_md_name(context, "SHA2-256", nil), "EVP_PKEY_CTX_set_rsa_mgf1_md_name")
    guard label.count > 0 else { return }
    // libcrypto takes ownership of the label, so it must come from its allocator.
    let copy = try OpenSSLErrors.nonNull(CryptoShim_malloc(label.count), "OPENSSL_malloc")
    copy.copyMemory(from: label.baseAddress!, byteCount: label.count)
    guard EVP_PKEY_CTX_set0_rsa_oaep_label(context, copy, Int32(label.count)) == 1 else {
        CryptoShim_free(copy)
        throw CryptoError.libraryFailure(operation: "EVP_PKEY_CTX_set0_rsa_oaep_label", openSSL: OpenSSLErrors.drain())
    }
}

extension PrivateKey {
    /// Decrypts an RSA-OAEP-SHA256 ciphertext. Any failure (padding, label, length) is one
    /// `decryptionFailure`, so callers cannot become a padding oracle by telling them apart.
    func decryptOAEPSHA256<C: ContiguousBytes, L: ContiguousBytes>(_ ciphertext: C, label: L) throws -> SecretBytes {
        guard case .rsa = algorithm else { throw CryptoError.policyViolation("RSA-OAEP needs an RSA key, not \(algorithm)") }
        OpenSSLErrors.clear()
        let context = try key.operationContext()
        defer { EVP_PKEY_CTX_free(context) }
        try OpenSSLErrors.check(EVP_PKEY_decrypt_init(context), "EVP_PKEY_decrypt_init")
        try label.withUnsafeBytes { try configureOAEPSHA256(context, label: $0) }
        return try ciphertext.withUnsafeBytes { input in
            let source = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
            var capacity = 0
            guard EVP_PKEY_decrypt(context, nil, &capacity, source, input.count) == 1 else {
                throw CryptoError.decryptionFailure(openSSL: OpenSSLErrors.drain())
            }
            var length = capacity
            let scratch = try SecretBytes(count: capacity) { out in
                guard EVP_PKEY_decrypt(context, out.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, source, input.count) == 1 else {
                    throw CryptoError.decryptionFailure(openSSL: OpenSSLErrors.drain())
                }
            }
            return scratch.withUnsafeBytes { SecretBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
        }
    }
}

extension PublicKey {
    /// Encrypts to this RSA key with OAEP-SHA256 (for key transport and tests).
    func encryptOAEPSHA256<P: ContiguousBytes, L: ContiguousBytes>(_ plaintext: P, label: L) throws -> [UInt8] {
        guard case .rsa = algorithm else { throw CryptoError.policyViolation("RSA-OAEP needs an RSA key, not \(algorithm)") }
        OpenSSLErrors.clear()
        let context = try key.operationContext()
        defer { EVP_PKEY_CTX_free(context) }
        try OpenSSLErrors.check(EVP_PKEY_encrypt_init(context), "EVP_PKEY_encrypt_init")
        try label.withUnsafeBytes { try configureOAEPSHA256(context, label: $0) }
        return try plaintext.withUnsafeBytes { input in
            let source = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
            var length = 0
            try OpenSSLErrors.check(EVP_PKEY_encrypt(context, nil, &length, source, input.count), "EVP_PKEY_encrypt")
            var out = [UInt8](repeating: 0, count: length)
            try OpenSSLErrors.check(EVP_PKEY_encrypt(context, &out, &length, source, input.count), "EVP_PKEY_encrypt")
            return Array(out.prefix(length))
        }
    }
}
