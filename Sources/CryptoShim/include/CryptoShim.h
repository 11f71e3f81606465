// CryptoShim: the parts of OpenSSL 3 libcrypto that Swift cannot call directly.
//
// Swift imports C functions, structs and simple constant macros, but not function-like
// macros, variadic functions, or the stack-allocated OSSL_PARAM arrays that OpenSSL 3's
// provider APIs take. Each wrapper below exists for exactly one of those reasons, said in
// its comment, and does nothing else. Everything else is called from Swift directly.
#ifndef CRYPTO_SHIM_H
#define CRYPTO_SHIM_H

#include <stddef.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/cms.h> // after pem.h: it declares PEM_read_bio_CMS only if PEM is known
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// MARK: - Memory (function-like macros)

/// OPENSSL_free is a macro that adds file and line: frees memory libcrypto allocated.
void CryptoShim_free(void *ptr);

/// OPENSSL_malloc is a macro: memory whose ownership passes to libcrypto (an OAEP label).
void *CryptoShim_malloc(size_t size);

/// BIO_get_mem_data is a macro over BIO_ctrl: the bytes held by a memory BIO.
long CryptoShim_BIO_get_mem_data(BIO *bio, const unsigned char **data);

// MARK: - Key generation (variadic)

/// EVP_PKEY_Q_keygen is variadic: a fresh EC key on the named curve.
EVP_PKEY *CryptoShim_keygen_ec(const char *curve);

/// EVP_PKEY_Q_keygen is variadic: a fresh RSA key of `bits` bits.
EVP_PKEY *CryptoShim_keygen_rsa(size_t bits);

// MARK: - Provider parameters (OSSL_PARAM arrays)

/// EVP_MAC_init takes an OSSL_PARAM array naming the digest: starts HMAC with `digest`.
int CryptoShim_MAC_init_hmac(EVP_MAC_CTX *ctx, const unsigned char *key, size_t key_len,
                             const char *digest);

/// EVP_KDF_derive takes an OSSL_PARAM array: HKDF extract-and-expand with `digest`.
int CryptoShim_KDF_derive_hkdf(EVP_KDF_CTX *ctx, const char *digest,
                               const unsigned char *ikm, size_t ikm_len,
                               const unsigned char *salt, size_t salt_len,
                               const unsigned char *info, size_t info_len,
                               unsigned char *out, size_t out_len);

/// EVP_PKEY_fromdata takes an OSSL_PARAM array: an EC key pair from its private scalar
/// and the matching uncompressed public point.
EVP_PKEY *CryptoShim_EC_key_fromdata(const char *curve, const BIGNUM *priv,
                                     const unsigned char *pub, size_t pub_len);

// MARK: - Typed stacks (function-like macros)

/// sk_X509_new_null is a macro: an empty certificate stack.
STACK_OF(X509) *CryptoShim_sk_X509_new_null(void);
/// sk_X509_push is a macro: appends without taking a reference.
int CryptoShim_sk_X509_push(STACK_OF(X509) *stack, X509 *cert);
/// sk_X509_free is a macro: frees the stack, not the certificates.
void CryptoShim_sk_X509_free(STACK_OF(X509) *stack);
/// sk_X509_pop_free is a macro: frees the stack and each certificate.
void CryptoShim_sk_X509_pop_free(STACK_OF(X509) *stack);
/// sk_X509_num is a macro: the number of certificates.
int CryptoShim_sk_X509_num(const STACK_OF(X509) *stack);
/// sk_X509_value is a macro: the certificate at `index`, not owned.
X509 *CryptoShim_sk_X509_value(const STACK_OF(X509) *stack, int index);
/// sk_CMS_RecipientInfo_num is a macro: the number of recipient infos.
int CryptoShim_sk_RecipientInfo_num(const STACK_OF(CMS_RecipientInfo) *stack);
/// sk_CMS_RecipientInfo_value is a macro: the recipient info at `index`, not owned.
CMS_RecipientInfo *CryptoShim_sk_RecipientInfo_value(const STACK_OF(CMS_RecipientInfo) *stack, int index);
/// sk_CMS_SignerInfo_num is a macro: the number of signer infos.
int CryptoShim_sk_SignerInfo_num(const STACK_OF(CMS_SignerInfo) *stack);
/// sk_CMS_SignerInfo_value is a macro: the signer info at `index`, not owned.
CMS_SignerInfo *CryptoShim_sk_SignerInfo_value(const STACK_OF(CMS_SignerInfo) *stack, int index);
/// sk_CMS_RecipientEncryptedKey_num is a macro: the number of encrypted keys in a KARI.
int CryptoShim_sk_RecipientEncryptedKey_num(const STACK_OF(CMS_RecipientEncryptedKey) *stack);
/// sk_CMS_RecipientEncryptedKey_value is a macro: the encrypted key at `index`, not owned.
CMS_RecipientEncryptedKey *CryptoShim_sk_RecipientEncryptedKey_value(const STACK_OF(CMS_RecipientEncryptedKey) *stack, int index);

// MARK: - Flag constants (macros built from casts and ORs, which Swift does not import)

/// XN_FLAG_RFC2253 is an OR of casted macros: the RFC 2253 distinguished-name format.
unsigned long CryptoShim_XN_FLAG_RFC2253(void);

#endif
