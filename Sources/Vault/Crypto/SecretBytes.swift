import Foundation
internal import CryptoShim

/// Key material: a fixed-size buffer that is wiped with `OPENSSL_cleanse` when released,
/// compared in constant time, and never printed.
///
/// Immutable after initialisation, so it can be shared across threads.
public final class SecretBytes: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    /// The number of secret bytes.
    public let count: Int

    /// Allocates `count` zeroed bytes and lets `initializer` fill them. If it throws, the
    /// buffer is wiped and released before the error propagates.
    public init(count: Int, initializingWith initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        precondition(count >= 0, "negative secret length")
        // Never a zero-byte allocation: libcrypto treats a null key pointer as "no key".
        storage = .allocate(byteCount: Swift.max(count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        self.count = count
        try initializer(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// Copies `bytes` into a new zeroising buffer. The caller remains responsible for the
    /// source it copied from.
    public convenience init<D: ContiguousBytes>(copying bytes: D) {
        let length = bytes.withUnsafeBytes { $0.count }
        self.init(count: length) { target in bytes.withUnsafeBytes { target.copyMemory(from: $0) } }
    }

    /// `count` bytes from the CSPRNG's private stream, for keys.
    public convenience init(randomByteCount count: Int) throws {
        try self.init(count: count) { try SecureRandom.fill($0, forKey: true) }
    }

    /// Reads a whole file (at most `limit` bytes) straight into a zeroising buffer, so no
    /// unwiped copy of a key file's contents is left on the heap. `checking` sees the
    /// opened file's `stat` before a byte is read (modes, owner, size of that very file,
    /// not of whatever the path names a moment later) and may throw to refuse it.
    public convenience init(contentsOfFile path: String, limit: Int = 1 << 20,
                            checking: (stat) throws -> Void = { _ in }) throws {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw CryptoError.unreadableFile(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CryptoError.unreadableFile(path: path, errno: errno) }
        try checking(info)
        let size = Int(info.st_size)
        guard size <= limit else { throw CryptoError.unreadableFile(path: path, errno: EFBIG) }
        try self.init(count: size) { buffer in
            var done = 0
            while done < size {
                let n = retryingEINTR { read(fd, buffer.baseAddress! + done, size - done) }
                guard n > 0 else { throw CryptoError.unreadableFile(path: path, errno: n == 0 ? EIO : errno) }
                done += n
            }
        }
    }

    deinit {
        OPENSSL_cleanse(storage.baseAddress, storage.count)
        storage.deallocate()
    }

    /// Calls `body` with the secret bytes. The pointer must not escape `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }
}

extension SecretBytes: ContiguousBytes {}

extension SecretBytes: Equatable {
    /// Constant-time in the contents; lengths are not secret.
    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        constantTimeEquals(lhs, rhs)
    }
}

extension SecretBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Names the length only, so a secret never reaches a log line by interpolation.
    public var description: String { "SecretBytes(\(count) bytes)" }
    /// Names the length only.
    public var debugDescription: String { description }
    /// An empty mirror, so `dump` and debuggers' summaries show no bytes.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// Overwrites `bytes` with zeros by `OPENSSL_cleanse`, which no optimiser removes: for a
/// buffer that held a secret before it is released (a control frame carrying a root key).
public func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { wipe($0) }
}

/// The same for memory in place.
public func wipe(_ bytes: UnsafeMutableRawBufferPointer) {
    if bytes.count > 0 { OPENSSL_cleanse(bytes.baseAddress, bytes.count) }
}

/// Compares two byte strings in time that depends only on their lengths.
public func constantTimeEquals<A: ContiguousBytes, B: ContiguousBytes>(_ a: A, _ b: B) -> Bool {
    a.withUnsafeBytes { x in
        b.withUnsafeBytes { y in
            guard x.count == y.count else { return false }
            if x.count == 0 { return true }
            return CRYPTO_memcmp(x.baseAddress, y.baseAddress, x.count) == 0
        }
    }
}

/// Repeats a system call while it fails with EINTR (a signal arrived), returning its result.
func retryingEINTR<T: SignedInteger>(_ call: () throws -> T) rethrows -> T {
    while true {
        let result = try call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}
