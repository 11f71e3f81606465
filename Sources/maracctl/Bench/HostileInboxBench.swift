import Exchange
import Foundation
import Vault

/// The `hostile` area: what one agency's objects the daemon cannot remove cost another
/// agency (`docs/operations.md`, "Objects the daemon cannot remove"). The real `maracd`
/// on a scratch state directory, rescanning every second; the police send lone referrals
/// one at a time, first with nothing else in any inbox (the baseline, in the same run),
/// then just after `objects` directories nested too deep to remove are renamed into the
/// Idva's inbox at once. Figures: each run's lone-file p50 and p99, their ratio, and the
/// reports written about the objects after several rescans (the target is one each).
struct HostileInboxBench {
    let objects: Int
    let loneFiles = 150

    func run() throws -> BenchReport {
        var report = BenchReport(area: .hostile)
        let scratch = try DaemonBenchScratch(area: "hostile")
        defer { scratch.remove() }
        let state = scratch.state
        let config = try scratch.writeConfig(#""inbox": {"rescanIntervalSeconds": 1}, "log": {"level": "debug"}"#)  // debug: rescans are counted by their line
        let daemon = try DaemonProcess(config: config, log: scratch.path + "/maracd.log")
        defer { daemon.stop() }
        // MARACD_BENCH_DAEMON_LOG=FILE keeps the daemon's log.
        defer {
            if let keep = ProcessInfo.processInfo.environment["MARACD_BENCH_DAEMON_LOG"] {
                try? FileManager.default.removeItem(atPath: keep)
                try? FileManager.default.copyItem(atPath: scratch.path + "/maracd.log", toPath: keep)
            }
        }

        let baseline = try lone(scratch, tag: "Quiet")

        // Every object made first (each nested 20 deep), then all renamed in at once.
        let trees = scratch.path + "/trees"
        mkdir(trees, 0o700)
        for i in 0..<objects {
            var path = "\(trees)/t\(i)"
            for _ in 0..<20 {
                mkdir(path, 0o700)
                path += "/d"
            }
        }
        sync()  // the bench's own 60,000 directories are on disk before the daemon's first sync
        let idvaInbox = state + "/inbox/idva", rejected = state + "/outbox/idva/rejected", deadLetter = state + "/dead-letter/idva"
        for i in 0..<objects { rename("\(trees)/t\(i)", "\(idvaInbox)/t\(i)") }
        sync()  // and so are the client's renames: what follows is the daemon's own work
        let stormed = try lone(scratch, tag: "Storm")
        try DaemonProcess.waitUntil(timeout: 300) { Self.count(deadLetter) == objects }
        // Several rescans after the last object was set aside: any report written again would show.
        let log = scratch.path + "/maracd.log"
        let rescans = { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "inbox.rescan").count }
        let seen = rescans()
        try DaemonProcess.waitUntil(timeout: 60) { rescans() >= seen + 3 }
        let reports = Self.count(rejected)
        daemon.stop()

        report.figures += [
            ("objects", Double(objects)), ("lone_files_per_run", Double(loneFiles)),
            ("quiet_lone_p50_ms", baseline.p50), ("quiet_lone_p99_ms", baseline.p99),
            ("hostile_lone_p50_ms", stormed.p50), ("hostile_lone_p99_ms", stormed.p99),
            ("reports_written", Double(reports)), ("objects_set_aside", Double(Self.count(deadLetter))),
        ]
        report.ratios += [("hostile_vs_quiet_lone_p99", stormed.p99 / baseline.p99), ("reports_per_object", Double(reports) / Double(objects))]
        report.notes.append("lone: a police referral renamed into its inbox to its signed receipt on disk, one at a time, 20 ms apart")
        report.notes.append("hostile: the same, starting as \(objects) directories nested 20 deep (over the daemon's removal depth) are renamed into the Idva's inbox")
        report.notes.append("targets (issue 22): hostile_vs_quiet_lone_p99 within 2, hostile_lone_p99_ms under 250, reports_per_object 1")
        return report
    }

    /// Sends `loneFiles` referrals one at a time; returns the p50 and p99 latency in ms.
    private func lone(_ scratch: DaemonBenchScratch, tag: String) throws -> (p50: Double, p99: Double) {
        let latencies = try scratch.loneLatencies(tag, count: loneFiles)
        return (latencies[latencies.count / 2], latencies[latencies.count * 99 / 100])
    }

    private static func count(_ directory: String) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: directory))?.count ?? 0
    }
}
