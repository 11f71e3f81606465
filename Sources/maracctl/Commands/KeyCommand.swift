import Exchange
import Foundation
import Glibc
import Vault

/// `maracctl key status | rotate | resume | acknowledge-restore`. Through the running daemon (a key custodian's
/// verbs: ingest goes on meanwhile) when it is reachable; otherwise on the vault directly,
/// holding the daemon lock, and refused (75) while a daemon holds the vault.
struct KeyCommand {
    let verb: String
    let options: Options
    /// `--root NEWKEYFILE`: where the new root key is written for an online rotation.
    let newRootFile: String?

    init(arguments: [String]) throws {
        guard let verb = arguments.first, ["status", "rotate", "resume", "acknowledge-restore"].contains(verb) else {
            throw CommandError.usage("key takes status, rotate, resume or acknowledge-restore")
        }
        self.verb = verb
        var rest = Array(arguments.dropFirst())
        // `--root` alone rotates offline; `--root FILE` names the new key file (online).
        if let at = rest.firstIndex(of: "--root"), at + 1 < rest.count, !rest[at + 1].hasPrefix("--") {
            newRootFile = rest[at + 1]
            rest.remove(at: at + 1)
        } else {
            newRootFile = nil
        }
        options = try Options(rest, valued: ["--state", "--key", "--agency", "--batch", "--pause-ms", "--name", "--socket", "--reason"],
                              switches: ["--root", "--signing", "--json", "--wait"])
    }

    func run() throws {
        if let daemon = try reachableDaemon() { return try online(daemon) }
        if verb == "acknowledge-restore" {
            throw CommandError(code: .unavailable, message: "a restore is acknowledged to the running daemon, which holds after one; it is not running")
        }
        if newRootFile != nil || options.has("--wait") {
            throw CommandError(code: .unavailable, message: "--root FILE and --wait are the running daemon's; it is not running (rotate offline with --root alone)")
        }
        let vault = try openVault(options)
        try holdDaemonLock(vault, what: "keys are managed")
        do {
            switch verb {
            case "status": try printStatus(try Self.statusJSON(vault))
            case "resume":
                let done = try vault.resumeRotations(batchSize: try options.integer("--batch", default: 2_000, range: 1...100_000),
                                                     pause: Double(try options.integer("--pause-ms", default: 0, range: 0...60_000)) / 1000,
                                                     recording: LogEntry.keyEvents(by: .localOperator))
                print(done.isEmpty ? "no rotation was pending" : "completed rotation for \(done.joined(separator: ", "))")
            default: try rotateOffline(vault)
            }
        } catch let error as VaultError {
            throw CommandError(error)
        }
    }

    /// The daemon, if it runs for `--state` (or at `--socket`).
    private func reachableDaemon() throws -> ControlClient? {
        let client = ControlClient(options: options)
        if options["--socket"] != nil || options["--state"] == nil { return client }
        return try client.reachable() ? client : nil
    }

    // MARK: - Through the daemon

    private func online(_ daemon: ControlClient) throws {
        switch verb {
        case "status": try printStatus(try daemon.call(ControlRequest(verb: "key.status")))
        case "resume": throw CommandError.usage("the running daemon resumes rotations itself: see maracctl key status")
        case "acknowledge-restore":
            guard let reason = options["--reason"], !reason.isEmpty else {
                throw CommandError.usage("key acknowledge-restore needs --reason TEXT (which backup, why; it goes in the log)")
            }
            let result = try daemon.call(ControlRequest(verb: "key.acknowledge-restore", args: JSONObject(["reason": .string(reason)])))
            print("restore acknowledged in log entry \(result["entry"]?.integer ?? 0): the log was rolled back to "
                  + "\(result["restoredSize"]?.integer ?? 0) entries; the lost history reached \(result["lostUpTo"]?.integer ?? 0) "
                  + "(\(result["lostCheckpoints"]?.integer ?? 0) published checkpoint(s)); signed checkpoint at \(result["checkpointSize"]?.integer ?? 0)")
            print("the daemon takes forms again; ask agencies to resend what their receipts name after the backup (docs/audit.md, \"A restore\")")
        default:
            var args = JSONObject()
            let targets = [options["--agency"] != nil, newRootFile != nil || options.has("--root"), options.has("--signing")].filter { $0 }.count
            guard targets == 1 else { throw CommandError.usage("key rotate takes exactly one of --agency ID, --root NEWKEYFILE, --signing") }
            if let agency = options["--agency"] {
                args.set("agency", .string(agency))
            } else if options.has("--root") || newRootFile != nil {
                guard let file = newRootFile else {
                    throw CommandError.usage("with the daemon running, --root takes the file to write the new root key to (NEWKEYFILE)")
                }
                args.set("root", .string(try Self.newRootKey(at: file)))
            } else {
                args.set("signing", true)
                if let name = options["--name"] { args.set("name", .string(name)) }
            }
            let result = try daemon.call(ControlRequest(verb: "key.rotate", args: args))
            if let agency = result["agency"]?.string {
                print("agency \(agency): key version \(result["version"]?.integer ?? 0) active; rewrapping \(result["dataKeysToRewrap"]?.integer ?? 0) data keys while the daemon runs")
                if options.has("--wait") { try wait(for: agency, total: result["dataKeysToRewrap"]?.integer ?? 0, daemon) } else { print("follow it with: maracctl key status (or rotate with --wait)") }
            } else if result["root"] != nil {
                print("root key rotated; the new key is in \(newRootFile ?? "?") (escrow it; replace every offline copy)")
                if result["keyFile"]?.string == "not-written" {
                    printError("maracctl: the daemon's key file \(result["keyPath"]?.string ?? "") is read-only: install \(newRootFile ?? "the new key") "
                               + "as its credential before it next starts (systemd-creds encrypt, deploy/README.md); the old key no longer opens the vault")
                }
            } else {
                print("signing key rotated; new certificate SHA-256: \(result["fingerprintSHA256"]?.string ?? "?"), until \(result["notAfter"]?.string ?? "?")")
            }
        }
    }

