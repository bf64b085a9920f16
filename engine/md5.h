/* md5.h - MD5 (RFC 1321) digests and md5sum-style checksum files.
 *
 * MD5 is not a security measure here: DDP filesets travel with a CHECKSUM.MD5 that replication
 * plants verify, in the format `md5sum` writes and `md5sum -c` reads. */
#ifndef LATHE_MD5_H
#define LATHE_MD5_H

#include <stddef.h>
#include <stdint.h>

typedef struct lathe_md5 {
    uint32_t h[4];
    uint64_t len; /* bytes hashed so far */
    unsigned char buf[64];
    size_t n_buf;
} lathe_md5;

void lathe_md5_init(lathe_md5 *m);
void lathe_md5_update(lathe_md5 *m, const void *data, size_t n);
/* Writes the 16-byte digest; m must be initialised again before reuse. */
void lathe_md5_final(lathe_md5 *m, unsigned char digest[16]);
/* 32 lower-case hex digits and a terminating 0. */
void lathe_md5_hex(const unsigned char digest[16], char hex[33]);

/* [main] The digest of a file's bytes, read in 1 MiB chunks. 0, or -1 with a reason in err. */
int lathe_md5_file(const char *path, char hex[33], char *err, size_t err_size);
/* [main] Writes sum_path (atomically: a temporary file beside it, then a rename) holding one
 * md5sum line per file: "<hex>  <basename>\n", in the order given. 0, or -1 with a reason. */
int lathe_md5_write_sums(const char *sum_path, const char *const *files, int n_files, char *err,
                         size_t err_size);

#endif
