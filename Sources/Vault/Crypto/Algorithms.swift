internal import CryptoShim

/// Algorithm implementations fetched once from the default provider.
///
/// OpenSSL 3 looks an algorithm up on every implicit use (`EVP_sha256()` inside a call);
/// fetching once and reusing the handle is the documented fast path. Fetched handles are
/// immutable and safe to share between threads.
struct Algorithms: @unchecked Sendable {
    let sha256: OpaquePointer
    let hmac: OpaquePointer
    let hkdf: OpaquePointer
    let aes128GCM: OpaquePointer
    let aes192GCM: OpaquePointer
    let aes256GCM: OpaquePointer

    static let shared = Algorithms()

    private init() {
        func fetched(_ handle: OpaquePointer?, _ name: String) -> OpaquePointer {
            // The default provider ships these; without them nothing here can work.
            guard let handle else { preconditionFailure("libcrypto lacks \(name): \(OpenSSLErrors.drain())") }
            return handle
        }
        sha256 = fetched(EVP_MD_fetch(nil, "SHA2-256", nil), "SHA2-256")
        hmac = fetched(EVP_MAC_fetch(nil, "HMAC", nil), "HMAC")
        hkdf = fetched(EVP_KDF_fetch(nil, "HKDF", nil), "HKDF")
        aes128GCM = fetched(EVP_CIPHER_fetch(nil, "AES-128-GCM", nil), "AES-128-GCM")
        aes192GCM = fetched(EVP_CIPHER_fetch(nil, "AES-192-GCM", nil), "AES-192-GCM")
        aes256GCM = fetched(EVP_CIPHER_fetch(nil, "AES-256-GCM", nil), "AES-256-GCM")
    }
}
