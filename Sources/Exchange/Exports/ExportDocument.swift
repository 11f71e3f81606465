import Foundation
import Vault

/// The content of a signed export (`docs/packs.md`, "Signed export"): canonical JSON with a
/// manifest (name, size, SHA-256 of each file) and the files themselves, base64. Made by
/// the daemon, checked by `maracctl verify`: one definition of both sides.
public enum ExportDocument {
    /// The export types this build makes and checks.
    public static let types: Set<String> = ["export-case", "export-audit", "export-subject"]

    /// A file of an export: its path inside the export and its bytes.
    public struct File: Sendable, Equatable {
        /// `documents/doc_….json`, `log/entries.jsonl`, ...
        public let name: String
        /// Its bytes.
        public let bytes: [UInt8]

        /// A file.
        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// Why an export's content is refused.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// What is wrong, naming a file of the export at most.
        public let reason: String
        /// A failure for `reason`.
        public init(reason: String) { self.reason = reason }
        /// The reason.
        public var description: String { reason }
    }

    /// The content: `fields` (type, who, why...) beside `manifest` and `files`.
    public static func content(_ fields: JSONObject, files: [File]) -> [UInt8] {
        var object = fields
        object.set("v", 1)
        object.set("manifest", .array(files.map { file in
            .object(JSONObject(["name": .string(file.name), "size": .number(Double(file.bytes.count)),
                                "sha256": .string(Hex.encode(SHA256.hash(file.bytes)))]))
        }))
        var contents = JSONObject()
        for file in files { contents.set(file.name, .string(Data(file.bytes).base64EncodedString())) }
        object.set("files", .object(contents))
        return JSONValue.object(object).canonicalBytes
    }

    /// Checks verified export content: JSON, `v` 1, a known type, a manifest of unique
    /// names each with its file, whose size and SHA-256 match, and no file the manifest
    /// does not name. Returns the parsed content and the files, in manifest order.
    public static func check(_ bytes: [UInt8]) throws(Failure) -> (content: JSONValue, files: [File]) {
        guard let content = try? JSONParser().parse(bytes).value, content.object != nil else { throw Failure(reason: "the content is not a JSON object") }
        guard content["v"]?.integer == 1 else { throw Failure(reason: "content version is not 1") }
        guard let type = content["type"]?.string, types.contains(type) else { throw Failure(reason: "not an export type this build knows") }
        guard let manifest = content["manifest"]?.array, let contents = content["files"]?.object else {
            throw Failure(reason: "no manifest or no files")
        }
        var files: [File] = []
        var names = Set<String>()
        for entry in manifest {
            guard let name = entry["name"]?.string, let size = entry["size"]?.integer, let digest = entry["sha256"]?.string else {
                throw Failure(reason: "a manifest entry lacks its name, size or sha256")
            }
            guard names.insert(name).inserted else { throw Failure(reason: "\(name) is in the manifest twice") }
            guard let encoded = contents[name]?.string, let data = Data(base64Encoded: encoded) else {
                throw Failure(reason: "\(name) is in the manifest but not in the export")
            }
            let bytes = [UInt8](data)
            guard bytes.count == size else { throw Failure(reason: "\(name) is \(bytes.count) bytes; the manifest says \(size)") }
            guard Hex.encode(SHA256.hash(bytes)) == digest else { throw Failure(reason: "\(name) does not match its SHA-256 in the manifest") }
            files.append(File(name: name, bytes: bytes))
        }
        if let extra = contents.keys.first(where: { !names.contains($0) }) {
            throw Failure(reason: "\(extra) is in the export but not in the manifest")
        }
        return (content, files)
    }
}
