import Foundation
internal import CryptoShim

/// An owned, decoded CMS ContentInfo (RFC 5652).
final class CMSMessage {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    /// Decodes DER (no trailing bytes) or PEM (`-----BEGIN CMS-----`).
    convenience init<D: ContiguousBytes>(decoding message: D) throws {
        let pointer: OpaquePointer = try message.withUnsafeBytes { bytes in
            if looksLikePEM(bytes) {
                let bio = try MemoryBIO(copying: bytes)
                OpenSSLErrors.clear()
                guard let cms = PEM_read_bio_CMS(bio.pointer, nil, nil, nil) else {
                    throw CryptoError.decodingFailure(structure: "PEM CMS", openSSL: OpenSSLErrors.drain())
                }
                return cms
            }
            return try DER.decode(bytes, structure: "DER CMS", { d2i_CMS_ContentInfo(nil, $0, $1) }, free: { CMS_ContentInfo_free($0) })
        }
        self.init(owning: pointer)
    }

    deinit { CMS_ContentInfo_free(pointer) }

    /// The content type's NID (e.g. `NID_pkcs7_signed`).
    var contentType: Int32 { OBJ_obj2nid(CMS_get0_type(pointer)) }

    /// DER encoding.
    func derRepresentation() throws -> [UInt8] {
        try DER.encode("i2d_CMS_ContentInfo") { i2d_CMS_ContentInfo(pointer, $0) }
    }
}

/// Owns a `STACK_OF(X509)` and the references it holds.
final class CertificateStack {
    let pointer: OpaquePointer

    init(_ certificates: [Certificate]) throws {
        OpenSSLErrors.clear()
        pointer = try OpenSSLErrors.nonNull(CryptoShim_sk_X509_new_null(), "sk_X509_new_null")
        for certificate in certificates {
            precondition(X509_up_ref(certificate.pointer) == 1, "X509_up_ref failed")
            guard CryptoShim_sk_X509_push(pointer, certificate.pointer) > 0 else {
                X509_free(certificate.pointer)
                throw CryptoError.libraryFailure(operation: "sk_X509_push", openSSL: OpenSSLErrors.drain())
            }
        }
    }

    deinit { CryptoShim_sk_X509_pop_free(pointer) }
}

/// CMS (RFC 5652) messages, the format of everything that leaves the daemon: signed
/// receipts, exports and agenda packs, encrypted to agencies' certificates. Every message
/// made here opens and verifies with the stock `openssl cms` command.
public enum CMS {}

// MARK: - SignedData

extension CMS {
    /// Content whose signature verified, and the certificate that signed it.
    public struct VerifiedContent: @unchecked Sendable {
        /// The signed bytes.
        public let content: [UInt8]
        /// The signer's certificate.
        public let signer: Certificate
    }

    /// Signs `content` as CMS SignedData, ECDSA P-256 with SHA-256, with signed attributes
    /// (content type, message digest, signing time; no S/MIME capabilities: a receipt or
    /// export advertises no ciphers) and the signer's certificate included
    /// (`SignedDataEncoder`). `detached` leaves the content out of the message. Returns DER.
    public static func sign<D: ContiguousBytes>(_ content: D, signer: Certificate, key: PrivateKey,
                                                detached: Bool = false) throws -> [UInt8] {
        try CMSSigner(key: key, certificate: signer).sign(content, detached: detached)
    }

