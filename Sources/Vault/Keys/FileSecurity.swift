import Foundation
internal import CSystemShim

/// Checks on the state directory and its files: owned by us, no access for group or
/// others, and the right kind of file. Every check uses `lstat`, so a symlink is never
/// followed and is refused as the wrong kind of file.
enum FileSecurity {
    enum Kind { case directory, regularFile }

    /// Throws unless `path` exists, is a `kind`, is owned by the effective user and has
    /// `mode & 0o077 == 0`.
    static func check(_ path: String, is kind: Kind) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw errno == ENOENT ? VaultError.missing(path: path) : VaultError.io(path: path, errno: errno)
        }
        let type = info.st_mode & S_IFMT
        guard type == (kind == .directory ? S_IFDIR : S_IFREG) else { throw VaultError.notRegularFile(path: path) }
        guard info.st_uid == geteuid() else { throw VaultError.wrongOwner(path: path, owner: info.st_uid) }
        guard info.st_mode & 0o077 == 0 else { throw VaultError.insecurePermissions(path: path, mode: info.st_mode) }
    }

    /// Like `check`, but a missing file passes.
    static func checkIfPresent(_ path: String, is kind: Kind) throws {
        do { try check(path, is: kind) } catch VaultError.missing { }
    }

    /// Creates `path` as a 0700 directory, or checks the existing one.
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw VaultError.io(path: path, errno: errno) }
        try check(path, is: .directory)
    }

    /// Creates an empty 0600 file that must not already exist.
    static func createExclusive(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw errno == EEXIST ? VaultError.alreadyInitialised(path: path) : VaultError.io(path: path, errno: errno)
        }
        close(fd)
    }

    /// Writes `bytes` to a new file at `path` (which must not exist; a symlink there is
    /// not followed) with `mode`, flushes it and its directory. On failure the file is
    /// removed: nothing half-written stays.
    static func writeNew(_ path: String, mode: mode_t, _ bytes: UnsafeRawBufferPointer) throws {
        // Written whole or not at all: an unnamed file in the same directory (O_TMPFILE),
        // filled and synced, then linked to `path` (which fails if it exists, as O_EXCL
        // would). A process killed part-way leaves no file, never a short one that every
        // later attempt would refuse (a 0-byte root key, say). Where the filesystem has no
        // O_TMPFILE, a named temporary is linked and removed instead.
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var temporary: String?
        var fd = retryingEINTR { open(directory, csystem_O_TMPFILE | O_WRONLY | O_CLOEXEC, mode) }
        if fd < 0 && [EOPNOTSUPP, EISDIR, EINVAL].contains(errno) {
            let name = directory + "/.tmp-" + Hex.encode((try? SecureRandom.bytes(8)) ?? [])
            temporary = name
            fd = retryingEINTR { open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode) }
        }
        guard fd >= 0 else { throw VaultError.io(path: path, errno: errno) }
        defer { if let temporary { unlink(temporary) } }
        var failure: Int32 = 0
        var done = 0
        while done < bytes.count {
            let n = retryingEINTR { Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done) }
            if n <= 0 { failure = n == 0 ? EIO : errno; break }
            done += n
        }
        if failure == 0 && retryingEINTR({ fsync(fd) }) != 0 { failure = errno }
        if failure == 0 {
            let source = temporary ?? "/proc/self/fd/\(fd)"
            if linkat(AT_FDCWD, source, AT_FDCWD, path, temporary == nil ? AT_SYMLINK_FOLLOW : 0) != 0 { failure = errno }
        }
        close(fd)
        guard failure == 0 else { throw VaultError.io(path: path, errno: failure) }
        try syncDirectory(directory)
    }

    /// Flushes a directory's entries (after a create or rename inside it).
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw VaultError.io(path: path, errno: errno) }
        defer { close(fd) }
        guard retryingEINTR({ fsync(fd) }) == 0 else { throw VaultError.io(path: path, errno: errno) }
    }
}
