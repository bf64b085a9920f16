#include "lathe/lathe.h"

const char *lathe_version(void)
{
    return LATHE_VERSION_STRING;
}

const char *lathe_status_text(int status)
{
    switch (status) {
    case LATHE_OK: return "ok";
    case LATHE_ERR_NOMEM: return "out of memory";
    case LATHE_ERR_PARAM: return "invalid parameter";
    case LATHE_ERR_FORMAT: return "incompatible stream format";
    case LATHE_ERR_IO: return "input/output error";
    case LATHE_ERR_SPEC: return "a check failed";
    case LATHE_ERR_CANCEL: return "interrupted";
    default: return "internal error";
    }
}

int lathe_status_exit_code(int status)
{
    switch (status) {
    case LATHE_OK: return 0;
    case LATHE_ERR_SPEC: return 1;
    case LATHE_ERR_IO: return 3;
    case LATHE_ERR_CANCEL: return 130;
    default: return 2;
    }
}
