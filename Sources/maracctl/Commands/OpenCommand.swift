import Exchange
import Foundation
import Vault

/// `maracctl open PACK --key KEY --cert CERT [--signer CERT] [--agency ID] [--json]`:
/// opens an agenda or meeting pack offline, as an agency's representative would
/// (`docs/packs.md`, "Opening a pack"). Every MUST-reject rule is checked before a byte of
/// the content is printed; nothing is written to a file, and on any failure nothing
/// reaches standard output.
struct OpenCommand {
    let arguments: [String]

    /// The pack types this build knows.
    static let types: Set<String> = ["agenda", "meeting-pack", "minutes", "overdue-actions"]

    func run() throws {
        guard let path = arguments.first, !path.hasPrefix("--") else { throw CommandError.usage("open needs a pack file") }
        let options = try Options(Array(arguments.dropFirst()), valued: ["--key", "--cert", "--signer", "--agency"], switches: ["--json"])
        let message = try readInput(path, limit: 64 << 20)
        let key: PrivateKey, certificate: Certificate
        do {
            key = try PrivateKey(contentsOfFile: try options.required("--key"))
            certificate = try Certificate(contentsOfFile: try options.required("--cert"))
        } catch let error as CommandError { throw error } catch {
            throw CommandError(code: .dataError, message: "the key or certificate could not be read: \(error)")
        }
        guard let agency = options["--agency"] ?? Self.outboxAgency(of: path) else {
            throw CommandError.usage("the pack is not in an agency outbox: name the agency it is for with --agency")
        }
        let trusted = try SignerTrust.certificates(pinned: options["--signer"], near: path)

        // 1-2: AuthEnvelopedData to this certificate, the tag verified, into wiped memory.
        let signed: SecretBytes
        do { signed = try CMS.decrypt(message, key: key, certificate: certificate) } catch let error as CryptoError {
            throw CommandError(code: .dataError, message: "\(path): not opened (\(error)); nothing was written")
        }
        // 3: SignedData by a signing certificate trusted here.
        let verified: CMS.VerifiedContent
        do { verified = try signed.withUnsafeBytes { try CMS.verify($0, trusting: trusted) } } catch let error as CryptoError {
            throw CommandError(code: .dataError, message: "\(path): the signature does not verify against \(SignerTrust.describe(options["--signer"])) (\(error)); nothing was written")
        }
        // 4: content this build knows, addressed to this agency.
        let content = try Self.content(verified.content, path: path, agency: agency)
        // 5: only now, to standard output.
        output(content, json: options.has("--json")) { Self.printTable($0, signer: verified.signer) }
    }

    /// The pack's content, parsed and checked: JSON, `v` 1, a known `type`, `recipient` the agency.
    static func content(_ bytes: [UInt8], path: String, agency: String) throws -> JSONValue {
        guard let value = try? JSONParser().parse(bytes).value, value.object != nil else {
            throw CommandError(code: .dataError, message: "\(path): the content is not a JSON object; nothing was written")
        }
        guard value["v"]?.integer == 1 else { throw CommandError(code: .dataError, message: "\(path): content version is not 1; nothing was written") }
        guard let type = value["type"]?.string, types.contains(type) else {
            throw CommandError(code: .dataError, message: "\(path): not a pack type this maracctl knows; nothing was written")
        }
        guard value["recipient"]?.string == agency else {
            throw CommandError(code: .dataError, message: "\(path): the pack is addressed to another agency than \(agency); nothing was written")
        }
        return value
    }

    /// The agency whose outbox holds `path` (`.../outbox/<agency>/agenda|meeting|minutes|notices/<file>`).
    static func outboxAgency(of path: String) -> String? {
        let parts = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        guard parts.count >= 4, ["agenda", "meeting", "minutes", "notices"].contains(parts[parts.count - 2]), parts[parts.count - 4] == "outbox" else { return nil }
        return parts[parts.count - 3]
    }

    // MARK: - Printing

