import Foundation
import Glibc

/// `<state>/daemon.lock`: an advisory `flock` the daemon holds for its lifetime, so that
/// a second daemon on the same state directory refuses to start, and so that an offline
/// root-key rotation (which would leave the running daemon's derived keys stale) refuses
/// while the daemon runs (`docs/vault-format.md`, "Rotation"). The lock is released by
/// the kernel when the descriptor closes, including on `kill -9`.
final class DaemonLock {
    static let fileName = "daemon.lock"
    private let fd: Int32

    /// Takes the lock on `stateDirectory`'s lock file without waiting, or returns nil if
    /// another process holds it.
    init?(stateDirectory: String) throws {
        let path = stateDirectory + "/" + Self.fileName
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw VaultError.io(path: path, errno: errno) }
        var result: Int32
        repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        if result != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { return nil }
            throw VaultError.io(path: path, errno: code)
        }
        self.fd = fd
    }

    deinit { close(fd) }
}

extension Vault {
    /// Takes the daemon lock for this vault's lifetime (the daemon calls it at start).
    /// Throws `busy` if another daemon, or a root rotation, holds the state directory.
    public func holdDaemonLock() throws {
        try locked {
            guard daemonLock == nil else { return }
            guard let lock = try DaemonLock(stateDirectory: stateDirectory) else {
                throw VaultError.busy("another maracd, or a root-key rotation, holds \(stateDirectory)")
            }
            daemonLock = lock
        }
    }
}
