import CSystemShim
import Vault
import Foundation
import Glibc

/// What the inbox holds under one name, decided without following a link and without
/// reading past the limit.
enum InboxEntry {
    /// Gone since it was listed.
    case gone
    /// Ignored by name: dotfiles, `*.tmp`, `*.part`.
    case ignored
    /// A regular file still being written (modified within the settle time).
    case notYet
    /// A complete regular file within the size limit: its bytes and identity.
    case file(bytes: [UInt8], identity: FileIdentity)
    /// Something the daemon refuses.
    case refused(Refusal)
}

/// Why an inbox object is refused, and what happens to it.
enum Refusal: Equatable {
    case symlink
    case directory
    case special
    case hardLink
    /// Over the size limit but under the quarantine hard cap: kept encrypted.
    case oversized(bytes: [UInt8], size: Int)
    /// Over the hard cap (a 2 GiB sparse file, say): deleted unread.
    case overHardCap(size: Int)

    /// The rule id in the rejection report.
    var rule: String {
        switch self {
        case .symlink: return "symlink"
        case .directory: return "directory"
        case .special: return "not-a-regular-file"
        case .hardLink: return "hard-link"
        case .oversized, .overHardCap: return "too-large"
        }
    }

    /// What the report says, with no content, when the object was removed (or kept).
    func message(limit: Int) -> String {
        switch self {
        case .symlink: return what(limit: limit) + "; the link was removed and its target left untouched"
        case .directory, .special: return what(limit: limit) + "; it was removed"
        case .hardLink: return what(limit: limit) + "; this name was removed, unread"
        case .oversized, .overHardCap: return what(limit: limit)
        }
    }

    /// What the report says when the object could not be removed, for `reason`.
    func unremovedMessage(limit: Int, reason: String) -> String {
        what(limit: limit) + "; it could not be removed (\(reason)): the daemon moved it out of the inbox and set it aside "
            + "for its administrator, and will not report it again"
    }

    /// What was refused, and why.
    private func what(limit: Int) -> String {
        switch self {
        case .symlink: return "a symbolic link is not accepted"
        case .directory: return "a directory is not accepted"
        case .special: return "only regular files are accepted (this was a FIFO, socket or device)"
        case .hardLink: return "a file with more than one link is not accepted"
        case let .oversized(_, size): return "the file is \(size) bytes; the limit is \(limit)"
        case let .overHardCap(size): return "the file is \(size) bytes; the limit is \(limit)"
        }
    }

    /// The disposition in the report of an object that could not be removed.
    static let unremovedDisposition = "could not be removed: set aside for the administrator"

    /// What became of the object, for the report.
    var disposition: String {
        switch self {
        case .oversized: return "quarantined"
        case .overHardCap: return "deleted unread"
        default: return "removed"
        }
    }
}

/// What `claim` found under a name in an inbox.
enum Claim: Equatable {
    /// Gone since it was listed.
    case gone
    /// Ignored by name: dotfiles, `*.tmp`, `*.part`.
    case ignored
    /// A regular file still being written (modified within the settle time).
    case notYet
    /// A regular file the daemon is not permitted to read (an SFTP client set mode 0600,
    /// say): left where it is, for the agency to fix or remove; reported once.
    case unreadable(FileIdentity)
    /// Moved, whatever it is, into the processing directory under `held`.
    case claimed(held: FileName)
    /// Something the daemon may not move out of the inbox (an immutable file; a directory
    /// it may not write, whose `..` a move would change): left where it is, for the
    /// agency or the administrator to remove; reported once per inode and change time.
    case stuck(FileIdentity, errno: Int32)
}

/// Device, inode and change time of a file.
struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64
    let size: Int
    let changed: Int

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int(info.st_size)
        changed = Int(info.st_ctim.tv_sec) * 1_000_000_000 + Int(info.st_ctim.tv_nsec)
    }
}

extension Directory {
    /// Claims inbox entry `name` by renaming it into `processing` (the daemon's own
    /// directory, which no agency can reach) before anything reads it: whatever is
    /// renamed over `name` afterwards is a new file, taken later, and the daemon only
    /// ever removes what it moved into `processing` (`docs/operations.md`, "Claiming").
    ///
    /// A regular file still being written (`settle`, for scanned names; not applied to a
    /// file over `limit`) or one the daemon may not read is left in place. Anything else
    /// (a link, a directory, a FIFO) is claimed too, to be refused from `processing`.
    /// The held name is the SHA-256 of the inbox name and a random suffix, so the receipt
    /// can still name the file by its hash after a restart.
    /// Whether a file is still being written: modified less than `settle` seconds before
    /// `now`. A modification time more than a minute after `now` means the clock was set
    /// back since it was written (an NTP step, a wrong RTC): it was not written just now,
    /// and it is not left waiting for the clock to catch up.
    static func stillBeingWritten(_ info: stat, settle: Double, now: Date) -> Bool {
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        let age = now.timeIntervalSince1970 - modified
        return age < settle && age > -60
    }

