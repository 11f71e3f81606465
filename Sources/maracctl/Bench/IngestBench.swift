import CSystemShim
import Exchange
import Foundation
import Vault

/// The `ingest` area: the real `maracd` (next to this binary) on a scratch state
/// directory. Throughput from inbox to committed-with-receipt for `forms` fixture-sized
/// referrals dropped at once, beside the raw `Vault.put` rate for the same bytes in the
/// same batch size measured in the same run; rename-to-receipt latency for a lone file at
/// light load; the daemon's peak resident memory.
struct IngestBench {
    let forms: Int
    let loneFiles = 200

    func run() throws -> BenchReport {
        var report = BenchReport(area: .ingest)
        let scratch = try DaemonBenchScratch(area: "ingest")
        defer { scratch.remove() }
        let state = scratch.state, staging = scratch.staging
        // MARACD_BENCH_DAEMON_LOG=FILE keeps the daemon's log at debug level, whose
        // `ingest.batch` and `ingest.receipts` lines say where each batch's time went.
        let keepLog = ProcessInfo.processInfo.environment["MARACD_BENCH_DAEMON_LOG"]
        let config = try scratch.writeConfig(#""ingest": {"maxBatchFiles": 256}, "inbox": {"rescanIntervalSeconds": 30}"#
                                             + (keepLog == nil ? "" : #", "log": {"level": "debug"}"#))

        let daemon = try DaemonProcess(config: config, log: scratch.path + "/maracd.log")
        defer { daemon.stop() }
        let inbox = state + "/inbox/police", receipts = state + "/outbox/police/receipts"

        // Throughput: every form staged, then all renamed in at once.
        var sizes = 0
        var expected: [String] = []  // each form's receipt path (receipts are named by content)
        for i in 0..<forms {
            let bytes = scratch.referral("Bench", i)
            sizes += bytes.count
            expected.append("\(receipts)/\(Hex.encode(SHA256.hash(bytes)).prefix(32)).receipt")
            try Data(bytes).write(to: URL(fileURLWithPath: "\(staging)/form-\(i).json"))
        }
        let cpuBefore = daemon.cpuSeconds()
        let start = ContinuousClock.now
        for i in 0..<forms { rename("\(staging)/form-\(i).json", "\(inbox)/form-\(i).json") }
        // Cheap to poll, so the measuring does not take CPU from the daemon measured: one
        // `access` per receipt in all, plus one per poll (listing 10,000 names every 10 ms
        // took about a sixth of the daemon's CPU).
        var present = 0
        try DaemonProcess.waitUntil(timeout: 600) {
            while present < forms, access(expected[present], F_OK) == 0 { present += 1 }
            return present == forms
        }
        let throughput = Double(forms) / (ContinuousClock.now - start).seconds
        let daemonCPU = daemon.cpuSeconds() - cpuBefore

        // Latency: one file at a time, 20 ms apart.
        let latencies = try scratch.loneLatencies("Lone", count: loneFiles)
        let peak = daemon.peakResidentMiB()
        daemon.stop()
        if let keepLog {
            try? FileManager.default.removeItem(atPath: keepLog)
            try FileManager.default.copyItem(atPath: scratch.path + "/maracd.log", toPath: keepLog)
        }

        // Raw: the same bytes straight into a vault, the daemon's batch size.
        let raw = try Vault.create(stateDirectory: scratch.path + "/raw", signingName: "bench")
        let payloads = try (0..<forms).map { _ in try SecretBytes(randomByteCount: sizes / forms) }
        let rawStart = ContinuousClock.now
        for batch in stride(from: 0, to: forms, by: 256) {
            _ = try raw.put(payloads[batch..<min(batch + 256, forms)].map { NewDocument(content: $0, agency: "police", kind: "referral") })
        }
        let rawRate = Double(forms) / (ContinuousClock.now - rawStart).seconds

        let receiptBytes = (try? FileManager.default.contentsOfDirectory(atPath: receipts))?.first
            .flatMap { FileManager.default.contents(atPath: receipts + "/" + $0)?.count } ?? 800
        let (fileRate, fileCPU) = try RawFilePipeline.rate(forms: forms, formBytes: sizes / forms, receiptBytes: receiptBytes,
                                                           directory: scratch.path + "/raw-files", batch: 256)

        report.figures += [("raw_file_pipeline_per_s", fileRate), ("receipt_bytes", Double(receiptBytes)),
                           ("daemon_cpu_us_per_form", daemonCPU / Double(forms) * 1e6), ("raw_file_cpu_us_per_form", fileCPU / Double(forms) * 1e6)]
        report.figures += [
            ("forms", Double(forms)), ("form_bytes", Double(sizes / forms)),
            ("ingest_forms_per_s", throughput), ("raw_put_per_s", rawRate),
            ("lone_latency_p50_ms", latencies[latencies.count / 2]), ("lone_latency_p99_ms", latencies[latencies.count * 99 / 100]),
            ("peak_rss_mib", peak),
        ]
        report.ratios.append(("ingest_vs_raw_put", throughput / rawRate))
        report.ratios.append(("ingest_vs_raw_files", throughput / fileRate))
        report.ratios.append(("raw_file_cpu_vs_daemon_cpu", fileCPU / daemonCPU))
        report.notes.append("ingest: rename into the inbox to the last signed receipt on disk (claim, validate, store, log, receipt, syncfs, unlink)")
        report.notes.append("raw: Vault.put of the same number of same-size payloads, 256 per transaction, no files, no validation")
        report.notes.append("raw files: the same files renamed into a directory, each read, a receipt-sized file written (temporary, rename), "
                            + "one syncfs per 256, each unlinked: the filesystem work alone, no validation, crypto or database")
        report.notes.append("cpu: the daemon's user+system time over the throughput run (every thread), and the raw file pipeline's (one thread, in this process)")
        return report
    }

}

/// The running benchmark daemon's pid, for the signal handler (0 when none).
nonisolated(unsafe) private var benchDaemonPID: pid_t = 0

/// A `maracd` child process for benchmarks. If maracctl is interrupted or terminated
/// (Ctrl-C, `timeout`), the daemon is stopped too rather than left running.
final class DaemonProcess {
    let process = Process()

    init(config: String, log: String) throws {
        let here = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.executableURL = here.deletingLastPathComponent().appendingPathComponent("maracd")
        process.arguments = ["--config", config] + (geteuid() == 0 ? ["--allow-root"] : [])
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        benchDaemonPID = process.processIdentifier
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            // Only async-signal-safe calls: stop the child, then exit.
            Glibc.signal(signal) { received in
                if benchDaemonPID > 0 { kill(benchDaemonPID, SIGTERM) }
                _exit(128 + received)
            }
        }
        let deadline = Date().addingTimeInterval(30)
        while !((try? String(contentsOfFile: log, encoding: .utf8))?.contains("daemon.started") ?? false) {
            guard process.isRunning, Date() < deadline else { throw CommandError(code: .software, message: "maracd did not start (see \(log))") }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// User and system CPU time the daemon has used so far, all threads, in seconds
    /// (`/proc/<pid>/stat`, fields 14 and 15).
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")  // from field 3, the state
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// `VmHWM` from `/proc/<pid>/status`, in MiB.
    func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Double(line.split(separator: " ").filter { !$0.isEmpty }.dropFirst().first ?? "") else { return -1 }
        return kib / 1024
    }

    /// Polls `condition` every `interval` seconds until it holds; throws after `timeout`.
    static func waitUntil(timeout: Double, every interval: Double = 0.01, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { throw CommandError(code: .software, message: "the daemon did not finish in \(Int(timeout)) s") }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        benchDaemonPID = 0
    }
}

/// The filesystem work of ingest and nothing else, the baseline `ingest_vs_raw_files` is
/// measured against: files renamed into an inbox; per batch, each read whole, a
/// receipt-sized file written to a temporary name and renamed, one `syncfs`, each inbox
/// file unlinked.
enum RawFilePipeline {
    /// Files per second, and the CPU seconds (user and system) the pipeline used.
    static func rate(forms: Int, formBytes: Int, receiptBytes: Int, directory: String, batch: Int) throws -> (Double, Double) {
        let staging = directory + "/staging", inbox = directory + "/inbox", outbox = directory + "/outbox"
        for path in [directory, staging, inbox, outbox] { mkdir(path, 0o700) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let form = [UInt8](repeating: 0x20, count: formBytes), receipt = [UInt8](repeating: 0x30, count: receiptBytes)
        for i in 0..<forms { _ = FileManager.default.createFile(atPath: "\(staging)/f\(i)", contents: Data(form)) }
        let cpuBefore = cpuSeconds()
        let start = ContinuousClock.now
        for i in 0..<forms { rename("\(staging)/f\(i)", "\(inbox)/f\(i)") }
        let sync = open(outbox, O_RDONLY | O_DIRECTORY)
        defer { close(sync) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        for first in stride(from: 0, to: forms, by: batch) {
            let range = first..<min(first + batch, forms)
            for i in range {
                let fd = open("\(inbox)/f\(i)", O_RDONLY)
                while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
                close(fd)
                let out = open("\(outbox)/.t\(i)", O_WRONLY | O_CREAT | O_EXCL, 0o600)
                _ = receipt.withUnsafeBytes { write(out, $0.baseAddress, $0.count) }
                close(out)
                rename("\(outbox)/.t\(i)", "\(outbox)/r\(i)")
            }
            _ = csystem_syncfs(sync)
            for i in range { unlink("\(inbox)/f\(i)") }
        }
        return (Double(forms) / (ContinuousClock.now - start).seconds, cpuSeconds() - cpuBefore)
    }

    /// This process's user and system CPU time, in seconds.
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)  // the process: nothing else runs in it meanwhile
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
