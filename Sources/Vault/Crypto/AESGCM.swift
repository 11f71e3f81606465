import Foundation
internal import CryptoShim

/// AES-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag, under one key.
///
/// The key schedule is set once and the libcrypto context is reused for every message, so
/// a hot path pays only for the nonce and the data. Not thread-safe: one instance per
/// thread or per serialised writer.
///
/// Nonce policy: `seal(_:authenticating:)` uses a fresh 96-bit nonce from the CSPRNG for
/// every message. With random nonces a key must seal fewer than 2^32 messages (SP 800-38D
/// §8.3); every key in this product is a per-document or per-purpose key far below that.
/// Nonces are public, so they are drawn from the DRBG 256 at a time (one call instead of
/// 256); a block is never reused, and is discarded if the process forks.
public final class AESGCM {
    /// Nonce length in bytes.
    public static let nonceByteCount = 12
    /// Tag length in bytes.
    public static let tagByteCount = 16
    /// Bytes a sealed box adds to its plaintext: nonce and tag.
    public static let overhead = nonceByteCount + tagByteCount

    private let context: OpaquePointer
    private var nonces = NoncePool()

    /// Prepares AES-GCM under `key`: 32 bytes for AES-256 (this product's only use),
    /// 16 or 24 accepted for the published test vectors.
    public init(key: SecretBytes) throws {
        let cipher: OpaquePointer
        switch key.count {
        case 16: cipher = Algorithms.shared.aes128GCM
        case 24: cipher = Algorithms.shared.aes192GCM
        case 32: cipher = Algorithms.shared.aes256GCM
        default: throw CryptoError.invalidKeySize(key.count)
        }
        OpenSSLErrors.clear()
        context = try OpenSSLErrors.nonNull(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")
        let ok = key.withUnsafeBytes {
            EVP_CipherInit_ex2(context, cipher, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), nil, 1, nil)
        }
        if ok != 1 {
            let stack = OpenSSLErrors.drain()
            EVP_CIPHER_CTX_free(context)
            throw CryptoError.libraryFailure(operation: "EVP_CipherInit_ex2", openSSL: stack)
        }
    }

