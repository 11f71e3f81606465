#ifndef CSYSTEMSHIM_H
#define CSYSTEMSHIM_H

// One C module, one job: the Linux process calls the daemon needs that Swift cannot
// call directly. Each wrapper is one line, with why.

#include <sys/prctl.h>
// Not in Swift's Glibc module map: exported from here so Swift sees signalfd(2) and
// inotify(7) directly (they are plain functions; no wrapper is needed).
#include <sys/signalfd.h>
#include <sys/inotify.h>

// prctl(2) is variadic; Swift cannot call variadic C functions. Clears the dumpable
// flag: no core dump, no ptrace by the same uid, /proc/self files owned by root.
static inline int csystem_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

// prctl(2) again: names the calling thread (15 bytes), as `ps -L` and the journal show it.
static inline int csystem_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

// syncfs(2) is declared only under _GNU_SOURCE, which a Swift import cannot set; shim.c
// defines it and forwards. Flushes one filesystem: one call per ingest batch.
int csystem_syncfs(int fd);

// O_PATH is defined only under _GNU_SOURCE too; shim.c exports its value.
extern const int csystem_O_PATH;

// O_TMPFILE likewise (an unnamed file in a directory, named later with linkat(2)).
extern const int csystem_O_TMPFILE;

// struct ucred (for SO_PEERCRED) is declared only under _GNU_SOURCE; shim.c reads it.
// The uid the kernel recorded for a Unix socket's peer when it connected: 0 or -1.
int csystem_peer_uid(int fd, unsigned int *uid);

#endif
