import Glibc

/// A failed system call: which, and the errno it returned.
struct SystemError: Error, CustomStringConvertible {
    /// The call, e.g. `openat`.
    let call: String
    /// The errno value.
    let errno: Int32

    var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// Runs `body`, retrying while it fails with EINTR; a -1 result becomes a `SystemError`.
@discardableResult
func syscall<T: SignedInteger>(_ call: String, _ body: () -> T) throws -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        if errno == EINTR { continue }
        throw SystemError(call: call, errno: errno)
    }
}
