import Foundation

/// Finishing an interrupted root rotation when the vault opens (`docs/vault-format.md`,
/// "Rotation"): the new key waits in `<path>.next` until the database has committed to it.
enum RootKeyFile {
    static func nextPath(_ path: String) -> String { path + ".next" }

    /// What `accept` makes of the root key that matches the vault: `loaded` if it does
    /// (removing a stale `.next` left by a rotation that never committed), else the
    /// `.next` key if it does (completing the rename the rotation was about to do).
    /// `accept` returns nil for a key that does not match; if neither does, `wrongRootKey`.
    static func resolve<T>(path: String, loaded: RootKey, accept: (RootKey) throws -> T?) throws -> T {
        let next = nextPath(path)
        let hasNext = FileManager.default.fileExists(atPath: next)
        if let accepted = try accept(loaded) {
            if hasNext { unlink(next) }
            return accepted
        }
        if hasNext, let candidate = try? RootKey.load(contentsOf: next), let accepted = try accept(candidate) {
            try commit(path: path)
            return accepted
        }
        throw VaultError.wrongRootKey
    }

    /// Renames `<path>.next` over `path` and flushes the directory.
    static func commit(path: String) throws {
        guard rename(nextPath(path), path) == 0 else { throw VaultError.io(path: path, errno: errno) }
        let directory = (path as NSString).deletingLastPathComponent
        try FileSecurity.syncDirectory(directory.isEmpty ? "." : directory)
    }
}
