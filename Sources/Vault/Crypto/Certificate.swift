import Foundation
internal import CryptoShim

/// An X.509 certificate: an agency's recipient certificate, or this daemon's signing
/// certificate.
public final class Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_free(pointer) }

    /// Decodes the first certificate of a PEM text.
    public convenience init<D: ContiguousBytes>(pemRepresentation pem: D) throws {
        let bio = try MemoryBIO(copying: pem)
        OpenSSLErrors.clear()
        guard let pointer = PEM_read_bio_X509(bio.pointer, nil, nil, nil) else {
            throw CryptoError.decodingFailure(structure: "PEM certificate", openSSL: OpenSSLErrors.drain())
        }
        self.init(owning: pointer)
    }

    /// Decodes a DER certificate, with no trailing bytes.
    public convenience init<D: ContiguousBytes>(derRepresentation der: D) throws {
        let pointer = try der.withUnsafeBytes { bytes in
            try DER.decode(bytes, structure: "DER certificate", { d2i_X509(nil, $0, $1) }, free: { X509_free($0) })
        }
        self.init(owning: pointer)
    }

    /// Every certificate of a PEM text, in order (a bundle such as the daemon's
    /// `signing-certificates.pem`); throws if it holds none.
    public static func all<D: ContiguousBytes>(pemBundle pem: D) throws -> [Certificate] {
        let bio = try MemoryBIO(copying: pem)
        var certificates: [Certificate] = []
        OpenSSLErrors.clear()
        while let pointer = PEM_read_bio_X509(bio.pointer, nil, nil, nil) { certificates.append(Certificate(owning: pointer)) }
        // The loop ends on "no start line" at the end of the text: expected, not an error.
        let errors = OpenSSLErrors.drain()
        guard !certificates.isEmpty else { throw CryptoError.decodingFailure(structure: "PEM certificate bundle", openSSL: errors) }
        return certificates
    }

    /// Loads a certificate file in PEM or DER.
    public convenience init(contentsOfFile path: String) throws {
        try self.init(pemOrDER: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A certificate in PEM or DER, whichever `bytes` are.
    public convenience init<D: ContiguousBytes>(pemOrDER bytes: D) throws {
        if bytes.withUnsafeBytes(looksLikePEM) { try self.init(pemRepresentation: bytes) } else { try self.init(derRepresentation: bytes) }
    }

    // MARK: - Fields

    /// The subject distinguished name in RFC 2253 form, e.g. `CN=maracd,O=Example Marac`.
    public var subject: String { Self.format(X509_get_subject_name(pointer)) }

    /// The issuer distinguished name in RFC 2253 form.
    public var issuer: String { Self.format(X509_get_issuer_name(pointer)) }

    /// The start of the validity period.
    public var notValidBefore: Date { Self.date(X509_get0_notBefore(pointer)) }

    /// The end of the validity period.
    public var notValidAfter: Date { Self.date(X509_get0_notAfter(pointer)) }

    /// Whether `date` falls inside the validity period.
    public func isValid(at date: Date = Date()) -> Bool { notValidBefore <= date && date <= notValidAfter }

    /// The serial number as lowercase hex.
    public var serialNumberHex: String {
        guard let bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(pointer), nil) else { return "" }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "" }
        defer { CryptoShim_free(hex) }
        return String(cString: hex).lowercased()
    }

    /// The subject public key.
    public var publicKey: PublicKey {
        guard let key = X509_get0_pubkey(pointer) else { preconditionFailure("a decoded certificate has no key") }
        return PublicKey(EVPKey(retaining: key))
    }

    /// Whether `key` is the private half of this certificate's public key (libcrypto's own
    /// check, with no re-encoding).
    public func matches(_ key: PrivateKey) -> Bool {
        defer { OpenSSLErrors.clear() }  // a mismatch leaves a reason on the queue
        return X509_check_private_key(pointer, key.key.pointer) == 1
    }

    /// The subject key's algorithm.
    public var keyAlgorithm: KeyAlgorithm { publicKey.algorithm }

    /// SHA-256 of the DER encoding: the fingerprint `openssl x509 -fingerprint -sha256` shows.
    public var sha256Fingerprint: [UInt8] { SHA256.hash(derRepresentation) }

    /// The fingerprint as colon-separated uppercase hex, as `openssl x509 -fingerprint` prints it.
    public var fingerprintText: String {
        sha256Fingerprint.map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    /// The DER encoding.
    public var derRepresentation: [UInt8] {
        guard let der = try? DER.encode("i2d_X509", { i2d_X509(pointer, $0) }) else {
            preconditionFailure("cannot re-encode a decoded certificate")
        }
        return der
    }

    /// The PEM encoding.
    public var pemRepresentation: String {
        guard let bio = try? MemoryBIO(), PEM_write_bio_X509(bio.pointer, pointer) == 1 else {
            preconditionFailure("cannot PEM-encode a decoded certificate")
        }
        return bio.string
    }

    private static func format(_ name: OpaquePointer?) -> String {
        guard let name, let bio = try? MemoryBIO() else { return "" }
        guard X509_NAME_print_ex(bio.pointer, name, 0, CryptoShim_XN_FLAG_RFC2253()) >= 0 else { return "" }
        return bio.string
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return Date(timeIntervalSince1970: 0) }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}

