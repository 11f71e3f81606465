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

    /// What the report says, with no content.
    func message(limit: Int) -> String {
        switch self {
        case .symlink: return "a symbolic link is not accepted; the link was removed and its target left untouched"
        case .directory: return "a directory is not accepted; it was removed"
        case .special: return "only regular files are accepted (this was a FIFO, socket or device); it was removed"
        case .hardLink: return "a file with more than one link is not accepted; this name was removed, unread"
        case let .oversized(_, size): return "the file is \(size) bytes; the limit is \(limit)"
        case let .overHardCap(size): return "the file is \(size) bytes; the limit is \(limit)"
        }
    }

    /// What became of the object, for the report.
    var disposition: String {
        switch self {
        case .oversized: return "quarantined"
        case .overHardCap: return "deleted unread"
        default: return "removed"
        }
    }
}

/// Device and inode of a file as read, so the daemon never unlinks a different file that
/// has since taken the same name.
struct FileIdentity: Equatable {
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
        if size <= limit, let settle {
            let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            if modified > now.timeIntervalSince1970 - settle { return .notYet }
        }

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

    /// Removes `name` only if it is still the file that was read.
    func removeIfUnchanged(_ name: FileName, _ identity: FileIdentity) throws -> Bool {
        guard let info = try status(name), FileIdentity(info) == identity else { return false }
        try syscall("unlinkat") { name.withCString { unlinkat(fd, $0, 0) } }
        return true
    }
}
