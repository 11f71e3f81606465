import Foundation

/// Why a vault operation failed. Cases name paths, modes, ids, agencies and versions,
/// never a key, a payload or a person.
public enum VaultError: Error, Equatable, Sendable {
    // MARK: State directory and files
    /// The state directory or a database file does not exist.
    case missing(path: String)
    /// A path grants permissions to group or others (`mode & 0o077 != 0`).
    case insecurePermissions(path: String, mode: UInt32)
    /// A path is owned by another user than the one running the vault.
    case wrongOwner(path: String, owner: UInt32)
    /// A path is not the kind of file expected (a directory for the state, a regular file otherwise).
    case notRegularFile(path: String)
    /// `init` found a vault already there.
    case alreadyInitialised(path: String)
    /// A file system call failed.
    case io(path: String, errno: Int32)

    // MARK: Root key
    /// The root key file is readable, writable or executable by group or others.
    case keyFileTooPermissive(path: String, mode: UInt32)
    /// The root key file is not exactly 32 bytes.
    case keyFileWrongSize(path: String, size: Int)
    /// The root key file is owned by another user.
    case keyFileWrongOwner(path: String, owner: UInt32)
    /// The root key file cannot be opened or read.
    case keyFileUnreadable(path: String, errno: Int32)
    /// The root key does not match this vault's key-check value.
    case wrongRootKey
    /// The database's format version is not one this build reads.
    case unsupportedFormat(Int)

    // MARK: Documents
    /// No document has this id.
    case notFound(String)
    /// The document was crypto-shredded.
    case erased(String)
    /// Stored data failed its integrity check; `subject` is a document id or an agency.
    case tampered(subject: String, part: TamperedPart)
    /// The KEK version needed was destroyed by a completed rotation.
    case keyDestroyed(agency: String, version: Int)
    /// The access policy refused the read (the refusal was logged).
    case accessDenied(document: String, reason: String)
    /// An agency id, kind or metadata key is malformed; `field` names it.
    case invalidLabel(field: String)
    /// A person identity cannot be indexed (empty name or a bad date of birth).
    case invalidIdentity(String)
    /// A rotation cannot start (no key yet for the agency, or another still running).
    case rotationRefused(String)
    /// No signing identity can sign (the vault has none active).
    case noSigningKey
    /// Another process holds the state directory (a running daemon); says which.
    case busy(String)
    /// A transaction changed an authenticated fact (`table/key`) that no log entry in it
    /// records: a programming error, rolled back (`docs/vault-format.md`, "Authenticated facts").
    case unloggedFact(String)
}

/// Which stored element failed its check.
public enum TamperedPart: String, Sendable {
    /// The payload's nonce, ciphertext or tag, or its AAD labels.
    case payload
    /// The wrapped DEK or its labels.
    case dataKey = "data key"
    /// An agency KEK row.
    case agencyKey = "agency key"
    /// A vault secret or signing key row.
    case vaultKey = "vault key"
    /// A row the document needs is missing.
    case missingRow = "missing row"
    /// A Merkle log entry or node.
    case log
    /// A document's links outside its AAD (time, case metadata, subject tokens) differ
    /// from what its binding MAC covers: re-pointed by someone writing the database.
    case links
    /// An authenticated application fact (a registry, meeting or pack row, ...), or the
    /// digest of them all, differs from what the vault wrote: inserted, changed, deleted
    /// or put back as it was by someone writing the database.
    case fact
}

extension VaultError: CustomStringConvertible {
    /// One line for an operator; no secret or personal data.
    public var description: String {
        func octal(_ m: UInt32) -> String { "0" + String(m & 0o7777, radix: 8) }
        switch self {
        case let .missing(path): return "\(path) does not exist"
        case let .insecurePermissions(path, mode): return "\(path) has mode \(octal(mode)); group and others must have no access (chmod go= \(path))"
        case let .wrongOwner(path, owner): return "\(path) is owned by uid \(owner), not by uid \(geteuid())"
        case let .notRegularFile(path): return "\(path) is not the expected kind of file"
        case let .alreadyInitialised(path): return "a vault already exists at \(path)"
        case let .io(path, code): return "\(path): \(String(cString: strerror(code)))"
        case let .keyFileTooPermissive(path, mode): return "root key file \(path) has mode \(octal(mode)); it must be 0400 or 0600"
        case let .keyFileWrongSize(path, size): return "root key file \(path) is \(size) bytes; a root key is exactly 32 bytes"
        case let .keyFileWrongOwner(path, owner): return "root key file \(path) is owned by uid \(owner), not by uid \(geteuid())"
        case let .keyFileUnreadable(path, code): return "cannot read root key file \(path): \(String(cString: strerror(code)))"
        case .wrongRootKey: return "the root key does not match this vault (key-check value differs)"
        case let .unsupportedFormat(v): return "vault format version \(v) is not supported by this build"
        case let .notFound(id): return "no document \(id)"
        case let .erased(id): return "document \(id) was erased"
        case let .tampered(subject, part): return "integrity check failed for \(subject): \(part.rawValue)"
        case let .keyDestroyed(agency, version): return "key version \(version) of agency \(agency) was destroyed"
        case let .accessDenied(document, reason): return "access to \(document) refused: \(reason)"
        case let .invalidLabel(field): return "\(field) must match [a-z0-9-]{1,64}"
        case let .invalidIdentity(why): return "cannot index identity: \(why)"
        case let .rotationRefused(why): return "rotation refused: \(why)"
        case .noSigningKey: return "the vault has no active signing key"
        case let .busy(why): return why
        case let .unloggedFact(fact): return "fact \(fact) changed without a log entry recording it"
        }
    }
}
