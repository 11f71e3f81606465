import Foundation
internal import CryptoShim

// CMS SignedData (RFC 5652 §5) for one signer, written straight as DER.
//
// Why not `CMS_sign`: it builds, encodes and frees a tree of ASN.1 objects per message,
// which cost two thirds of a receipt's signature (89 µs, of which the ECDSA signature is
// about 30). Every message the daemon signs has the same shape, so only four values
// change between messages: the content, its digest, the signing time and the signature.
// `docs/crypto.md` ("SignedData as the daemon writes it") lists the layout; the tests
// check it against `openssl cms -sign` field by field and verify every size class of
// length with `openssl cms -verify`.

/// Writes CMS SignedData: version 1, digest SHA-256, content type id-data, the signer's
/// certificate, one SignerInfo identified by issuer and serial number, with the signed
/// attributes content type, signing time and message digest, signed with ECDSA P-256.
struct SignedDataEncoder: Sendable {
    /// The signer's certificate, DER.
    private let certificate: [UInt8]
    /// IssuerAndSerialNumber of the signer's certificate, DER.
    private let signerIdentifier: [UInt8]

    init(signer: Certificate) throws {
        certificate = signer.derRepresentation
        let issuer = try DER.encode("i2d_X509_NAME") { i2d_X509_NAME(X509_get_issuer_name(signer.pointer), $0) }
        let serial = try DER.encode("i2d_ASN1_INTEGER") { i2d_ASN1_INTEGER(X509_get0_serialNumber(signer.pointer), $0) }
        signerIdentifier = ASN1.sequence(issuer + serial)
    }

    /// The DER ContentInfo. `sign` returns the DER ECDSA signature of the bytes it is given
    /// (the signed attributes, RFC 5652 §5.4).
    func encode(_ content: UnsafeRawBufferPointer, detached: Bool, signingTime: Date,
                sign: ([UInt8]) throws -> [UInt8]) throws -> [UInt8] {
        // The attributes in DER SET order (by encoding: their lengths differ, 24 < 28 or 30 < 47).
        let attributes = ASN1.attribute(ASN1.contentTypeOID, ASN1.dataOID)
            + ASN1.attribute(ASN1.signingTimeOID, ASN1.time(signingTime))
            + ASN1.attribute(ASN1.messageDigestOID, ASN1.tlv(ASN1.octetString, SHA256.hash(content)))
        // Signed as an explicit SET OF (tag 0x31); carried as [0] IMPLICIT (0xA0).
        let signature = try sign(ASN1.tlv(ASN1.set, attributes))
        let signerInfo = ASN1.sequence(ASN1.version1 + signerIdentifier + ASN1.sha256
            + ASN1.tlv(ASN1.context0, attributes) + ASN1.ecdsaWithSHA256 + ASN1.tlv(ASN1.octetString, signature))
        var encapsulated = ASN1.dataOID
        if !detached { encapsulated += ASN1.tlv(ASN1.context0, ASN1.tlv(ASN1.octetString, content)) }
        let signedData = ASN1.sequence(ASN1.version1 + ASN1.tlv(ASN1.set, ASN1.sha256) + ASN1.sequence(encapsulated)
            + ASN1.tlv(ASN1.context0, certificate) + ASN1.tlv(ASN1.set, signerInfo))
        return ASN1.sequence(ASN1.signedDataOID + ASN1.tlv(ASN1.context0, signedData))
    }
}

/// The few DER pieces SignedData needs (X.690), as ready bytes.
enum ASN1 {
    static let sequence: UInt8 = 0x30, set: UInt8 = 0x31, octetString: UInt8 = 0x04
    static let utcTime: UInt8 = 0x17, generalizedTime: UInt8 = 0x18
    /// [0], constructed: EXPLICIT content and certificates, IMPLICIT signed attributes.
    static let context0: UInt8 = 0xA0

    /// INTEGER 1.
    static let version1: [UInt8] = [0x02, 0x01, 0x01]
    /// 1.2.840.113549.1.7.2, id-signedData.
    static let signedDataOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
    /// 1.2.840.113549.1.7.1, id-data.
    static let dataOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]
    /// 1.2.840.113549.1.9.3, id-contentType.
    static let contentTypeOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03]
    /// 1.2.840.113549.1.9.4, id-messageDigest.
    static let messageDigestOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04]
    /// 1.2.840.113549.1.9.5, id-signingTime.
    static let signingTimeOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05]
    /// AlgorithmIdentifier SHA-256 (2.16.840.1.101.3.4.2.1), parameters absent (RFC 5754 §2).
    static let sha256: [UInt8] = [0x30, 0x0B, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]
    /// AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2), parameters absent (RFC 5758 §3.2).
    static let ecdsaWithSHA256: [UInt8] = [0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]

    /// Tag, definite length in the fewest bytes, contents.
    static func tlv<C: Collection>(_ tag: UInt8, _ contents: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = [tag]
        out.reserveCapacity(contents.count + 6)
        let count = contents.count
        if count < 0x80 {
            out.append(UInt8(count))
        } else {
            let bytes = (0..<8).reversed().map { UInt8(truncatingIfNeeded: count >> ($0 * 8)) }.drop(while: { $0 == 0 })
            out.append(0x80 | UInt8(bytes.count))
            out += bytes
        }
        out += contents
        return out
    }

    static func sequence(_ contents: [UInt8]) -> [UInt8] { tlv(sequence, contents) }

    /// Attribute ::= SEQUENCE { type OID, values SET OF (one value) }.
    static func attribute(_ type: [UInt8], _ value: [UInt8]) -> [UInt8] {
        sequence(type + tlv(set, value))
    }

    /// RFC 5652 §11.3: UTCTime for 1950 to 2049, GeneralizedTime otherwise; seconds, `Z`.
    static func time(_ date: Date) -> [UInt8] {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        precondition(gmtime_r(&seconds, &parts) != nil, "gmtime_r cannot fail for a Date")
        let year = Int(parts.tm_year) + 1900
        let utc = (1950...2049).contains(year)
        var text: [UInt8] = []
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(utc ? year % 100 : year, utc ? 2 : 4)
        for field in [Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)] {
            digits(field, 2)
        }
        text.append(UInt8(ascii: "Z"))
        return tlv(utc ? utcTime : generalizedTime, text)
    }
}
