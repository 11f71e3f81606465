import Foundation

/// A signed tree head in the C2SP tlog-checkpoint text form (`docs/vault-format.md`,
/// "Checkpoint"): a three-line body and one signed-note signature line carrying a DER
/// ECDSA P-256/SHA-256 signature over the body, which `openssl dgst -sha256 -verify` checks.
public struct Checkpoint: Equatable, Sendable {
    /// The log's name.
    public let origin: String
    /// The tree head.
    public let head: TreeHead
    /// First 4 bytes of SHA-256 of the signer's DER SubjectPublicKeyInfo.
    public let keyID: [UInt8]
    /// DER ECDSA signature over `body`.
    public let signature: [UInt8]

    /// Why a checkpoint text was refused.
    public enum Failure: Error, Equatable, Sendable {
        /// The text is not a checkpoint; names the part.
        case malformed(String)
        /// The key ID does not match the certificate given.
        case unknownKey
        /// The signature does not verify.
        case badSignature
    }

    /// `origin\nsize\nbase64(root)\n`: the signed bytes.
    public var body: String {
        "\(origin)\n\(head.size)\n\(Data(head.root).base64EncodedString())\n"
    }

    /// The whole signed note.
    public var text: String {
        body + "\n\u{2014} \(origin) \(Data(keyID + signature).base64EncodedString())\n"
    }

    /// Signs the tree head with `key`, whose certificate is `certificate`.
    static func sign(origin: String, head: TreeHead, key: PrivateKey, certificate: Certificate) throws -> Checkpoint {
        guard !origin.isEmpty, !origin.contains("\n"), !origin.contains(" ") else { throw Failure.malformed("origin") }
        let unsigned = Checkpoint(origin: origin, head: head, keyID: keyID(for: certificate), signature: [])
        return Checkpoint(origin: origin, head: head, keyID: unsigned.keyID,
                          signature: try key.signature(for: Array(unsigned.body.utf8)))
    }

    /// The key ID of `certificate`'s public key.
    public static func keyID(for certificate: Certificate) -> [UInt8] {
        Array(SHA256.hash(certificate.publicKey.derRepresentation).prefix(4))
    }

    /// Parses a checkpoint note, applying every MUST-reject rule on its syntax.
    public static func parse(_ text: String) throws -> Checkpoint {
        guard text.hasSuffix("\n"), let split = text.range(of: "\n\n") else { throw Failure.malformed("no blank line before the signature") }
        let bodyText = String(text[..<split.lowerBound]) + "\n"
        let lines = bodyText.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard lines.count == 3 else { throw Failure.malformed("body is not three lines") }
        let origin = String(lines[lines.startIndex])
        let sizeText = lines[lines.startIndex + 1]
        guard !origin.isEmpty, !origin.contains(" ") else { throw Failure.malformed("origin") }
        guard let size = Int(sizeText), size >= 0, sizeText.allSatisfy(\.isASCII),
              String(size) == sizeText else { throw Failure.malformed("tree size") }
        guard let root = Data(base64Encoded: String(lines[lines.startIndex + 2])), root.count == 32 else {
            throw Failure.malformed("root hash")
        }
        let signatureLines = text[split.upperBound...].split(separator: "\n")
        guard signatureLines.count == 1 else { throw Failure.malformed("expected one signature line") }
        let parts = signatureLines[0].split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "\u{2014}", parts[1] == origin else { throw Failure.malformed("signature line") }
        guard let blob = Data(base64Encoded: String(parts[2])), blob.count > 4 else { throw Failure.malformed("signature") }
        return Checkpoint(origin: origin, head: TreeHead(size: size, root: Array(root)),
                          keyID: Array(blob.prefix(4)), signature: Array(blob.dropFirst(4)))
    }

    /// Throws unless the key ID names `certificate`'s key and the signature verifies.
    public func verify(with certificate: Certificate) throws {
        guard keyID == Self.keyID(for: certificate) else { throw Failure.unknownKey }
        guard certificate.publicKey.isValidSignature(signature, for: Array(body.utf8)) else { throw Failure.badSignature }
    }
}
