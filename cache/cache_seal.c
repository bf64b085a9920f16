/* cache_seal.c - the 8-byte trailer that seals an entry (cache_int.h).
 *
 * Without a key it is XXH3-64 of the payload: a checksum, which catches damage (a torn write, a
 * flipped bit, another entry's bytes) but not forgery: whoever can write the cache folder (or the
 * shared remote) can recompute it over any payload. With a key (lathe_cache_set_key) it is the
 * first 8 bytes of HMAC-SHA256(key, payload || header bytes 0..63): the header binds the entry
 * to its cache key, kind, format and length, so neither a forged payload nor another entry's
 * sealed one passes without the secret. HMAC comes from OpenSSL's libcrypto (already in the
 * process through libcurl) rather than hand-written cryptography. */
#include "cache_int.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <string.h>

int lathe_cache_set_key(lathe_cache *c, const void *key, size_t len, char *err, size_t err_size)
{
    if (len < LATHE_CACHE_KEY_MIN || len > sizeof c->mac_key) {
        snprintf(err, err_size, "cache key: expected %d to %zu bytes, got %zu",
                 LATHE_CACHE_KEY_MIN, sizeof c->mac_key, len);
        return LATHE_CACHE_ERR_PARAM;
    }
    memcpy(c->mac_key, key, len);
    c->mac_key_len = len;
    return LATHE_CACHE_OK;
}

void lathe_cache_drop_key(lathe_cache *c)
{
    volatile unsigned char *k = c->mac_key; /* volatile: a plain memset before free may go */
    for (size_t i = 0; i < sizeof c->mac_key; i++)
        k[i] = 0;
    c->mac_key_len = 0;
}

int lathe_cache_keyed(const lathe_cache *c)
{
    return c->mac_key_len > 0;
}

int lathe_cache_seal_begin(const lathe_cache *c, lathe_cache_seal *s)
{
    s->mac = NULL;
    XXH3_64bits_reset(&s->xs);
    if (!c->mac_key_len)
        return LATHE_CACHE_OK;
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    s->mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    EVP_MAC_free(hmac); /* the context keeps its own reference */
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end()};
    if (!s->mac || !EVP_MAC_init(s->mac, c->mac_key, c->mac_key_len, params)) {
        EVP_MAC_CTX_free(s->mac);
        s->mac = NULL;
        return LATHE_CACHE_ERR_NOMEM;
    }
    return LATHE_CACHE_OK;
}

void lathe_cache_seal_update(lathe_cache_seal *s, const void *p, size_t n)
{
    if (s->mac)
        EVP_MAC_update(s->mac, p, n);
    else
        XXH3_64bits_update(&s->xs, p, n);
}

uint64_t lathe_cache_seal_finish(lathe_cache_seal *s, const unsigned char head[64])
{
    if (!s->mac)
        return XXH3_64bits_digest(&s->xs);
    unsigned char out[EVP_MAX_MD_SIZE];
    size_t len = 0;
    int ok = EVP_MAC_update(s->mac, head, 64) && EVP_MAC_final(s->mac, out, &len, sizeof out) &&
             len >= 8;
    EVP_MAC_CTX_free(s->mac);
    s->mac = NULL;
    /* a failure gives a value no honest entry carries for long: a miss, never a false hit */
    return ok ? lathe_cache_get_le64(out) : 0;
}

void lathe_cache_seal_abort(lathe_cache_seal *s)
{
    EVP_MAC_CTX_free(s->mac);
    s->mac = NULL;
}
