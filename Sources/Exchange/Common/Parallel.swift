import Foundation
import Vault

/// Work shared among a few threads of the daemon's own: validating a batch, removing a
/// batch's claimed files, validating one batch while another is stored. The threads it
/// starts are helpers, at a lower priority than the caller (`HelperThread`).
///
/// Not Dispatch's worker pool: libdispatch sets each worker thread's priority, which the
/// systemd unit's sandbox refuses (no `CAP_SYS_NICE`), and it then writes "Failed to set
/// thread priority" to the journal for every worker it starts
/// (`deploy/test-in-nspawn.sh` checks the journal has none).
public enum Parallel {
    /// Calls `body(i)` for every `i` in `0..<count` on up to `threads` threads (this one
    /// included), each taking the next index when it is free; returns when all are done.
    public static func forEach(_ count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let threads = min(threads, count)
        guard threads > 1 else { return (0..<count).forEach(body) }
        let next = NextIndex(below: count)
        let done = DispatchGroup()
        let work: @Sendable () -> Void = { while let i = next.take() { body(i) } }
        for _ in 1..<threads {
            done.enter()
            HelperThread.start(name: "maracd-helper") {
                work()
                done.leave()
            }
        }
        work()
        done.wait()
    }

    /// Runs `body` on a new helper thread.
    public static func start(_ body: @escaping @Sendable () -> Void) {
        HelperThread.start(name: "maracd-helper", body)
    }
}

/// The next index to work on, handed out once each.
private final class NextIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let end: Int

    init(below end: Int) { self.end = end }

    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < end else { return nil }
        next += 1
        return next - 1
    }
}
