import CSystemShim
import Glibc

/// An inotify instance watching the agencies' inboxes for completed files:
/// `IN_CLOSE_WRITE` (written in place and closed) and `IN_MOVED_TO` (renamed in).
final class Inotify {
    let fd: Int32
    private var watches: [Int32: String] = [:]

    /// A completed file in a watched directory, or a lost-events notice.
    enum Event {
        case file(agency: String, name: FileName)
        /// The kernel's queue overflowed: a full rescan is needed.
        case overflow
    }

    init() throws {
        fd = try syscall("inotify_init1") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
    }

    private var closed = false

    deinit { stop() }

    /// Stops watching: no more events are queued (idempotent).
    func stop() {
        guard !closed else { return }
        closed = true
        close(fd)
        watches.removeAll()
    }

    /// Watches `directory` for `agency`'s files.
    func watch(_ directory: String, agency: String) throws {
        let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_ONLYDIR) | UInt32(IN_DONT_FOLLOW)
        let wd = try syscall("inotify_add_watch") { inotify_add_watch(fd, directory, mask) }
        watches[wd] = agency
    }

    /// Stops watching `agency`'s inbox.
    func unwatch(agency: String) {
        for (wd, name) in watches where name == agency {
            inotify_rm_watch(fd, wd)
            watches[wd] = nil
        }
    }

    /// The agencies watched.
    var agencies: Set<String> { Set(watches.values) }

    /// Every event queued now (non-blocking).
    func drain() throws -> [Event] {
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { return events }
                throw SystemError(call: "read(inotify)", errno: errno)
            }
            if n == 0 { return events }
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= n {
                let (wd, mask, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let nameBytes = buffer[(offset + header)..<min(n, offset + header + length)].prefix { $0 != 0 }
                offset += header + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 { events.append(.overflow); continue }
                if mask & UInt32(IN_IGNORED) != 0 { watches[wd] = nil; continue }
                guard let agency = watches[wd], !nameBytes.isEmpty, mask & UInt32(IN_ISDIR) == 0 else { continue }
                events.append(.file(agency: agency, name: FileName(bytes: nameBytes)))
            }
        }
    }
}
