import Foundation

/// Finishing an interrupted root rotation when the vault opens (`docs/vault-format.md`,
/// "Rotation"): the new key waits in `<path>.next` until the database has committed to it.
enum RootKeyFile {
    static func nextPath(_ path: String) -> String { path + ".next" }

    /// The root key that matches the vault: `loaded` if it does (removing a stale
    /// `.next` left by a rotation that never committed), else the `.next` key if it does
    /// (completing the rename the rotation was about to do). Otherwise `wrongRootKey`.
    static func resolve(path: String, loaded: RootKey, matches: (RootKey) throws -> Bool) throws -> RootKey {
        let next = nextPath(path)
        let hasNext = FileManager.default.fileExists(atPath: next)
        if try matches(loaded) {
            if hasNext { unlink(next) }
            return loaded
        }
        if hasNext, let candidate = try? RootKey.load(contentsOf: next), try matches(candidate) {
            try commit(path: path)
            return candidate
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
