import Foundation
internal import CryptoShim

// MARK: - AuthEnvelopedData (RFC 5083) with AES-256-GCM (RFC 5084)

extension CMS {
    /// Encrypts `content` as CMS AuthEnvelopedData with AES-256-GCM to every certificate in
    /// `recipients`: RSA keys (2048 bits or more) get RSAES-OAEP with SHA-256 and
    /// MGF1-SHA-256; P-256 keys get ephemeral-static ECDH with the X9.63 KDF over SHA-256
    /// and AES-256 key wrap. OpenSSL's defaults (PKCS#1 v1.5, SHA-1 KDF) are never used.
    /// Returns DER.
    public static func encrypt<D: ContiguousBytes>(_ content: D, to recipients: [Certificate]) throws -> [UInt8] {
        guard !recipients.isEmpty else { throw CryptoError.policyViolation("no recipient given") }
        let input = try MemoryBIO(copying: content)
        OpenSSLErrors.clear()
        let message = CMSMessage(owning: try OpenSSLErrors.nonNull(
            CMS_AuthEnvelopedData_create_ex(Algorithms.shared.aes256GCM, nil, nil), "CMS_AuthEnvelopedData_create_ex"))
        for certificate in recipients {
            let algorithm = certificate.keyAlgorithm
            switch algorithm {
            case .p256: break
            case .rsa(let bits) where bits >= 2048: break
            default: throw CryptoError.policyViolation("recipient key \(algorithm) is not RSA ≥ 2048 or EC P-256")
            }
            let info = try OpenSSLErrors.nonNull(
                CMS_add1_recipient_cert(message.pointer, certificate.pointer, UInt32(CMS_KEY_PARAM)), "CMS_add1_recipient_cert")
            let context = try OpenSSLErrors.nonNull(CMS_RecipientInfo_get0_pkey_ctx(info), "CMS_RecipientInfo_get0_pkey_ctx")
            if algorithm == .p256 {
                try OpenSSLErrors.check(EVP_PKEY_CTX_set_ecdh_kdf_md(context, EVP_sha256()), "EVP_PKEY_CTX_set_ecdh_kdf_md")
            } else {
                try OpenSSLErrors.check(EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_OAEP_PADDING), "EVP_PKEY_CTX_set_rsa_padding")
                try OpenSSLErrors.check(EVP_PKEY_CTX_set_rsa_oaep_md_name(context, "SHA2-256", nil), "EVP_PKEY_CTX_set_rsa_oaep_md_name")
                try OpenSSLErrors.check(EVP_PKEY_CTX_set_rsa_mgf1_md_name(context, "SHA2-256", nil), "EVP_PKEY_CTX_set_rsa_mgf1_md_name")
            }
        }
        // A new AuthEnvelopedData is detached; the ciphertext belongs inside the message.
        try OpenSSLErrors.check(CMS_set_detached(message.pointer, 0), "CMS_set_detached")
        try OpenSSLErrors.check(CMS_final(message.pointer, input.pointer, nil, UInt32(CMS_BINARY)), "CMS_final")
        return try message.derRepresentation()
    }

    /// Decrypts CMS AuthEnvelopedData (DER or PEM) with the recipient's key and certificate.
    ///
    /// Refused before any decryption: plain EnvelopedData (no integrity), and a recipient
    /// entry for this certificate that uses PKCS#1 v1.5, OAEP with anything but SHA-256, or
    /// an ECDH KDF other than SHA-256/384/512. libcrypto streams plaintext out before it
    /// checks the GCM tag, so the output goes to a private buffer that is wiped and
    /// discarded unless the whole message authenticated: nothing is returned otherwise.
    public static func decrypt<D: ContiguousBytes>(_ message: D, key: PrivateKey, certificate: Certificate) throws -> SecretBytes {
        let cms = try CMSMessage(decoding: message)
        guard cms.contentType == NID_id_smime_ct_authEnvelopedData else {
            throw CryptoError.policyViolation("not AuthEnvelopedData: unauthenticated encryption is refused")
        }
        guard certificate.matches(key) else { throw CryptoError.policyViolation("the key does not match the certificate") }
        try checkRecipientPolicy(cms, certificate: certificate)
        let output = try MemoryBIO()
        OpenSSLErrors.clear()
        guard CMS_decrypt(cms.pointer, key.key.pointer, certificate.pointer, nil, output.pointer, UInt32(CMS_BINARY)) == 1 else {
            throw CryptoError.decryptionFailure(openSSL: OpenSSLErrors.drain())
        }
        return output.secretBytes
    }

    /// Finds this certificate's recipient entry and checks its key-management algorithm.
    private static func checkRecipientPolicy(_ cms: CMSMessage, certificate: Certificate) throws {
        OpenSSLErrors.clear()
        guard let infos = CMS_get0_RecipientInfos(cms.pointer) else { throw CryptoError.noMatchingRecipient }
        for index in 0..<CryptoShim_sk_RecipientInfo_num(infos) {
            guard let info = CryptoShim_sk_RecipientInfo_value(infos, index) else { continue }
            switch CMS_RecipientInfo_type(info) {
            case CMS_RECIPINFO_TRANS where CMS_RecipientInfo_ktri_cert_cmp(info, certificate.pointer) == 0:
                var algorithm: UnsafeMutablePointer<X509_ALGOR>?
                try OpenSSLErrors.check(CMS_RecipientInfo_ktri_get0_algs(info, nil, nil, &algorithm), "CMS_RecipientInfo_ktri_get0_algs")
                try checkOAEPSHA256(algorithm)
                return
            case CMS_RECIPINFO_AGREE:
                guard let keys = CMS_RecipientInfo_kari_get0_reks(info) else { continue }
                let ours = (0..<CryptoShim_sk_RecipientEncryptedKey_num(keys)).contains { i in
                    CryptoShim_sk_RecipientEncryptedKey_value(keys, i).map { CMS_RecipientEncryptedKey_cert_cmp($0, certificate.pointer) == 0 } ?? false
                }
                guard ours else { continue }
                var algorithm: UnsafeMutablePointer<X509_ALGOR>?
                try OpenSSLErrors.check(CMS_RecipientInfo_kari_get0_alg(info, &algorithm, nil), "CMS_RecipientInfo_kari_get0_alg")
                let allowed: Set<Int32> = [NID_dhSinglePass_stdDH_sha256kdf_scheme, NID_dhSinglePass_stdDH_sha384kdf_scheme,
                                           NID_dhSinglePass_stdDH_sha512kdf_scheme, NID_dhSinglePass_cofactorDH_sha256kdf_scheme,
                                           NID_dhSinglePass_cofactorDH_sha384kdf_scheme, NID_dhSinglePass_cofactorDH_sha512kdf_scheme]
                guard allowed.contains(algorithmNID(algorithm)) else {
                    throw CryptoError.policyViolation("ECDH key agreement must use a SHA-2 KDF")
                }
                return
            default:
                continue
            }
        }
        OpenSSLErrors.clear()
        throw CryptoError.noMatchingRecipient
    }

    /// Accepts only RSAES-OAEP whose hash and MGF1 hash are both SHA-256.
    private static func checkOAEPSHA256(_ algorithm: UnsafeMutablePointer<X509_ALGOR>?) throws {
        guard algorithmNID(algorithm) == NID_rsaesOaep else {
            throw CryptoError.policyViolation("RSA key transport must be OAEP, not PKCS#1 v1.5")
        }
        var object: OpaquePointer?
        var type: Int32 = 0
        var value: UnsafeRawPointer?
        X509_ALGOR_get0(&object, &type, &value, algorithm)
        // Absent parameters mean OAEP's SHA-1 defaults.
        guard type == V_ASN1_SEQUENCE, let value else { throw CryptoError.policyViolation("RSA-OAEP must use SHA-256 for the hash and MGF1") }
        let sequence = value.assumingMemoryBound(to: ASN1_STRING.self)
        var cursor: UnsafePointer<UInt8>? = ASN1_STRING_get0_data(sequence)
        guard let parameters = d2i_RSA_OAEP_PARAMS(nil, &cursor, Int(ASN1_STRING_length(sequence))) else {
            throw CryptoError.decodingFailure(structure: "RSA-OAEP parameters", openSSL: OpenSSLErrors.drain())
        }
        defer { RSA_OAEP_PARAMS_free(parameters) }
        // maskGenFunc is AlgorithmIdentifier { id-mgf1, AlgorithmIdentifier { hash } }.
        let hash = algorithmNID(parameters.pointee.hashFunc)
        var maskHash = NID_undef
        if let mask = parameters.pointee.maskGenFunc, algorithmNID(mask) == NID_mgf1 {
            var maskObject: OpaquePointer?
            var maskType: Int32 = 0
            var maskValue: UnsafeRawPointer?
            X509_ALGOR_get0(&maskObject, &maskType, &maskValue, mask)
            if maskType == V_ASN1_SEQUENCE, let maskValue {
                let inner = maskValue.assumingMemoryBound(to: ASN1_STRING.self)
                var innerCursor: UnsafePointer<UInt8>? = ASN1_STRING_get0_data(inner)
                if let hashAlgorithm = d2i_X509_ALGOR(nil, &innerCursor, Int(ASN1_STRING_length(inner))) {
                    maskHash = algorithmNID(hashAlgorithm)
                    X509_ALGOR_free(hashAlgorithm)
                }
            }
        }
        guard hash == NID_sha256, maskHash == NID_sha256 else {
            throw CryptoError.policyViolation("RSA-OAEP must use SHA-256 for the hash and MGF1")
        }
    }

    private static func algorithmNID(_ algorithm: UnsafeMutablePointer<X509_ALGOR>?) -> Int32 {
        guard let algorithm else { return NID_undef }
        var object: OpaquePointer?
        X509_ALGOR_get0(&object, nil, nil, algorithm)
        return OBJ_obj2nid(object)
    }
}
