/* Analyses remembered by file content: a source or an output left alone is measured once, not on
 * every run that reports on it. Keyed by the XXH3-128 of the file's bytes (memoised per inode,
 * size and mtime by the cache), so an edited file is measured again. */
#include "analysis_cache.h"

#include "cache/cache_key.h"
#include "cli.h"

#include <stdlib.h>

static int blob_key(lathe_cache *c, const char *path, const char *content_key, lathe_key *out)
{
    lathe_key file;
    if (!(content_key && lathe_key_from_hex(content_key, &file) == LATHE_CACHE_OK) &&
        lathe_cache_file_key(c, path, &file) != LATHE_OK)
        return -1;
    lathe_key_builder kb;
    lathe_key_builder_init(&kb);
    lathe_key_builder_add_str(&kb, "analysis-result");
    lathe_key_builder_add_str(&kb, LATHE_VERSION_STRING);
    lathe_key_builder_add_key(&kb, file);
    *out = lathe_key_builder_finish(&kb);
    return 0;
}

void lathe_cli_remember_analysis(lathe_cache *c, const char *path, const char *content_key,
                                 const lathe_analysis_result *r)
{
    lathe_key k;
    void *buf;
    size_t len;
    if (!c || !r || blob_key(c, path, content_key, &k) != 0 ||
        lathe_analysis_result_pack(r, &buf, &len) != 0)
        return;
    if (len <= LATHE_CACHE_BLOB_MAX)
        lathe_cache_put_blob(c, k, buf, len);
    free(buf);
}

int lathe_cli_analyze_file_cached(lathe_cache *c, const char *path, lathe_analysis_result **out)
{
    lathe_key k;
    size_t len;
    char *buf = c ? malloc(LATHE_CACHE_BLOB_MAX) : NULL;
    int found = buf && blob_key(c, path, NULL, &k) == 0
             && lathe_cache_get_blob(c, k, buf, LATHE_CACHE_BLOB_MAX, &len) == LATHE_OK
             && lathe_analysis_result_unpack(buf, len, out) == 0;
    free(buf);
    if (found)
        return 0;
    int rc = lathe_cli_analyze_file(path, out);
    if (rc == 0)
        lathe_cli_remember_analysis(c, path, NULL, *out);
    return rc;
}
