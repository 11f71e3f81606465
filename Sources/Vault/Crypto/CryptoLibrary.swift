internal import CryptoShim
internal import CSQLite

/// Versions of the system libraries this build runs on, for `--version` output.
public enum SystemLibraries {
    /// The OpenSSL libcrypto version string, e.g. `OpenSSL 3.0.19 27 Jan 2026`.
    public static var openSSL: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }
    /// The SQLite library version, e.g. `3.40.1`.
    public static var sqlite: String { String(cString: sqlite3_libversion()) }
}
