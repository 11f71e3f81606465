// See CryptoShim.h: each function is one line, for one reason Swift cannot call the API.
#include "CryptoShim.h"
#include <openssl/param_build.h>

void CryptoShim_free(void *ptr) { OPENSSL_free(ptr); }
void *CryptoShim_malloc(size_t size) { return OPENSSL_malloc(size); }
long CryptoShim_BIO_get_mem_data(BIO *bio, const unsigned char **data) { return BIO_get_mem_data(bio, (char **)data); }

EVP_PKEY *CryptoShim_keygen_ec(const char *curve) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve); }
EVP_PKEY *CryptoShim_keygen_rsa(size_t bits) { return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits); }

int CryptoShim_MAC_init_hmac(EVP_MAC_CTX *ctx, const unsigned char *key, size_t key_len,
                             const char *digest) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
        OSSL_PARAM_construct_end(),
    };
    return EVP_MAC_init(ctx, key, key_len, params);
}

int CryptoShim_KDF_derive_hkdf(EVP_KDF_CTX *ctx, const char *digest,
                               const unsigned char *ikm, size_t ikm_len,
                               const unsigned char *salt, size_t salt_len,
                               const unsigned char *info, size_t info_len,
                               unsigned char *out, size_t out_len) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len),
        OSSL_PARAM_construct_end(),
    };
    return EVP_KDF_derive(ctx, out, out_len, params);
}

EVP_PKEY *CryptoShim_EC_key_fromdata(const char *curve, const BIGNUM *priv,
                                     const unsigned char *pub, size_t pub_len) {
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    if (ctx != NULL && bld != NULL
        && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0)
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)
        && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len)
        && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL
        && EVP_PKEY_fromdata_init(ctx) == 1) {
        if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1) pkey = NULL;
    }
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

STACK_OF(X509) *CryptoShim_sk_X509_new_null(void) { return sk_X509_new_null(); }
int CryptoShim_sk_X509_push(STACK_OF(X509) *stack, X509 *cert) { return sk_X509_push(stack, cert); }
void CryptoShim_sk_X509_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }
void CryptoShim_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }
int CryptoShim_sk_X509_num(const STACK_OF(X509) *stack) { return sk_X509_num(stack); }
X509 *CryptoShim_sk_X509_value(const STACK_OF(X509) *stack, int index) { return sk_X509_value(stack, index); }
int CryptoShim_sk_SignerInfo_num(const STACK_OF(CMS_SignerInfo) *stack) { return sk_CMS_SignerInfo_num(stack); }
CMS_SignerInfo *CryptoShim_sk_SignerInfo_value(const STACK_OF(CMS_SignerInfo) *stack, int index) { return sk_CMS_SignerInfo_value(stack, index); }
int CryptoShim_sk_RecipientInfo_num(const STACK_OF(CMS_RecipientInfo) *stack) { return sk_CMS_RecipientInfo_num(stack); }
CMS_RecipientInfo *CryptoShim_sk_RecipientInfo_value(const STACK_OF(CMS_RecipientInfo) *stack, int index) { return sk_CMS_RecipientInfo_value(stack, index); }
int CryptoShim_sk_RecipientEncryptedKey_num(const STACK_OF(CMS_RecipientEncryptedKey) *stack) { return sk_CMS_RecipientEncryptedKey_num(stack); }
CMS_RecipientEncryptedKey *CryptoShim_sk_RecipientEncryptedKey_value(const STACK_OF(CMS_RecipientEncryptedKey) *stack, int index) { return sk_CMS_RecipientEncryptedKey_value(stack, index); }

unsigned long CryptoShim_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }
