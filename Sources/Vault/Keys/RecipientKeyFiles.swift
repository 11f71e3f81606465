import Foundation

/// An agency's recipient key and its self-signed certificate or certificate request,
/// made where the agency keeps them (`maracctl agency keygen`): never by the daemon, and
/// never in its state directory. The certificate (or the one a CA issues from the request)
/// is what the key custodian registers with `maracctl agency add --cert`.
public enum RecipientKeyFiles {
    /// The key's algorithm.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// EC P-256 (ECDH to it inside CMS).
        case ec
        /// RSA 3072 (RSA-OAEP to it inside CMS).
        case rsa
    }

    /// File names inside the output directory.
    public static let keyName = "recipient.key", certificateName = "recipient.pem", requestName = "recipient.csr"

    /// Makes a key and writes `recipient.key` (PKCS#8 PEM, 0600) and either
    /// `recipient.pem` (a self-signed recipient certificate, `CertificateUsage.recipient`,
    /// valid `validityDays` from now) or, with `request`, `recipient.csr` (0644) into
    /// `directory` (made 0700 if missing). Refuses, writing nothing, if either file exists.
    /// Returns the paths written.
    public static func generate(in directory: String, commonName: String, organization: String? = nil,
                                algorithm: Algorithm = .ec, request: Bool = false, validityDays: Int = 730) throws -> [String] {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { throw VaultError.io(path: directory, errno: errno) }
        let keyPath = directory + "/" + keyName
        let otherPath = directory + "/" + (request ? requestName : certificateName)
        for path in [keyPath, otherPath] where FileManager.default.fileExists(atPath: path) {
            throw VaultError.io(path: path, errno: EEXIST)
        }
        let key = try algorithm == .ec ? PrivateKey.generateP256() : PrivateKey.generateRSA(bits: 3072)
        let other: String
        if request {
            other = try CertificateRequest(commonName: commonName, organization: organization, key: key).pemRepresentation
        } else {
            other = try Certificate.selfSigned(commonName: commonName, organization: organization, key: key,
                                               validityDays: validityDays, usage: .recipient).pemRepresentation
        }
        try key.pkcs8PEM().withUnsafeBytes { try FileSecurity.writeNew(keyPath, mode: 0o600, $0) }
        do {
            try Array(other.utf8).withUnsafeBytes { try FileSecurity.writeNew(otherPath, mode: 0o644, $0) }
        } catch {
            unlink(keyPath)  // a key without its certificate is of no use: nothing half-made stays
            throw error
        }
        return [keyPath, otherPath]
    }
}