    /// The pack on standard output, the one place its personal data goes: it is the
    /// disclosure the recipient opened the pack for (as `doc read` writes the form there).
    /// Nothing of it reaches standard error, a file or a message: every refusal above names
    /// the file and the check, never a value.
    static func printTable(_ pack: JSONValue, signer: Certificate) {
        let header = "\(pack["type"]?.string ?? "?") \(pack["meeting"]?.string ?? "?") for \(pack["recipient"]?.string ?? "?"), issued "
            + "\(pack["issuedAt"]?.string ?? "?"), signed by \(signer.subject)"
        if pack["type"]?.string == "agenda" {
            print(header + ", version \(pack["version"]?.integer ?? 0), meeting on \(pack["date"]?.string ?? "?")")
            print(["CASE", "REFERRER", "REPEAT", "CRITERIA", "VICTIM", "DOB", "PERPETRATORS", "CHILDREN"].joined(separator: "\t"))
            for entry in pack["cases"]?.array ?? [] {
                func names(_ key: String) -> String {
                    (entry[key]?.array ?? []).map { "\($0["name"]?.string ?? "?")\($0["dob"]?.string.map { " (\($0))" } ?? "")" }.joined(separator: "; ")
                }
                print([entry["case"]?.string ?? "?", entry["referringAgency"]?.string ?? "?", entry["repeat"]?.bool == true ? "yes" : "no",
                       (entry["criteria"]?.array ?? []).compactMap(\.string).joined(separator: ","), entry["victim"]?["name"]?.string ?? "?",
                       entry["victim"]?["dob"]?.string ?? "-", names("perpetrators"), names("children")].joined(separator: "\t"))
                if let last = entry["lastMarac"]?.string {
                    print("  last Marac \(last)" + (entry["twelveMonthsSinceLastMarac"]?.bool == true ? ": more than 12 months ago" : ""))
                }
                for action in entry["openActions"]?.array ?? [] {
                    print("  still open from \(action["meeting"]?.string ?? "?"): \(action["id"]?.string ?? "?") owner \(action["owner"]?.string ?? "?") "
                          + "due \(action["due"]?.string ?? "?") \(action["status"]?.string ?? "?")")
                }
            }
        } else if pack["type"]?.string == "minutes" {
            printMinutes(pack, header: header)
        } else if pack["type"]?.string == "overdue-actions" {
            print(header + ", overdue on \(pack["date"]?.string ?? "?")")
            print(["ACTION", "CASE", "MEETING", "DUE", "STATUS"].joined(separator: "\t"))
            for action in pack["actions"]?.array ?? [] {
                print(["id", "case", "meeting", "due", "status"].map { action[$0]?.string ?? "?" }.joined(separator: "\t"))
            }
        } else {
            print(header)
            print(["DOCUMENT", "CASE", "AGENCY", "KIND"].joined(separator: "\t"))
            for document in pack["documents"]?.array ?? [] {
                print(["document", "case", "agency", "kind"].map { document[$0]?.string ?? "?" }.joined(separator: "\t"))
            }
            print("(the forms themselves: --json)")
        }
    }
}

