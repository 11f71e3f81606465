import CSystemShim
import Foundation
import Glibc

/// An open directory, used through its descriptor (`openat`, `unlinkat`, `renameat`), so
/// a path swapped for a symlink after start-up cannot redirect the daemon.
final class Directory: Sendable {
    let fd: Int32
    let path: String

    /// Opens `path`, which must be a real directory (not a link), owned by us, with no
    /// access for others.
    init(_ path: String) throws {
        self.path = path
        fd = try syscall("open") { open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        var info = stat()
        try syscall("fstat") { fstat(fd, &info) }
        guard info.st_uid == geteuid(), info.st_mode & 0o007 == 0 else {
            close(fd)
            throw SystemError(call: "check \(path): owner and mode", errno: EPERM)
        }
    }

    deinit { close(fd) }

    /// Creates `path` with permission bits `mode` if missing (and its parent chain, 0700),
    /// then opens it. The mode is set by `mkdir` under a matching umask, never by `chmod`,
    /// so a set-group-ID bit inherited from a parent the administrator made for an
    /// agency's group is kept (and the unit's `RestrictSUIDSGID=` is never tripped). An
    /// existing directory keeps its mode and group, but must pass the same checks.
    static func ensure(_ path: String, mode: mode_t) throws -> Directory {
        var info = stat()
        if lstat(path, &info) != 0 {
            guard errno == ENOENT else { throw SystemError(call: "lstat \(path)", errno: errno) }
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty, lstat(parent, &info) != 0 { _ = try ensure(parent, mode: 0o700) }
            let saved = umask(~mode & 0o777)
            defer { umask(saved) }
            try syscall("mkdir \(path)") { mkdir(path, mode & 0o777) }
        }
        return try Directory(path)
    }

    /// The names in the directory (not `.` or `..`), as bytes.
    func names() throws -> [FileName] {
        let copy = try syscall("dup") { dup(fd) }
        guard let stream = fdopendir(copy) else { close(copy); throw SystemError(call: "fdopendir", errno: errno) }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [FileName] = []
        // `d_name` is read in place, up to its NUL: a `dirent` from readdir is only as long
        // as its record (`d_reclen`), so copying the whole 256-byte field (as
        // `entry.pointee.d_name` would) reads past the end of the last record in the
        // buffer. AddressSanitizer found it (heap-buffer-overflow, `swift test --sanitize=address`).
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let entry = readdir(stream) {
            let raw = UnsafeRawPointer(entry) + nameOffset
            let name = FileName(bytes: UnsafeRawBufferPointer(start: raw, count: strlen(raw.assumingMemoryBound(to: CChar.self))))
            if name != FileName(".") && name != FileName("..") { names.append(name) }
        }
        return names
    }

    /// `lstat` of `name`, or nil if it is gone.
    func status(_ name: FileName) throws -> stat? {
        var info = stat()
        if name.withCString({ fstatat(fd, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0 { return info }
        if errno == ENOENT { return nil }
        throw SystemError(call: "fstatat", errno: errno)
    }

    /// Removes `name` without following it: a link is removed, never its target; a
    /// directory is emptied the same way, then removed. Nesting deeper than `depth` is
    /// refused with ELOOP rather than recursed into: a hostile tree a million levels deep
    /// must cost an error in the log, not the daemon's stack.
    func remove(_ name: FileName, depth: Int = 16) throws {
        if name.withCString({ unlinkat(fd, $0, 0) }) == 0 || errno == ENOENT { return }
        guard errno == EISDIR || errno == EPERM else { throw SystemError(call: "unlinkat", errno: errno) }
        guard depth > 0 else { throw SystemError(call: "remove: nesting too deep", errno: ELOOP) }
        let child = try syscall("openat") { name.withCString { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) } }
        let sub = Directory(adopting: child, path: path + "/" + name.id)
        for entry in try sub.names() { try sub.remove(entry, depth: depth - 1) }
        try syscall("unlinkat(AT_REMOVEDIR)") { name.withCString { unlinkat(fd, $0, AT_REMOVEDIR) } }
    }

    /// Moves `name` into `directory` under the same name (`renameat`, not following it).
    func move(_ name: FileName, to directory: Directory) throws {
        try syscall("renameat") { name.withCString { renameat(fd, $0, directory.fd, $0) } }
    }

    private init(adopting fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Writes `bytes` to `name` atomically, replacing any file of that name. Not fsynced
    /// here: the caller syncs the filesystem once per batch.
    ///
    /// An unnamed file is made in this directory (`O_TMPFILE`), written, and then named
    /// with `linkat`: it appears whole or not at all, a crash leaves nothing behind, and
    /// the directory gets one entry instead of a temporary name made, renamed and removed
    /// (a receipts directory holds thousands). If `name` is taken, the unnamed file gets a
    /// temporary name and is renamed over it; without `O_TMPFILE` (some filesystems), a
    /// temporary file is written and renamed.
    func writeAtomically(_ name: String, _ bytes: [UInt8], mode: mode_t) throws {
        let unnamed = openat(fd, ".", csystem_O_TMPFILE | O_WRONLY | O_CLOEXEC, mode)
        guard unnamed >= 0 else {
            guard errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL else { throw SystemError(call: "openat(O_TMPFILE)", errno: errno) }
            return try writeThroughTemporary(name, bytes, mode: mode)
        }
        defer { close(unnamed) }
        try Self.fill(unnamed, bytes, mode: mode)
        let source = "/proc/self/fd/\(unnamed)"
        if linkat(AT_FDCWD, source, fd, name, AT_SYMLINK_FOLLOW) == 0 { return }
        guard errno == EEXIST else { throw SystemError(call: "linkat", errno: errno) }
        let temporary = Self.temporaryName()
        try syscall("linkat") { linkat(AT_FDCWD, source, fd, temporary, AT_SYMLINK_FOLLOW) }
        do {
            try syscall("renameat") { renameat(fd, temporary, fd, name) }
        } catch {
            unlinkat(fd, temporary, 0)
            throw error
        }
    }

    /// A temporary file in this directory, written, then renamed over `name`.
    private func writeThroughTemporary(_ name: String, _ bytes: [UInt8], mode: mode_t) throws {
        let temporary = Self.temporaryName()
        let out = try syscall("openat") {
            openat(fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        }
        do {
            defer { close(out) }  // once: a second close could close another thread's new descriptor
            try Self.fill(out, bytes, mode: mode)
            try syscall("renameat") { renameat(fd, temporary, fd, name) }
        } catch {
            unlinkat(fd, temporary, 0)
            throw error
        }
    }

    /// `.tmp-<random>`: the names `Outbox` removes at start-up.
    private static func temporaryName() -> String { ".tmp-\(UInt64.random(in: 0...UInt64.max))" }

    /// Sets `mode` (whatever the umask) and writes all of `bytes`.
    private static func fill(_ out: Int32, _ bytes: [UInt8], mode: mode_t) throws {
        try syscall("fchmod") { fchmod(out, mode) }
        var offset = 0
        while offset < bytes.count {
            let n = try syscall("write") { bytes.withUnsafeBytes { write(out, $0.baseAddress! + offset, $0.count - offset) } }
            offset += n
        }
    }

    /// Flushes the whole filesystem this directory is on (one call per batch, instead of
    /// an fsync per receipt).
    func syncFilesystem() throws {
        try syscall("syncfs") { csystem_syncfs(fd) }
    }
}
