import CSystemShim
import Glibc

/// Process hardening applied before anything else runs.
enum Hardening {
    /// umask 077, no core dumps (RLIMIT_CORE 0 and not dumpable), SIGPIPE ignored.
    static func apply() throws {
        umask(0o077)
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        try syscall("setrlimit(RLIMIT_CORE)") { setrlimit(Int32(RLIMIT_CORE.rawValue), &none) }
        try syscall("prctl(PR_SET_DUMPABLE)") { csystem_set_not_dumpable() }
        signal(SIGPIPE, SIG_IGN)
    }
}