    func claim(_ name: FileName, into processing: Directory, limit: Int, settle: Double?, now: Date = Date()) throws -> Claim {
        if name.isIgnored { return .ignored }
        guard let info = try status(name) else { return .gone }
        if info.st_mode & S_IFMT == S_IFREG {
            if Int(info.st_size) <= limit, let settle, Self.stillBeingWritten(info, settle: settle, now: now) { return .notYet }
            if name.withCString({ faccessat(fd, $0, R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) }) != 0 {
                if errno == ENOENT { return .gone }
                if errno == EACCES { return .unreadable(FileIdentity(info)) }
                throw SystemError(call: "faccessat", errno: errno)
            }
        }
        let held = FileName(name.sha256 + "." + Hex.encode(try SecureRandom.bytes(8)))
        let moved = name.withCString { from in held.withCString { to in renameat(fd, from, processing.fd, to) } }
        if moved != 0 {
            if errno == ENOENT { return .gone }
            if errno == EACCES || errno == EPERM || errno == EBUSY { return .stuck(FileIdentity(info), errno: errno) }
            throw SystemError(call: errno == EXDEV ? "renameat: the inbox and processing directories must be on one filesystem"
                                                   : "renameat into processing", errno: errno)
        }
        return .claimed(held: held)
    }

    /// Classifies and, for a good file, reads `name`.
    ///
    /// - `lstat` first: links, directories, FIFOs, sockets and devices are refused
    ///   without being opened (opening a device or FIFO can block or have effects).
    /// - A regular file is pinned with `O_PATH | O_NOFOLLOW`, checked on that descriptor
    ///   (the same inode, still regular, one link), reopened for reading through
    ///   `/proc/self/fd`, and read to at most `limit + 1` bytes, so a file that grows past
    ///   the limit is caught.
    /// - With `settle`, a file modified less than that long ago is left for later (a scan
    ///   must not take a file still being written; an inotify close event needs no wait).
    func take(_ name: FileName, limit: Int, hardCap: Int, settle: Double?, now: Date = Date()) throws -> InboxEntry {
        if name.isIgnored { return .ignored }
        guard let info = try status(name) else { return .gone }
        switch info.st_mode & S_IFMT {
        case S_IFLNK: return .refused(.symlink)
        case S_IFDIR: return .refused(.directory)
        case S_IFREG: break
        default: return .refused(.special)
        }
        if info.st_nlink > 1 { return .refused(.hardLink) }
        let size = Int(info.st_size)
        if size > hardCap { return .refused(.overHardCap(size: size)) }
        if size <= limit, let settle, Self.stillBeingWritten(info, settle: settle, now: now) { return .notYet }

        // Pin the inode with an O_PATH descriptor (which opens nothing: no device driver,
        // no FIFO), check what it is, and only then open it for reading through
        // /proc/self/fd: a name swapped for a device or FIFO after the lstat above is never
        // opened.
        let pinned = name.withCString { openat(fd, $0, csystem_O_PATH | O_NOFOLLOW | O_CLOEXEC) }
        if pinned < 0 {
            if errno == ENOENT { return .gone }
            throw SystemError(call: "openat(O_PATH)", errno: errno)
        }
        defer { close(pinned) }
        var opened = stat()
        try syscall("fstat") { fstat(pinned, &opened) }
        switch opened.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFLNK: return .refused(.symlink)
        case S_IFDIR: return .refused(.directory)
        default: return .refused(.special)
        }
        guard opened.st_ino == info.st_ino, opened.st_dev == info.st_dev else { return .notYet }  // replaced meanwhile
        if opened.st_nlink > 1 { return .refused(.hardLink) }
        let file = open("/proc/self/fd/\(pinned)", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        if file < 0 { throw SystemError(call: "open(/proc/self/fd)", errno: errno) }
        defer { close(file) }

        // To the limit, plus one byte to see whether it is over; an oversized file (or one
        // that grew past the limit) is read on to the hard cap, to be quarantined whole.
        var bytes = try Self.read(file, upTo: limit + 1)
        if bytes.count > limit { bytes += try Self.read(file, upTo: hardCap + 1 - bytes.count) }
        if bytes.count > hardCap { return .refused(.overHardCap(size: max(bytes.count, Int(opened.st_size)))) }
        if bytes.count > limit { return .refused(.oversized(bytes: bytes, size: max(bytes.count, Int(opened.st_size)))) }
        return .file(bytes: bytes, identity: FileIdentity(opened))
    }

    /// Reads at most `maximum` bytes from `fd`.
    static func read(_ fd: Int32, upTo maximum: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count < maximum {
            let want = min(chunk.count, maximum - bytes.count)
            let n = try syscall("read") { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) } }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}
