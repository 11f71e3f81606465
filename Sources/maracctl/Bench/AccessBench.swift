import Exchange
import Foundation
import Vault

/// The `access` area: `clients` concurrent principals' connections reading referrals
/// through the real daemon's socket (each read decided by the access policy and logged
/// as a disclosure before decryption) while `forms` forms are ingested; authorised reads
/// per second and their latency, beside the bare `Vault.read` rate measured in the same
/// run (one thread, a policy that allows and logs every read: the vault's own cost).
struct AccessBench {
    let clients: Int
    let forms: Int
    let readable = 200

    /// Allows every read and logs it: the vault's floor cost for a read.
    struct AllowAndLog: DocumentAccessPolicy {
        func decide(_ request: AccessRequest, for document: DocumentRecord, reading tx: VaultTransaction) -> AccessDecision {
            .allow(logEntry: Data(#"{"op":"bench-read","record":"\#(document.id)"}"#.utf8))
        }
    }

    /// What the reader threads share: their latencies and the number of reads.
    final class Tally: @unchecked Sendable {
        let lock = NSLock()
        var latencies: [Double] = []
        var failures = 0
        var stop = false
        func add(_ ms: Double) { lock.lock(); latencies.append(ms); lock.unlock() }
        func fail() { lock.lock(); failures += 1; lock.unlock() }
        var stopping: Bool { lock.lock(); defer { lock.unlock() }; return stop }
    }

    func run() throws -> BenchReport {
        var report = BenchReport(area: .access)
        let scratch = try DaemonBenchScratch(area: "access")
        defer { scratch.remove() }
        let state = scratch.state, staging = scratch.staging
        var documents: [String] = []
        do {
            let marac = try Marac(vault: try Vault.open(stateDirectory: state))
            for outcome in try marac.submit((0..<readable).map { Submission(bytes: scratch.referral("Read", $0), agency: "police") }) {
                if case let .accepted(accepted) = outcome { documents.append(accepted.document) }
            }
        }
        // The readers: the Idva's copy of each referral (rule idva-referral, a logged disclosure).
        let principals = scratch.path + "/principals.json"
        try Data(#"{"version": 1, "principals": [{"uid": \#(geteuid()), "name": "Bench Idva", "agency": "idva", "roles": ["representative"]}]}"#.utf8)
            .write(to: URL(fileURLWithPath: principals))
        let config = try scratch.writeConfig(#""principalsFile": "\#(principals)", "ingest": {"maxBatchFiles": 256}, "#
                                             + #""inbox": {"rescanIntervalSeconds": 30}, "control": {"maxConnectionsPerUID": 64}"#)
        for i in 0..<forms { try Data(scratch.referral("Ingest", i)).write(to: URL(fileURLWithPath: "\(staging)/f\(i).json")) }

        let daemon = try DaemonProcess(config: config, log: scratch.path + "/maracd.log")
        defer { daemon.stop() }
        let socket = state + "/run/maracd.sock", inbox = state + "/inbox/police", receipts = state + "/outbox/police/receipts"
        let tally = Tally()
        let documentIDs = documents
        let readers = (0..<clients).map { index in
            Thread {
                let client = ControlClient(path: socket)
                var n = index
                while !tally.stopping {
                    let started = ContinuousClock.now
                    do {
                        _ = try client.call(ControlRequest(verb: "doc.read", args: JSONObject([
                            "document": .string(documentIDs[n % documentIDs.count]), "bases": .array([]), "reason": .string(""),
                        ])))
                        tally.add((ContinuousClock.now - started).seconds * 1000)
                    } catch {
                        tally.fail()
                    }
                    n += clients
                }
            }
        }
        let start = ContinuousClock.now
        readers.forEach { $0.start() }
        for i in 0..<forms { rename("\(staging)/f\(i).json", "\(inbox)/f\(i).json") }
        let deadline = Date().addingTimeInterval(300)
        while ((try? FileManager.default.contentsOfDirectory(atPath: receipts).count) ?? 0) < forms {
            guard Date() < deadline else { throw CommandError(code: .software, message: "ingest did not finish under load") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let window = (ContinuousClock.now - start).seconds
        tally.lock.lock(); tally.stop = true; tally.lock.unlock()
        while readers.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.01) }
        let latencies = tally.latencies.sorted()
        guard !latencies.isEmpty else { throw CommandError(code: .software, message: "no read succeeded (\(tally.failures) failed)") }
        daemon.stop()

        // Baseline: the bare vault, one thread, every read allowed and logged.
        let bare = try Vault.open(stateDirectory: state, policy: AllowAndLog())
        let request = AccessRequest(actor: "bench", agency: "idva", bases: ["audit"], reason: "bench")
        let bareStart = ContinuousClock.now
        var bareReads = 0
        while (ContinuousClock.now - bareStart).seconds < 2 {
            _ = try bare.read(documents[bareReads % documents.count], as: request)
            bareReads += 1
        }
        let bareRate = Double(bareReads) / (ContinuousClock.now - bareStart).seconds
        let rate = Double(latencies.count) / window
        report.figures += [
            ("clients", Double(clients)), ("forms_ingested", Double(forms)), ("window_s", window),
            ("authorised_reads_per_s", rate), ("read_p50_ms", latencies[latencies.count / 2]),
            ("read_p99_ms", latencies[min(latencies.count - 1, latencies.count * 99 / 100)]), ("failed_reads", Double(tally.failures)),
            ("ingest_forms_per_s_under_reads", Double(forms) / window), ("bare_vault_reads_per_s", bareRate),
        ]
        report.ratios.append(("authorised_vs_bare_vault_read", rate / bareRate))
        report.notes.append("authorised: doc.read over the socket, decided by the access policy, a disclosure logged before decryption, while ingest runs")
        report.notes.append("bare: Vault.read in-process, one thread, a policy that allows and logs every read")
        return report
    }
}