    /// A new root key written to `path` (a new file, 0600, outside any state directory),
    /// returned base64 for the daemon.
    private static func newRootKey(at path: String) throws -> String {
        let key = try RootKey.generate()
        do { try key.write(to: path) } catch let error as VaultError {
            throw CommandError(code: .unavailable, message: "cannot write the new root key to \(path): \(error)")
        }
        return key.bytes.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// Polls the daemon until `agency`'s rewrap is done, with a progress bar on a terminal.
    private func wait(for agency: String, total: Int, _ daemon: ControlClient) throws {
        let terminal = isatty(STDERR_FILENO) == 1
        let started = Date()
        var total = total
        while true {
            let status = try daemon.call(ControlRequest(verb: "key.status"))
            guard let row = status["agencies"]?.array?.first(where: { $0["agency"]?.string == agency }) else { return }
            let left = row["dataKeysToRewrap"]?.integer ?? 0
            total = max(total, left)
            if terminal {
                let done = total - left, width = 30
                let filled = total == 0 ? width : width * done / total
                printError("\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total) data keys rewrapped", newline: false)
            }
            if row["rewrapPending"]?.bool != true {
                if terminal { printError("") }
                print("agency \(agency): rewrap done in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; "
                      + "older key versions destroyed; active version \(row["activeVersion"]?.integer ?? 0)")
                return
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    // MARK: - On the vault

    private func rotateOffline(_ vault: Vault) throws {
        let targets = [options["--agency"] != nil, options.has("--root"), options.has("--signing")].filter { $0 }.count
        guard targets == 1 else { throw CommandError.usage("key rotate takes exactly one of --agency ID, --root, --signing") }
        if let agency = options["--agency"] {
            let batch = try options.integer("--batch", default: 2_000, range: 1...100_000)
            let pause = Double(try options.integer("--pause-ms", default: 0, range: 0...60_000)) / 1000
            let version = try vault.rotateAgencyKey(agency, recording: LogEntry.keyEvents(by: .localOperator))
            print("agency \(agency): key version \(version) active; rewrapping")
            let progress = try vault.rewrap(agency: agency, batchSize: batch, pause: pause, recording: LogEntry.keyEvents(by: .localOperator))
            print("agency \(agency): \(progress.rewrapped) data keys rewrapped; older versions destroyed")
        } else if options.has("--root") {
            try vault.rotateRootKey(recording: LogEntry.keyEvents(by: .localOperator))
            print("root key rotated; new key in \(vault.rootKeyPath) (replace every offline copy)")  // the path, not the key
        } else {
            let certificate = try vault.rotateSigningKey(name: options["--name"] ?? "maracd", recording: LogEntry.keyEvents(by: .localOperator))
            print("signing key rotated; new certificate SHA-256: \(certificate.fingerprintText)")
        }
    }

    /// The status as `key.status` answers it, read from the vault.
    static func statusJSON(_ vault: Vault) throws -> JSONValue {
        .object(JSONObject(["agencies": .array(try vault.keyStatus().map(\.json))]))
    }

    private func printStatus(_ status: JSONValue) throws {
        output(status, json: options.has("--json")) { status in
            print("AGENCY            ACTIVE  MIN-DECRYPT  DATA KEYS BY VERSION   REWRAP")
            for row in status["agencies"]?.array ?? [] {
                let counts = (row["dataKeysByVersion"]?.object?.members ?? []).map { "v\($0.key):\($0.value.integer ?? 0)" }.joined(separator: " ")
                let pending = row["rewrapPending"]?.bool == true ? "pending (\(row["dataKeysToRewrap"]?.integer ?? 0) left)" : "done"
                print((row["agency"]?.string ?? "?").padding(toLength: 18, withPad: " ", startingAt: 0)
                      + String(row["activeVersion"]?.integer ?? 0).padding(toLength: 8, withPad: " ", startingAt: 0)
                      + String(row["minimumDecryptionVersion"]?.integer ?? 0).padding(toLength: 13, withPad: " ", startingAt: 0)
                      + (counts.isEmpty ? "-" : counts).padding(toLength: 23, withPad: " ", startingAt: 0) + pending)
            }
            if let signing = status["signing"] {
                print("signing certificate SHA-256 \(signing["fingerprintSHA256"]?.string ?? "?"), until \(signing["notAfter"]?.string ?? "?") "
                      + "(\(signing["daysLeft"]?.integer ?? 0) days)")
            }
        }
    }
}
