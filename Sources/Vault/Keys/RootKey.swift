import Foundation

/// The vault's root key: 32 bytes in a file that is never in the database. Every key the
/// vault stores is wrapped, directly or indirectly, under keys derived from it.
public final class RootKey: Sendable {
    /// A root key's length in bytes.
    public static let byteCount = 32
    /// The file name systemd's `LoadCredentialEncrypted=master.key` provides.
    public static let credentialName = "master.key"

    let secret: SecretBytes

    init(secret: SecretBytes) {
        precondition(secret.count == Self.byteCount)
        self.secret = secret
    }

    /// The key `bytes` hold (exactly 32: as a key file holds it).
    public convenience init(bytes: SecretBytes) throws {
        guard bytes.count == Self.byteCount else { throw CryptoError.invalidLength(bytes.count) }
        self.init(secret: bytes)
    }

    /// The key's bytes, to hand to the daemon that will rotate to it (never logged).
    public var bytes: SecretBytes { secret }

    /// A fresh key from the CSPRNG.
    public static func generate() throws -> RootKey {
        RootKey(secret: try SecretBytes(randomByteCount: byteCount))
    }

    /// The key file to use: `explicit` if given, else `$CREDENTIALS_DIRECTORY/master.key`
    /// when systemd provides credentials, else `<stateDirectory>/master.key`.
    public static func defaultPath(explicit: String?, stateDirectory: String,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit { return explicit }
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty {
            return credentials + "/" + credentialName
        }
        return stateDirectory + "/" + credentialName
    }

    /// Loads the key at `path`, refusing a file that is not a regular file owned by us,
    /// that grants any access to group or others, or that is not exactly 32 bytes.
    public static func load(contentsOf path: String) throws -> RootKey {
        do {
            return RootKey(secret: try SecretBytes(contentsOfFile: path, limit: byteCount) { info in
                guard info.st_mode & S_IFMT == S_IFREG else { throw VaultError.notRegularFile(path: path) }
                guard info.st_uid == geteuid() else { throw VaultError.keyFileWrongOwner(path: path, owner: info.st_uid) }
                guard info.st_mode & 0o077 == 0 else { throw VaultError.keyFileTooPermissive(path: path, mode: info.st_mode) }
                guard Int(info.st_size) == byteCount else { throw VaultError.keyFileWrongSize(path: path, size: Int(info.st_size)) }
            })
        } catch CryptoError.unreadableFile(_, let code) {
            throw VaultError.keyFileUnreadable(path: path, errno: code)
        }
    }

    /// Writes the key to a new file at `path` (mode 0600, which must not exist), then
    /// flushes the file and its directory.
    public func write(to path: String) throws {
        try secret.withUnsafeBytes { try FileSecurity.writeNew(path, mode: 0o600, $0) }
    }
}
