import Foundation
internal import CSystemShim

/// Threads that do work off the critical path (validating the next batch, writing
/// receipts, removing claimed files, checkpointing the WAL) run at a lower priority than
/// the threads that store and answer readers, so on a busy machine the kernel gives the
/// CPU to the stage everything else waits for. `docs/operations.md` ("Threads").
public enum HelperThread {
    /// How far below the process's own priority a helper runs (nice values, 0 to 19).
    public static let niceIncrement: Int32 = 10

    /// Starts `body` on a new helper thread named `name` (as `ps -L` shows it: at most
    /// 15 bytes).
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        precondition(name.utf8.count <= 15, "Linux thread names hold 15 bytes")
        Thread {
            _ = csystem_set_thread_name(name)
            lowerPriority()
            body()
        }.start()
    }

    /// Lowers the calling thread (only) to the main thread's nice value plus
    /// `niceIncrement`. On Linux a nice value belongs to a thread, and `who` 0 names the
    /// caller. Lowering needs no privilege; if the sandbox refuses the call (a seccomp
    /// filter without `setpriority`), the thread keeps its priority and works the same.
    public static func lowerPriority() {
        errno = 0
        let main = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(getpid()))
        guard errno == 0 else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, min(19, main + niceIncrement))
    }
}
