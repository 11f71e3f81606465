// syncfs(2) needs _GNU_SOURCE before any header; the other shims are static inline in
// the header.
#define _GNU_SOURCE
#include <unistd.h>
#include "CSystemShim.h"

int csystem_syncfs(int fd) { return syncfs(fd); }
