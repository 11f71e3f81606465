internal import CryptoShim

/// The CSPRNG: OpenSSL 3's DRBG, seeded from the kernel.
public enum SecureRandom {
    /// `count` random bytes from the public stream (nonces, serial numbers, identifiers).
    public static func bytes(_ count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try fill(UnsafeMutableRawBufferPointer(buffer), forKey: false)
            initialized = count
        }
    }

    /// Fills `buffer`; `forKey` draws from the private stream that OpenSSL keeps for keys.
    static func fill(_ buffer: UnsafeMutableRawBufferPointer, forKey: Bool) throws {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        guard buffer.count <= Int(Int32.max) else { throw CryptoError.invalidLength(buffer.count) }
        OpenSSLErrors.clear()
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let result = forKey ? RAND_priv_bytes(bytes, Int32(buffer.count)) : RAND_bytes(bytes, Int32(buffer.count))
        try OpenSSLErrors.check(result, "RAND_bytes")
    }
}
