/* safe_file.h - every file lathe delivers is written here: into a temporary file beside its final
 * name, then renamed into place, so a final path never holds half a file, and without following a
 * symbolic link anywhere below the folder the user named: a link planted inside the output folder
 * (a folder that leads elsewhere, a name where the temporary file will be made, the final name
 * itself) is refused or replaced, never written through.
 *
 * Temporary names are `.NAME.lathe-tmp-PID-RANDOM`, created with O_EXCL|O_NOFOLLOW; a later
 * run that writes NAME removes the temporary files of NAME left by processes that no longer run. */
#ifndef LATHE_SAFE_FILE_H
#define LATHE_SAFE_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct lathe_safe_file {
    int dirfd;        /* the final folder, opened without following links below the root */
    int fd;           /* the temporary file, open for writing */
    char name[256];   /* the final file name inside dirfd */
    char tmp[256];    /* the temporary file name inside dirfd */
    char tmp_path[4352]; /* folder path + tmp, for libraries that want a path */
} lathe_safe_file;

/* Opens a new temporary file for path, making its missing folders. root (may be NULL) is the folder
 * the user named, followed even when it is a link; every folder of path below it, and all of path
 * when root is NULL, must be a real folder. Returns 0, or -1 with one line in err. */
int lathe_safe_open(lathe_safe_file *f, const char *root, const char *path, char *err, size_t n);
/* The temporary file as a stdio stream (owns f->fd from then on), or NULL. */
FILE *lathe_safe_stream(lathe_safe_file *f);
/* Renames the temporary file to the final name (replacing a file or link there) and closes the
 * folder; 0 or -1 with errno. The temporary file's descriptor must be closed before. */
int lathe_safe_commit(lathe_safe_file *f);
/* Removes the temporary file and closes what is open; safe after commit and twice. */
void lathe_safe_abandon(lathe_safe_file *f);

/* Makes the folders of path (not its last part) like lathe_safe_open does; 0 or -1 with err. */
int lathe_safe_mkdirs(const char *root, const char *path, char *err, size_t n);

#endif