    /// Verifies CMS SignedData (DER or PEM) against `trusted` certificates: every signature
    /// must verify and every signer must chain to one of them. `detachedContent` supplies
    /// content the message does not carry. Returns the content only after it verified.
    public static func verify<D: ContiguousBytes>(_ message: D, trusting trusted: [Certificate],
                                                  detachedContent: [UInt8]? = nil, at date: Date? = nil) throws -> VerifiedContent {
        let cms = try CMSMessage(decoding: message)
        guard cms.contentType == NID_pkcs7_signed else { throw CryptoError.policyViolation("not CMS SignedData") }
        guard !trusted.isEmpty else { throw CryptoError.policyViolation("no trusted certificate given") }
        try checkProfile(cms)
        OpenSSLErrors.clear()
        let store = try OpenSSLErrors.nonNull(X509_STORE_new(), "X509_STORE_new")
        defer { X509_STORE_free(store) }
        for certificate in trusted {
            try OpenSSLErrors.check(X509_STORE_add_cert(store, certificate.pointer), "X509_STORE_add_cert")
        }
        if let date { X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), time_t(date.timeIntervalSince1970)) }
        let detached = try detachedContent.map { try MemoryBIO(copying: $0) }
        // Content is written out while digests are checked, so it goes to a private buffer
        // that is discarded unless verification succeeds.
        let output = try MemoryBIO()
        guard CMS_verify(cms.pointer, nil, store, detached?.pointer, output.pointer, UInt32(CMS_BINARY)) == 1 else {
            throw CryptoError.signatureVerificationFailure(openSSL: OpenSSLErrors.drain())
        }
        let signers = try OpenSSLErrors.nonNull(CMS_get0_signers(cms.pointer), "CMS_get0_signers")
        defer { CryptoShim_sk_X509_free(signers) }
        guard CryptoShim_sk_X509_num(signers) >= 1, let first = CryptoShim_sk_X509_value(signers, 0) else {
            throw CryptoError.signatureVerificationFailure(openSSL: [])
        }
        precondition(X509_up_ref(first) == 1, "X509_up_ref failed")
        return VerifiedContent(content: output.bytes, signer: Certificate(owning: first))
    }
}

// MARK: - The SignedData profile

extension CMS {
    /// Refuses SignedData whose fields outside the signature are not the profile every
    /// message here is made with (`docs/packs.md`, "Layers"): version 1, eContentType
    /// id-data, and each signer SHA-256 with ecdsa-with-SHA256 and a signed content-type
    /// attribute equal to the eContentType (RFC 5652 section 11.1). `CMS_verify` checks the
    /// signature and the digest, not these: altered, they would pass.
    static func checkProfile(_ cms: CMSMessage) throws {
        guard signedDataVersion(try cms.derRepresentation()) == 1 else { throw CryptoError.policyViolation("SignedData version is not 1") }
        guard let eContentType = CMS_get0_eContentType(cms.pointer), OBJ_obj2nid(eContentType) == NID_pkcs7_data else {
            throw CryptoError.policyViolation("the encapsulated content type is not id-data")
        }
        guard let signers = CMS_get0_SignerInfos(cms.pointer), CryptoShim_sk_SignerInfo_num(signers) >= 1 else {
            throw CryptoError.policyViolation("no signer")
        }
        for index in 0..<CryptoShim_sk_SignerInfo_num(signers) {
            let signer = CryptoShim_sk_SignerInfo_value(signers, index)
            var digest: UnsafeMutablePointer<X509_ALGOR>?, signature: UnsafeMutablePointer<X509_ALGOR>?
            CMS_SignerInfo_get0_algs(signer, nil, nil, &digest, &signature)
            func nid(_ algorithm: UnsafeMutablePointer<X509_ALGOR>?) -> Int32 {
                var object: OpaquePointer?
                X509_ALGOR_get0(&object, nil, nil, algorithm)
                return object.map { OBJ_obj2nid($0) } ?? NID_undef
            }
            guard nid(digest) == NID_sha256, nid(signature) == NID_ecdsa_with_SHA256 else {
                throw CryptoError.policyViolation("a signer's algorithms are not SHA-256 with ecdsa-with-SHA256")
            }
            guard let signed = CMS_signed_get0_data_by_OBJ(signer, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT),
                  OBJ_cmp(OpaquePointer(signed), eContentType) == 0 else {
                throw CryptoError.policyViolation("the signed content-type attribute differs from the encapsulated content type")
            }
        }
    }

    /// The SignedData `version` of a DER ContentInfo: SEQUENCE { OID, [0] { SEQUENCE {
    /// INTEGER version, ... } } }, or nil if the bytes are not shaped so.
    static func signedDataVersion(_ der: [UInt8]) -> Int? {
        var i = 0
        func enter(_ tag: UInt8) -> Int? {
            guard i + 1 < der.count, der[i] == tag else { return nil }
            var length = Int(der[i + 1])
            i += 2
            if length & 0x80 != 0 {
                let count = length & 0x7f
                guard (1...4).contains(count), i + count <= der.count else { return nil }
                length = der[i..<(i + count)].reduce(0) { $0 << 8 | Int($1) }
                i += count
            }
            return length
        }
        guard enter(0x30) != nil, let oid = enter(0x06) else { return nil }
        i += oid
        guard enter(0xA0) != nil, enter(0x30) != nil, enter(0x02) == 1, i < der.count else { return nil }
        return Int(der[i])
    }
}
