import CSystemShim
import Exchange
import Foundation
import Glibc
import Vault

/// The control socket (`docs/control-protocol.md`): a non-blocking Unix stream listener
/// served from the control service's `poll` loop (`ControlService`, its own thread). Each
/// connection carries one request and one response; every read and write is
/// non-blocking, every connection has a deadline, and the number open at once is bounded,
/// so a slow, silent or hostile client costs one slot for a few seconds and never holds
/// up ingest or another client. The requests complete in one loop turn are answered
/// together, so concurrent reads share one log commit.
final class ControlServer {
    /// Where and how the socket is served.
    struct Settings: Equatable {
        var path: String
        var group: UInt32?
        var timeout: Double
        var maxConnections: Int
        var maxConnectionsPerUID: Int
    }

    /// Answers the requests complete in one loop turn, each from the peer with its `uid`:
    /// one response per request, in order.
    typealias Handler = (_ requests: [(uid: UInt32, request: ControlRequest)]) -> [ControlResponse]

    private let listener: Int32
    private(set) var settings: Settings
    private var connections: [Int32: Connection] = [:]
    /// The one buffer every connection is read into (one loop thread reads at a time).
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    private let logger: Logger

    /// Creates the socket at `settings.path`, mode 0660 with the configured group,
    /// replacing a stale socket there (and nothing else).
    init(settings: Settings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        let path = settings.path
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw SystemError(call: "control socket \(path) exists and is not a socket", errno: EEXIST)
            }
            unlink(path)
        }
        let parent = (path as NSString).deletingLastPathComponent
        _ = try Directory.ensure(parent, mode: 0o750)
        if let group = settings.group {
            // The control group must reach the socket: its directory is 0750 in that group.
            try syscall("chown \(parent)") { chown(parent, uid_t.max, group) }
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SystemError(call: "control socket path is longer than 107 bytes", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        listener = try syscall("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do {
            // Created 0660 by bind itself (no moment with wider modes), then given its group.
            let saved = umask(0o117)
            defer { umask(saved) }
            try syscall("bind \(path)") {
                withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                } }
            }
            if let group = settings.group { try syscall("chown \(path)") { chown(path, uid_t.max, group) } }
            try syscall("chmod \(path)") { chmod(path, 0o660) }
            try syscall("listen") { listen(listener, 128) }
        } catch {
            close(listener)
            throw error
        }
    }

    deinit { stop() }

    /// Closes every connection and the listener, and removes the socket.
    func stop() {
        for connection in connections.values { close(connection.fd) }
        connections = [:]
        if fcntl(listener, F_GETFD) != -1 {
            close(listener)
            unlink(settings.path)
        }
    }

    /// Applies a reloaded configuration's timeout and connection limit (the path and
    /// group take a restart).
    func reconfigure(_ fresh: Settings) {
        settings.timeout = fresh.timeout
        settings.maxConnections = fresh.maxConnections
        settings.maxConnectionsPerUID = fresh.maxConnectionsPerUID
    }

    // MARK: - The poll loop's side

    /// The descriptors to poll: the listener, then each connection for reading or writing.
    var pollDescriptors: [pollfd] {
        [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            + connections.values.map { pollfd(fd: $0.fd, events: Int16($0.response == nil ? POLLIN : POLLOUT), revents: 0) }
    }

    /// Whether any client is connected (the loop then takes smaller ingest batches, so
    /// requests wait for at most a small batch).
    var hasClients: Bool { !connections.isEmpty }

    /// The earliest connection deadline, for the loop's timeout.
    var nextDeadline: Date? { connections.values.map(\.deadline).min() }

    /// Serves what `ready` (the polled descriptors, with `revents`) reports, then
    /// expires connections past their deadline.
    func service(_ ready: ArraySlice<pollfd>, now: Date = Monotonic.now(), handler: Handler) {
        var complete: [(Connection, ControlRequest)] = []
        for item in ready where item.revents != 0 {
            if item.fd == listener {
                acceptAll(now: now, into: &complete)
            } else if let connection = connections[item.fd] {
                if connection.response == nil { read(connection, into: &complete) } else { write(connection) }
            }
        }
        if !complete.isEmpty {
            let responses = handler(complete.map { (uid: $0.0.uid, request: $0.1) })
            precondition(responses.count == complete.count, "one response per request")
            let deadline = Monotonic.now().addingTimeInterval(settings.timeout)
            for ((connection, _), response) in zip(complete, responses) {
                connection.respond(response, deadline: deadline)
                write(connection)
            }
        }
        for connection in connections.values where connection.deadline <= now {
            if connection.response == nil {
                logger.debug("control.timeout", ["uid": connection.uid])
                connection.respond(.failure(ControlError(.timeout, "the request did not arrive within \(settings.timeout) s")),
                                   deadline: now)
                flushOnce(connection)
            }
            finish(connection)
        }
    }

    /// Accepts what is waiting, at most `maxConnections` per loop turn: clients served at
    /// once reconnect at once, and an unbounded loop here would starve ingest.
    private func acceptAll(now: Date, into complete: inout [(Connection, ControlRequest)]) {
        for _ in 0..<settings.maxConnections {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK { logger.error("control.accept_failed", ["errno": errno]) }
                return
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var uid: UInt32 = 0
            guard csystem_peer_uid(fd, &uid) == 0 else { close(fd); continue }
            let connection = Connection(fd: fd, uid: uid, deadline: now.addingTimeInterval(settings.timeout))
            let fromUID = connections.values.reduce(0) { $0 + ($1.uid == uid ? 1 : 0) }
            guard connections.count < settings.maxConnections, fromUID < settings.maxConnectionsPerUID else {
                let why = fromUID >= settings.maxConnectionsPerUID ? "\(fromUID) connections from uid \(uid) are open"
                                                                    : "the daemon is serving \(connections.count) connections"
                connection.respond(.failure(ControlError(.busy, why + "; try again")), deadline: now)
                flushOnce(connection)
                close(fd)
                continue
            }
            connections[fd] = connection
            // A client writes its request as soon as it connects: take it now if it is
            // here, instead of a loop turn later.
            read(connection, into: &complete)
        }
    }

    /// Reads what the connection has sent; a complete request joins `complete` (and the
    /// connection waits for its response), a malformed one is refused at once.
    private func read(_ connection: Connection, into complete: inout [(Connection, ControlRequest)]) {
        while connection.response == nil && !connection.answering {
            let want = min(chunk.count, connection.wanted)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(connection.fd, $0.baseAddress, want) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                return finish(connection)
            }
            if n == 0 { return finish(connection) }  // closed before the frame was complete
            connection.received(chunk[0..<n])
            chunk.withUnsafeMutableBytes { wipe(UnsafeMutableRawBufferPointer(rebasing: $0[0..<n])) }  // it may have held a key (`SecretField`)
            if let request = connection.take() {
                switch request {
                case let .failure(error):
                    logger.debug("control.bad_request", ["uid": connection.uid, "code": error.code.rawValue])
                    connection.respond(.failure(error), deadline: Monotonic.now().addingTimeInterval(settings.timeout))
                    write(connection)
                case let .success(request):
                    connection.answering = true
                    complete.append((connection, request))
                }
            }
        }
    }

    private func write(_ connection: Connection) {
        switch connection.flush() {
        case .done, .failed: finish(connection)
        case .pending: break
        }
    }

    /// One non-blocking attempt to send what a refused connection is owed.
    private func flushOnce(_ connection: Connection) { _ = connection.flush() }

    private func finish(_ connection: Connection) {
        close(connection.fd)
        connections[connection.fd] = nil
    }
}
