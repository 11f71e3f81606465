import Exchange
import Foundation
import Vault

/// `maracctl bench vault`: put against a raw seal-and-insert loop, rewrap rate, log append
/// rate and the time to verify a 1,000,000-entry log from scratch.
struct VaultBench {
    /// Documents for the rewrap figure: 100,000, or 1,000,000 with `--full`.
    let rewrapDocuments: Int

    func run() throws -> BenchReport {
        var report = BenchReport(area: .vault)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try? FileManager.default.removeItem(atPath: scratch)
        mkdir(scratch, 0o700)

        // put vs raw: 20,000 payloads of 2 KiB, 100 per transaction, both ways.
        let payloads = try (0..<20_000).map { _ in try SecretBytes(randomByteCount: 2_048) }
        let raw = try RawBaseline.sealAndInsert(payloads, batchSize: 100, directory: scratch)
        let vault = try Vault.create(stateDirectory: scratch + "/put", signingName: "bench")
        let putStart = ContinuousClock.now
        for batch in stride(from: 0, to: payloads.count, by: 100) {
            _ = try vault.put(payloads[batch..<batch + 100].map {
                NewDocument(content: $0, agency: "police", kind: "referral", metadata: ["case": "M-2026-0001"])
            })
        }
        let put = (ContinuousClock.now - putStart).seconds
        report.figures += [("put_per_s", Double(payloads.count) / put), ("raw_put_per_s", Double(payloads.count) / raw)]
        report.ratios.append(("put_vs_raw", raw / put))

        // rewrap: N documents (small payloads: rewrap never touches them), then rotate.
        let rewrapVault = try Vault.create(stateDirectory: scratch + "/rewrap", signingName: "bench")
        let small = try SecretBytes(randomByteCount: 64)
        for batch in stride(from: 0, to: rewrapDocuments, by: 1_000) {
            _ = try rewrapVault.put((batch..<min(batch + 1_000, rewrapDocuments)).map { _ in
                NewDocument(content: small, agency: "police", kind: "referral")
            })
        }
        try rewrapVault.rotateAgencyKey("police", recording: LogEntry.keyEvents(by: .localOperator))
        let rewrapStart = ContinuousClock.now
        let progress = try rewrapVault.rewrap(agency: "police", batchSize: 2_000, recording: LogEntry.keyEvents(by: .localOperator))
        let rewrap = (ContinuousClock.now - rewrapStart).seconds
        precondition(progress.rewrapped == rewrapDocuments)
        report.figures += [("rewrap_documents", Double(rewrapDocuments)), ("rewrap_per_s", Double(rewrapDocuments) / rewrap)]

        // log: 1,000,000 entries of ~300 bytes appended in batches of 1,000, then verified.
        let logVault = try Vault.create(stateDirectory: scratch + "/log", signingName: "bench")
        let entry = Data(String(repeating: "{\"op\":\"disclose\",\"basis\":[\"marac-isp\"],\"document\":\"doc_0123456789abcdef\"}", count: 4).utf8)
        let batch = [Data](repeating: entry, count: 1_000)
        let appendStart = ContinuousClock.now
        for _ in 0..<1_000 { try logVault.appendLog(batch) }
        let append = (ContinuousClock.now - appendStart).seconds
        let verifyStart = ContinuousClock.now
        let verified = try logVault.verifyLog()
        let verify = (ContinuousClock.now - verifyStart).seconds
        precondition(verified.head.size == 1_000_000)
        report.figures += [("log_append_per_s", 1_000_000 / append), ("log_verify_1m_s", verify)]
        report.notes.append("put: 20,000 x 2 KiB, 100 per transaction; raw = one AES-GCM key + bare table, same batches, WAL, synchronous=FULL")
        return report
    }
}
