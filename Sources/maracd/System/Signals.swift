import CSystemShim
import Glibc

/// SIGTERM, SIGINT and SIGHUP delivered through a signalfd, so the event loop sees them
/// as readable data in its `poll` instead of running code in a signal handler. The
/// signals are blocked in the main thread before any other thread exists, so every
/// thread inherits the mask and none can take them.
final class SignalReceiver {
    let fd: Int32

    /// Blocks the daemon's signals and opens the descriptor that reports them.
    init() throws {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&mask, signal) }
        let rc = pthread_sigmask(SIG_BLOCK, &mask, nil)
        guard rc == 0 else { throw SystemError(call: "pthread_sigmask", errno: rc) }
        fd = try syscall("signalfd") { signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }
    }

    deinit { close(fd) }

    /// The signals received since the last call.
    func drain() -> [Int32] {
        var signals: [Int32] = []
        var info = signalfd_siginfo()
        while read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            signals.append(Int32(info.ssi_signo))
        }
        return signals
    }
}
