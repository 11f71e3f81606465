// syncfs(2) needs _GNU_SOURCE before any header; the other shims are static inline in
// the header.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "CSystemShim.h"

const int csystem_O_PATH = O_PATH;
const int csystem_O_TMPFILE = O_TMPFILE;

int csystem_syncfs(int fd) { return syncfs(fd); }

int csystem_peer_uid(int fd, unsigned int *uid) {
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 || length != sizeof credentials) return -1;
    *uid = credentials.uid;
    return 0;
}
