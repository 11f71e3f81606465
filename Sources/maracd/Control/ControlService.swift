import Foundation
import Glibc

/// The control socket's service: `ControlServer` on a thread of its own, so readers are
/// answered while an ingest batch runs on the supervisor's thread (the vault's lock is
/// the one point where they meet, and a batch holds it only to store, not to validate).
///
/// The supervisor starts it, hands it fresh verbs after a reload (`publish`), asks whether
/// clients are being served (to keep ingest batches small meanwhile), and stops it first
/// on the way down; `stop` returns when the thread has closed every connection.
final class ControlService: @unchecked Sendable {
    private let server: ControlServer
    private let logger: Logger
    /// A pipe written to wake the loop (a stop, or new settings): read end, write end.
    private let wake: (read: Int32, write: Int32)
    private let lock = NSLock()
    private var verbs: ControlVerbs
    private var pendingSettings: ControlServer.Settings?
    private var stopping = false
    private var lastRequest = Date.distantPast
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    /// Binds the socket now (so a bad path or group fails the start); serves after `start`.
    init(settings: ControlServer.Settings, verbs: ControlVerbs, logger: Logger) throws {
        server = try ControlServer(settings: settings, logger: logger)
        self.verbs = verbs
        self.logger = logger
        var ends: [Int32] = [0, 0]
        _ = try syscall("pipe") { pipe(&ends) }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        wake = (ends[0], ends[1])
    }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    /// Starts the loop on its own thread.
    func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "maracd-control"
        self.thread = thread
        thread.start()
    }

    /// The verbs (and the principals they hold) every request is answered with from now
    /// on, and the timeout and connection limits, in one step (configuration reload).
    func publish(_ fresh: ControlVerbs, settings: ControlServer.Settings) {
        lock.lock(); verbs = fresh; pendingSettings = settings; lock.unlock()
        signalLoop()
    }

    /// Whether a request arrived within the last second (ingest then takes small batches).
    var isServing: Bool {
        lock.lock(); defer { lock.unlock() }
        return Monotonic.now().timeIntervalSince(lastRequest) < 1
    }

    /// Stops the loop, closes every connection and removes the socket; returns when done.
    func stop() {
        lock.lock()
        let running = thread != nil && !stopping
        stopping = true
        lock.unlock()
        guard running else { return }
        signalLoop()
        finished.wait()
    }

    private func signalLoop() {
        var one: UInt8 = 1
        _ = Glibc.write(wake.write, &one, 1)  // a full pipe already wakes the loop
    }

    // MARK: - The loop

    private func run() {
        while true {
            lock.lock()
            let (stop, settings) = (stopping, pendingSettings)
            pendingSettings = nil
            lock.unlock()
            if stop { break }
            if let settings { server.reconfigure(settings) }

            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)] + server.pollDescriptors
            let timeout = server.nextDeadline.map { max(0, $0.timeIntervalSince(Monotonic.now())) } ?? 60
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(timeout, 60) * 1000) + 1)
            if ready < 0 && errno != EINTR {
                logger.error("control.poll_failed", ["errno": errno])
                break
            }
            if fds[0].revents != 0 {
                var drained = [UInt8](repeating: 0, count: 64)
                while Glibc.read(wake.read, &drained, drained.count) > 0 {}
            }
            server.service(fds[1...]) { requests in
                // The verbs in force when the requests are answered, not when the loop
                // last woke: a reload published while it waited in poll applies to them.
                lock.lock(); lastRequest = Monotonic.now(); let verbs = self.verbs; lock.unlock()
                return verbs.handle(requests)
            }
        }
        server.stop()
    }
}