extension Certificate: Equatable {
    /// Certificates are equal when their encodings are.
    public static func == (lhs: Certificate, rhs: Certificate) -> Bool { X509_cmp(lhs.pointer, rhs.pointer) == 0 }
}

// MARK: - Self-signed certificates

/// What a self-signed certificate's key is for.
public enum CertificateUsage: Sendable {
    /// The daemon's signing identity (P-256 only): `digitalSignature, nonRepudiation`.
    case signing
    /// An agency's recipient certificate, which packs are encrypted to: `keyAgreement` for
    /// P-256, `keyEncipherment` for RSA (2048 bits or more); extended key usage
    /// `emailProtection`, so S/MIME mail clients take it too.
    case recipient

    /// The extensions beyond `CA:FALSE` and the subject key identifier, as OpenSSL's
    /// configuration strings, for `key`; throws for a key this usage does not allow.
    func extensions(for key: PrivateKey) throws -> [(Int32, String)] {
        switch (self, key.algorithm) {
        case (.signing, .p256):
            return [(NID_key_usage, "critical,digitalSignature,nonRepudiation")]
        case (.recipient, .p256):
            return [(NID_key_usage, "critical,keyAgreement"), (NID_ext_key_usage, "emailProtection")]
        case let (.recipient, .rsa(bits)) where bits >= 2048:
            return [(NID_key_usage, "critical,keyEncipherment"), (NID_ext_key_usage, "emailProtection")]
        case (.signing, _):
            try key.require(.p256, for: "a signing certificate")
            preconditionFailure("require(.p256) throws for any other key")
        case let (.recipient, other):
            throw CryptoError.policyViolation("a recipient certificate needs RSA 2048+ or EC P-256, not \(other)")
        }
    }
}

extension Certificate {
    /// A self-signed certificate: X.509 v3, a random 128-bit serial, `CA:FALSE`, the key
    /// usage `usage` gives, and a subject key identifier; signed with SHA-256 (ECDSA, or
    /// RSA PKCS#1 v1.5 for an RSA recipient key: the certificate's own signature).
    public static func selfSigned(commonName: String, organization: String? = nil, key: PrivateKey,
                                  validityDays: Int = 825, notBefore: Date = Date(),
                                  usage: CertificateUsage = .signing) throws -> Certificate {
        let extensions = try usage.extensions(for: key)
        guard validityDays > 0 else { throw CryptoError.invalidLength(validityDays) }
        OpenSSLErrors.clear()
        let certificate = Certificate(owning: try OpenSSLErrors.nonNull(X509_new(), "X509_new"))
        let x509 = certificate.pointer
        try OpenSSLErrors.check(X509_set_version(x509, Int(X509_VERSION_3)), "X509_set_version")

        var serial = try SecureRandom.bytes(16)
        serial[0] &= 0x7f  // positive
        serial[0] |= 0x01  // and of full length
        let bn = try OpenSSLErrors.nonNull(BN_bin2bn(serial, Int32(serial.count), nil), "BN_bin2bn")
        defer { BN_free(bn) }
        guard BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) != nil else {
            throw CryptoError.libraryFailure(operation: "BN_to_ASN1_INTEGER", openSSL: OpenSSLErrors.drain())
        }

        var start = time_t(notBefore.timeIntervalSince1970)
        guard X509_time_adj_ex(X509_getm_notBefore(x509), 0, 0, &start) != nil,
              X509_time_adj_ex(X509_getm_notAfter(x509), Int32(validityDays), 0, &start) != nil else {
            throw CryptoError.libraryFailure(operation: "X509_time_adj_ex", openSSL: OpenSSLErrors.drain())
        }

        let name = try OpenSSLErrors.nonNull(X509_get_subject_name(x509), "X509_get_subject_name")
        try addSubject(to: name, commonName: commonName, organization: organization)
        try OpenSSLErrors.check(X509_set_issuer_name(x509, name), "X509_set_issuer_name")
        try OpenSSLErrors.check(X509_set_pubkey(x509, key.key.pointer), "X509_set_pubkey")

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, x509, x509, nil, nil, 0)
        for (nid, value) in [(NID_basic_constraints, "critical,CA:FALSE")] + extensions + [(NID_subject_key_identifier, "hash")] {
            let ext = try OpenSSLErrors.nonNull(X509V3_EXT_conf_nid(nil, &context, nid, value), "X509V3_EXT_conf_nid")
            defer { X509_EXTENSION_free(ext) }
            try OpenSSLErrors.check(X509_add_ext(x509, ext, -1), "X509_add_ext")
        }
        guard X509_sign(x509, key.key.pointer, EVP_sha256()) > 0 else {
            throw CryptoError.libraryFailure(operation: "X509_sign", openSSL: OpenSSLErrors.drain())
        }
        return certificate
    }

    /// Adds `CN=commonName[, O=organization]` (UTF-8) to an X.509 name.
    static func addSubject(to name: OpaquePointer, commonName: String, organization: String?) throws {
        var entries = [("CN", commonName)]
        if let organization { entries.append(("O", organization)) }
        for (field, value) in entries {
            try OpenSSLErrors.check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, value, -1, -1, 0), "X509_NAME_add_entry_by_txt")
        }
    }
}
