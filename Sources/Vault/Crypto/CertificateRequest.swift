import Foundation
internal import CryptoShim

/// A PKCS#10 certificate signing request (RFC 2986), for an agency whose recipient
/// certificate is to be issued by its own CA rather than self-signed: the subject and
/// public key, signed with SHA-256 by the key itself.
public final class CertificateRequest: @unchecked Sendable {
    let pointer: OpaquePointer

    private init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_REQ_free(pointer) }

    /// A request for `key` (RSA 2048+ or EC P-256, as a recipient certificate needs) with
    /// the subject `CN=commonName[, O=organization]`.
    public convenience init(commonName: String, organization: String? = nil, key: PrivateKey) throws {
        _ = try CertificateUsage.recipient.extensions(for: key)  // refuses any other key
        OpenSSLErrors.clear()
        self.init(owning: try OpenSSLErrors.nonNull(X509_REQ_new(), "X509_REQ_new"))
        try OpenSSLErrors.check(X509_REQ_set_version(pointer, 0), "X509_REQ_set_version")  // v1, the only version
        let name = try OpenSSLErrors.nonNull(X509_NAME_new(), "X509_NAME_new")
        defer { X509_NAME_free(name) }
        try Certificate.addSubject(to: name, commonName: commonName, organization: organization)
        try OpenSSLErrors.check(X509_REQ_set_subject_name(pointer, name), "X509_REQ_set_subject_name")
        try OpenSSLErrors.check(X509_REQ_set_pubkey(pointer, key.key.pointer), "X509_REQ_set_pubkey")
        guard X509_REQ_sign(pointer, key.key.pointer, EVP_sha256()) > 0 else {
            throw CryptoError.libraryFailure(operation: "X509_REQ_sign", openSSL: OpenSSLErrors.drain())
        }
    }

    /// The PEM encoding (`-----BEGIN CERTIFICATE REQUEST-----`).
    public var pemRepresentation: String {
        guard let bio = try? MemoryBIO(), PEM_write_bio_X509_REQ(bio.pointer, pointer) == 1 else {
            preconditionFailure("cannot PEM-encode a request made here")
        }
        return bio.string
    }
}