    /// Replaces the key, keeping the context and the nonce pool: for per-document keys,
    /// which are each used once, so a write does not pay for a new context. The new key
    /// must have the current key's length.
    func rekey(_ key: SecretBytes) throws {
        guard key.count == Int(EVP_CIPHER_CTX_get_key_length(context)) else { throw CryptoError.invalidKeySize(key.count) }
        OpenSSLErrors.clear()
        try key.withUnsafeBytes {
            try OpenSSLErrors.check(EVP_CipherInit_ex2(context, nil, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), nil, -1, nil),
                                    "EVP_CipherInit_ex2(key)")
        }
    }

    /// Frees the context; libcrypto wipes the key schedule as it does.
    deinit { EVP_CIPHER_CTX_free(context) }

    // MARK: - Sealed boxes: nonce ‖ ciphertext ‖ tag

    /// Encrypts `plaintext` under a fresh random nonce, binding `aad`.
    /// Returns `nonce ‖ ciphertext ‖ tag`.
    public func seal<P: ContiguousBytes, A: ContiguousBytes>(_ plaintext: P, authenticating aad: A) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { input in
            try aad.withUnsafeBytes { aad in
                try [UInt8](unsafeUninitializedCapacity: input.count + Self.overhead) { out, initialized in
                    let raw = UnsafeMutableRawBufferPointer(out)
                    let nonce = UnsafeMutableRawBufferPointer(rebasing: raw[0..<Self.nonceByteCount])
                    try nonces.next(into: nonce)
                    let tagStart = Self.nonceByteCount + input.count
                    try encrypt(nonce: UnsafeRawBufferPointer(nonce), plaintext: input, aad: aad,
                                ciphertext: UnsafeMutableRawBufferPointer(rebasing: raw[Self.nonceByteCount..<tagStart]),
                                tag: UnsafeMutableRawBufferPointer(rebasing: raw[tagStart...]))
                    initialized = raw.count
                }
            }
        }
    }

    /// Decrypts `nonce ‖ ciphertext ‖ tag`, checking `aad`. Returns the plaintext only if
    /// the tag verifies; otherwise throws `authenticationFailure`.
    public func open<S: ContiguousBytes, A: ContiguousBytes>(_ sealed: S, authenticating aad: A) throws -> [UInt8] {
        try sealed.withUnsafeBytes { box in
            guard box.count >= Self.overhead else { throw CryptoError.invalidLength(box.count) }
            return try [UInt8](unsafeUninitializedCapacity: box.count - Self.overhead) { out, initialized in
                try openBox(box, aad: aad, into: UnsafeMutableRawBufferPointer(out))
                initialized = box.count - Self.overhead
            }
        }
    }

    /// `open(_:authenticating:)` into a zeroising buffer, for wrapped keys.
    public func openSecret<S: ContiguousBytes, A: ContiguousBytes>(_ sealed: S, authenticating aad: A) throws -> SecretBytes {
        try sealed.withUnsafeBytes { box in
            guard box.count >= Self.overhead else { throw CryptoError.invalidLength(box.count) }
            return try SecretBytes(count: box.count - Self.overhead) { out in try openBox(box, aad: aad, into: out) }
        }
    }

    private func openBox<A: ContiguousBytes>(_ box: UnsafeRawBufferPointer, aad: A, into out: UnsafeMutableRawBufferPointer) throws {
        let tagStart = box.count - Self.tagByteCount
        try aad.withUnsafeBytes { aad in
            try decrypt(nonce: UnsafeRawBufferPointer(rebasing: box[0..<Self.nonceByteCount]),
                        ciphertext: UnsafeRawBufferPointer(rebasing: box[Self.nonceByteCount..<tagStart]),
                        tag: UnsafeRawBufferPointer(rebasing: box[tagStart...]), aad: aad, plaintext: out)
        }
    }

    // MARK: - The two base operations (explicit nonce; internal so no caller can reuse one)

    /// Encrypts into caller-provided buffers. `ciphertext.count == plaintext.count`.
    func encrypt(nonce: UnsafeRawBufferPointer, plaintext: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
                 ciphertext: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer) throws {
        precondition(ciphertext.count == plaintext.count && tag.count == Self.tagByteCount)
        try start(nonce: nonce, encrypting: true, aad: aad, dataLength: plaintext.count)
        var length: Int32 = 0
        if plaintext.count > 0 {
            try OpenSSLErrors.check(EVP_EncryptUpdate(context, ciphertext.baseAddress?.assumingMemoryBound(to: UInt8.self), &length,
                                                      plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(plaintext.count)),
                                    "EVP_EncryptUpdate")
        }
        var finalLength: Int32 = 0
        try OpenSSLErrors.check(EVP_EncryptFinal_ex(context, nil, &finalLength), "EVP_EncryptFinal_ex")
        try OpenSSLErrors.check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagByteCount), tag.baseAddress) > 0 ? 1 : 0,
                                "EVP_CTRL_GCM_GET_TAG")
    }

    /// Decrypts into `plaintext`; on a bad tag the buffer is wiped and
    /// `authenticationFailure` thrown, so no unauthenticated byte leaves this function.
    func decrypt(nonce: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer,
                 aad: UnsafeRawBufferPointer, plaintext: UnsafeMutableRawBufferPointer) throws {
        precondition(plaintext.count == ciphertext.count)
        guard tag.count == Self.tagByteCount else { throw CryptoError.invalidLength(tag.count) }
        do {
            try start(nonce: nonce, encrypting: false, aad: aad, dataLength: ciphertext.count)
            var length: Int32 = 0
            if ciphertext.count > 0 {
                try OpenSSLErrors.check(EVP_DecryptUpdate(context, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), &length,
                                                          ciphertext.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(ciphertext.count)),
                                        "EVP_DecryptUpdate")
            }
            try OpenSSLErrors.check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagByteCount),
                                                        UnsafeMutableRawPointer(mutating: tag.baseAddress)) > 0 ? 1 : 0,
                                    "EVP_CTRL_GCM_SET_TAG")
            var finalLength: Int32 = 0
            guard EVP_DecryptFinal_ex(context, nil, &finalLength) == 1 else {
                OpenSSLErrors.clear()
                throw CryptoError.authenticationFailure
            }
        } catch {
            if plaintext.count > 0 { OPENSSL_cleanse(plaintext.baseAddress, plaintext.count) }
            throw error
        }
    }

    private func start(nonce: UnsafeRawBufferPointer, encrypting: Bool, aad: UnsafeRawBufferPointer, dataLength: Int) throws {
        guard nonce.count == Self.nonceByteCount else { throw CryptoError.invalidNonceSize(nonce.count) }
        guard dataLength <= Int(Int32.max), aad.count <= Int(Int32.max) else { throw CryptoError.invalidLength(dataLength) }
        OpenSSLErrors.clear()
        // Null cipher and key keep the schedule already set: only the nonce changes.
        try OpenSSLErrors.check(EVP_CipherInit_ex2(context, nil, nil, nonce.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                                   encrypting ? 1 : 0, nil), "EVP_CipherInit_ex2")
        if aad.count > 0 {
            var length: Int32 = 0
            try OpenSSLErrors.check(EVP_CipherUpdate(context, nil, &length, aad.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                                     Int32(aad.count)), "EVP_CipherUpdate(aad)")
        }
    }
}

/// Random 96-bit nonces drawn from the DRBG in blocks. Each nonce is handed out once; a
/// fork (a new process id) discards the block so parent and child never share a nonce.
private struct NoncePool {
    private static let perBlock = 256
    private var block = [UInt8](repeating: 0, count: perBlock * AESGCM.nonceByteCount)
    private var used = perBlock
    private var owner: pid_t = 0

    mutating func next(into nonce: UnsafeMutableRawBufferPointer) throws {
        precondition(nonce.count == AESGCM.nonceByteCount)
        let pid = getpid()
        if used == Self.perBlock || owner != pid {
            try block.withUnsafeMutableBytes { try SecureRandom.fill($0, forKey: false) }
            used = 0
            owner = pid
        }
        let start = used * AESGCM.nonceByteCount
        block.withUnsafeBytes { nonce.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + AESGCM.nonceByteCount])) }
        used += 1
    }
}
