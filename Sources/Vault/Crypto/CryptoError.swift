internal import CryptoShim

/// Errors from the crypto layer. None carries key bytes or plaintext: the OpenSSL strings
/// are the library's error codes and reason texts, drained from its error queue.
public enum CryptoError: Error, Equatable, Sendable {
    /// A key had a length the algorithm does not accept.
    case invalidKeySize(Int)
    /// A nonce had a length other than the one the format requires.
    case invalidNonceSize(Int)
    /// A requested or supplied length is outside what the algorithm allows.
    case invalidLength(Int)
    /// An authentication tag did not verify; no plaintext was returned.
    case authenticationFailure
    /// A signature did not verify against the key or the trusted certificates.
    case signatureVerificationFailure(openSSL: [String])
    /// Bytes could not be decoded as the named structure (DER, PEM, certificate, CMS).
    case decodingFailure(structure: String, openSSL: [String])
    /// A key, certificate or message is well formed but outside this product's policy.
    case policyViolation(String)
    /// No recipient in an enveloped message matches the given certificate.
    case noMatchingRecipient
    /// An enveloped message could not be decrypted (key unwrap or tag); nothing was returned.
    case decryptionFailure(openSSL: [String])
    /// libcrypto failed an operation; carries its drained error queue.
    case libraryFailure(operation: String, openSSL: [String])
    /// A key file could not be read: its path and the errno (or EFBIG when too large).
    case unreadableFile(path: String, errno: Int32)
}

extension CryptoError: CustomStringConvertible {
    public var description: String {
        func tail(_ stack: [String]) -> String { stack.isEmpty ? "" : " [" + stack.joined(separator: "; ") + "]" }
        switch self {
        case .invalidKeySize(let n): return "invalid key size: \(n) bytes"
        case .invalidNonceSize(let n): return "invalid nonce size: \(n) bytes"
        case .invalidLength(let n): return "invalid length: \(n)"
        case .authenticationFailure: return "authentication failed: the tag does not verify"
        case .signatureVerificationFailure(let s): return "signature verification failed" + tail(s)
        case .decodingFailure(let what, let s): return "cannot decode \(what)" + tail(s)
        case .policyViolation(let why): return "refused by policy: \(why)"
        case .noMatchingRecipient: return "no recipient in the message matches the certificate"
        case .decryptionFailure(let s): return "decryption failed; nothing was released" + tail(s)
        case .libraryFailure(let op, let s): return "libcrypto failed in \(op)" + tail(s)
        case .unreadableFile(let path, let code): return "cannot read \(path): \(String(cString: strerror(code)))"
        }
    }
}

// MARK: - The OpenSSL error queue

/// The OpenSSL error queue is per-thread state: every entry point clears it before calling
/// libcrypto and drains it into a typed error on failure, so one call's stale errors never
/// show up in the next call's report.
enum OpenSSLErrors {
    /// Empties this thread's error queue.
    static func clear() { ERR_clear_error() }

    /// Empties this thread's error queue, returning each entry as OpenSSL's reason string.
    /// Only the error code is formatted, never the optional data attached to it.
    static func drain() -> [String] {
        var stack: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            stack.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return stack
    }

    /// Throws `libraryFailure` unless a libcrypto call returned 1.
    @inline(__always)
    static func check(_ result: Int32, _ operation: StaticString) throws {
        guard result == 1 else { throw CryptoError.libraryFailure(operation: "\(operation)", openSSL: drain()) }
    }

    /// Unwraps a pointer a libcrypto constructor returned, or throws `libraryFailure`.
    @inline(__always)
    static func nonNull<P>(_ pointer: P?, _ operation: StaticString) throws -> P {
        guard let pointer else { throw CryptoError.libraryFailure(operation: "\(operation)", openSSL: drain()) }
        return pointer
    }
}
