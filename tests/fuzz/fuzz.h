/* fuzz.h - the libFuzzer entry point each tests/fuzz/fuzz_*.c defines. The same file is linked
 * either with libFuzzer (`make fuzz`, clang) or with standalone.c, which feeds it the files of a
 * regression folder in every normal build. */
#ifndef LATHE_FUZZ_H
#define LATHE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A private folder for the target's files (made once, under $TMPDIR), or NULL. */
const char *lathe_fuzz_dir(void);
/* Writes data to dir/name; returns 0 on success. */
int lathe_fuzz_write(const char *path, const uint8_t *data, size_t size);

#endif
