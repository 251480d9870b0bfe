// The parts of OpenSSL libcrypto that ecoledger uses: SHA-256 through the EVP API,
// PBKDF2-HMAC-SHA256 and HMAC-SHA256 for PINs, the CSPRNG, and constant-time comparison.
#ifndef ECOLEDGER_CLIBCRYPTO_SHIM_H
#define ECOLEDGER_CLIBCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#endif