extension OpenCommand {
    /// The minutes as a person reads them: the header, then each case's plan and actions.
    /// Like `printTable`, this is the disclosure the recipient opened the pack for: names
    /// and texts go to standard output only, after the tag, the signature and the
    /// recipient have all checked; none reaches standard error, a file or a message.
    static func printMinutes(_ pack: JSONValue, header: String) {
        print(header + ", version \(pack["version"]?.integer ?? 0), meeting on \(pack["date"]?.string ?? "?") of \(pack["marac"]?.string ?? "?")")
        if let chair = pack["chair"] { print("Chair: \(chair["person"]?.string ?? "?") (\(chair["agency"]?.string ?? "?"))") }
        print("Attended: " + (pack["attendees"]?.array ?? []).map { "\($0["person"]?.string ?? "?") (\($0["agency"]?.string ?? "?"))" }.joined(separator: "; "))
        print("Observers: " + (pack["observers"]?.array ?? []).map {
            "\($0["person"]?.string ?? "?") (\($0["agency"]?.string ?? "?"), \($0["declared"]?.bool == true ? "declared" : "no declaration"))"
        }.joined(separator: "; "))
        print("Apologies: " + (pack["apologies"]?.array ?? []).map {
            "\($0["agency"]?.string ?? "?") (\($0["researchSent"]?.bool == true ? "research sent" : "no research"))"
        }.joined(separator: "; "))
        print(pack["copying"]?.string ?? "")
        for entry in pack["cases"]?.array ?? [] {
            print("\nCase \(entry["case"]?.string ?? "?")")
            for (area, text) in (entry["risks"]?.object).map({ risks in risks.keys.map { ($0, risks[$0]?.string ?? "") } }) ?? [] {
                print("  risk to \(area): \(text)")
            }
            if let idva = entry["idva"] {
                print("  Idva: " + (idva["safeAsPossible"]?.bool == true ? "the plan is as safe as possible" : "not as safe as possible: \(idva["why"]?.string ?? "")"))
            }
            if let links = entry["links"]?.array { print("  links: " + (links.isEmpty ? "none" : links.compactMap(\.string).joined(separator: ", "))) }
            print(["  ACTION", "OWNER", "DUE", "RISK", "STATUS", "TEXT"].joined(separator: "\t"))
            for action in entry["actions"]?.array ?? [] {
                print((["  " + (action["id"]?.string ?? "?")] + ["owner", "due", "risk", "status", "text"].map { action[$0]?.string ?? "?" }).joined(separator: "\t"))
            }
            for action in entry["openActionsFromEarlierMeetings"]?.array ?? [] {
                print("  still open from \(action["meeting"]?.string ?? "?"): \(action["id"]?.string ?? "?") owner \(action["owner"]?.string ?? "?") "
                      + "due \(action["due"]?.string ?? "?") \(action["status"]?.string ?? "?")")
            }
        }
    }
}

/// The certificates a pack's or an export's signature must chain to: the pinned file
/// (`--signer`/`--cert`), else the `signing-certificates.pem` the daemon publishes in the
/// agency's outbox, looked for beside the file and one directory up.
enum SignerTrust {
    static func certificates(pinned: String?, near path: String, option: String = "--signer") throws -> [Certificate] {
        if let pinned {
            let bytes = try readInput(pinned, limit: 1 << 20)
            do {
                return bytes.starts(with: Array("-----".utf8)) ? try Certificate.all(pemBundle: bytes) : [try Certificate(derRepresentation: bytes)]
            } catch {
                throw CommandError(code: .dataError, message: "\(pinned): \(error)")
            }
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let file = candidate.appendingPathComponent("signing-certificates.pem").path
            guard FileManager.default.fileExists(atPath: file) else { continue }
            do { return try Certificate.all(pemBundle: try readInput(file, limit: 1 << 20)) } catch let error as CryptoError {
                throw CommandError(code: .dataError, message: "\(file): \(error)")
            }
        }
        throw CommandError.usage("no signing-certificates.pem beside \(path): give the daemon's signing certificate with \(option)")
    }

    static func describe(_ pinned: String?) -> String { pinned.map { "the certificate in \($0)" } ?? "the published signing certificates" }
}

/// The bytes of file `path`, at most `limit` (66 if it cannot be read, 65 if larger).
func readInput(_ path: String, limit: Int) throws -> [UInt8] {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw CommandError(code: .noInput, message: "\(path): cannot be read") }
    defer { try? handle.close() }
    // A directory opens, and fails to read (EISDIR): it cannot be read either.
    guard let data = try? handle.read(upToCount: limit + 1) ?? Data() else {
        throw CommandError(code: .noInput, message: "\(path): cannot be read")
    }
    guard data.count <= limit else { throw CommandError(code: .dataError, message: "\(path): larger than \(limit) bytes") }
    return [UInt8](data)
}

/// The bytes of file `path`, or of standard input for `-`, at most `limit` (65 if larger):
/// what a person gives in a file rather than on the command line.
func readInputOrStandardInput(_ path: String, limit: Int) throws -> [UInt8] {
    guard path == "-" else { return try readInput(path, limit: limit) }
    let data = (try? FileHandle.standardInput.read(upToCount: limit + 1)) ?? Data()
    guard data.count <= limit else { throw CommandError(code: .dataError, message: "standard input: larger than \(limit) bytes") }
    return [UInt8](data)
}
