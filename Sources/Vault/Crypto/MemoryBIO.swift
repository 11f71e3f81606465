import Foundation
internal import CryptoShim

/// An owned in-memory BIO. It uses OpenSSL's secure-memory variant, which wipes its buffer
/// when freed, because what passes through it is often a key or a decrypted document.
final class MemoryBIO {
    let pointer: OpaquePointer

    /// An empty BIO to write into.
    init() throws {
        OpenSSLErrors.clear()
        pointer = try OpenSSLErrors.nonNull(BIO_new(BIO_s_secmem()), "BIO_new")
    }

    /// A BIO holding a copy of `bytes`, to read from.
    convenience init<D: ContiguousBytes>(copying bytes: D) throws {
        try self.init()
        try bytes.withUnsafeBytes { buffer in
            guard buffer.count > 0 else { return }
            guard buffer.count <= Int(Int32.max) else { throw CryptoError.invalidLength(buffer.count) }
            guard BIO_write(pointer, buffer.baseAddress, Int32(buffer.count)) == Int32(buffer.count) else {
                throw CryptoError.libraryFailure(operation: "BIO_write", openSSL: OpenSSLErrors.drain())
            }
        }
    }

    deinit { BIO_free(pointer) }

    /// Calls `body` with the bytes currently held.
    func withContents<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var data: UnsafePointer<UInt8>?
        let length = CryptoShim_BIO_get_mem_data(pointer, &data)
        return try body(UnsafeRawBufferPointer(start: data, count: Int(length)))
    }

    /// A copy of the bytes held.
    var bytes: [UInt8] { withContents { [UInt8]($0) } }

    /// A zeroising copy of the bytes held.
    var secretBytes: SecretBytes { withContents { SecretBytes(copying: $0) } }

    /// The bytes held as UTF-8 text (PEM).
    var string: String { withContents { String(decoding: $0, as: UTF8.self) } }
}

/// DER encoding and decoding through OpenSSL's `i2d_*` / `d2i_*` pairs.
enum DER {
    /// Runs an `i2d_*` function twice (length, then bytes).
    static func encode(_ operation: StaticString,
                       _ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> [UInt8] {
        OpenSSLErrors.clear()
        let length = i2d(nil)
        guard length > 0 else { throw CryptoError.libraryFailure(operation: "\(operation)", openSSL: OpenSSLErrors.drain()) }
        return try [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, initialized in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            guard i2d(&cursor) == length else {
                throw CryptoError.libraryFailure(operation: "\(operation)", openSSL: OpenSSLErrors.drain())
            }
            initialized = Int(length)
        }
    }

    /// Runs a `d2i_*` function and insists it consumed every byte: trailing data is
    /// rejected rather than ignored.
    static func decode<T>(_ bytes: UnsafeRawBufferPointer, structure: String,
                          _ d2i: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> T?,
                          free: (T) -> Void) throws -> T {
        OpenSSLErrors.clear()
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw CryptoError.decodingFailure(structure: structure, openSSL: [])
        }
        let start = base.assumingMemoryBound(to: UInt8.self)
        var cursor: UnsafePointer<UInt8>? = UnsafePointer(start)
        guard let value = d2i(&cursor, bytes.count) else {
            throw CryptoError.decodingFailure(structure: structure, openSSL: OpenSSLErrors.drain())
        }
        guard let end = cursor, end == UnsafePointer(start) + bytes.count else {
            free(value)
            throw CryptoError.decodingFailure(structure: structure + " (trailing data)", openSSL: [])
        }
        return value
    }
}

/// Whether bytes look like PEM text rather than DER.
func looksLikePEM(_ bytes: UnsafeRawBufferPointer) -> Bool {
    let marker = Array("-----BEGIN ".utf8)
    let prefix = bytes.prefix(256)
    guard prefix.count >= marker.count else { return false }
    for start in 0...(prefix.count - marker.count) where prefix[start] == marker[0] {
        if Array(prefix[start..<start + marker.count]) == marker { return true }
    }
    return false
}
