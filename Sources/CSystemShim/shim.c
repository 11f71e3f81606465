// syncfs(2) needs _GNU_SOURCE before any header; the other shims are static inline in
// the header.
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "CSystemShim.h"

const int csystem_O_PATH = O_PATH;

int csystem_syncfs(int fd) { return syncfs(fd); }
