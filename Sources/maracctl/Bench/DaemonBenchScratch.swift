import Exchange
import Foundation
import Vault

/// The scratch directory of a benchmark that runs the real `maracd`: `state/` holding a
/// vault with the police and Idva agencies, `staging/` for forms to rename into an inbox,
/// and the daemon's configuration beside them. Removed by `remove()`.
struct DaemonBenchScratch {
    let path: String
    var state: String { path + "/state" }
    var staging: String { path + "/staging" }
    private let template: String

    /// A fresh directory for the `area` bench, and a vault in its `state/`.
    init(area: String) throws {
        Self.removeAbandoned()
        path = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-\(area)-bench-\(getpid())").path
        try? FileManager.default.removeItem(atPath: path)
        mkdir(path, 0o700)
        mkdir(path + "/staging", 0o700)
        template = String(decoding: try SampleForms.referral(bytes: 3_300), as: UTF8.self)
        let marac = try Marac(vault: try Vault.create(stateDirectory: path + "/state", signingName: "bench"))
        for (id, kind) in [("police", AgencyKind.police), ("idva", .idva)] { try marac.agencies.add(Agency(id: id, name: id, kind: kind)) }
    }

    /// Removes the scratch directories of benches that were killed before they could
    /// (a signal stops their daemon and exits at once): their staging holds sample forms.
    private static func removeAbandoned() {
        let temporary = FileManager.default.temporaryDirectory.path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix("maracd-") {
            guard name.contains("-bench-"), let pid = name.split(separator: "-").last.flatMap({ pid_t($0) }),
                  kill(pid, 0) != 0 && errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: temporary + "/" + name)
        }
    }

    /// Removes the directory and everything in it.
    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// The sample referral with its victim named by `tag` and `i`: distinct forms, so none
    /// is a duplicate or a repeat of another.
    func referral(_ tag: String, _ i: Int) -> [UInt8] {
        Array(template.replacingOccurrences(of: "Sample Victim", with: "\(tag) Victim \(i)")
            .replacingOccurrences(of: "S. Victim", with: "\(tag.prefix(1)). Victim \(i)").utf8)
    }

    /// Sends `count` referrals tagged `tag` into the police inbox one at a time, 20 ms
    /// apart; returns each one's time from its rename to its signed receipt on disk, in ms,
    /// sorted.
    func loneLatencies(_ tag: String, count: Int) throws -> [Double] {
        let inbox = state + "/inbox/police", receipts = state + "/outbox/police/receipts"
        var latencies: [Double] = []
        for i in 0..<count {
            let bytes = referral(tag, i)
            try Data(bytes).write(to: URL(fileURLWithPath: "\(staging)/\(tag)-\(i).json"))
            let receipt = "\(receipts)/\(Hex.encode(SHA256.hash(bytes)).prefix(32)).receipt"  // named by content
            let sent = ContinuousClock.now
            rename("\(staging)/\(tag)-\(i).json", "\(inbox)/\(tag)-\(i).json")
            try DaemonProcess.waitUntil(timeout: 60, every: 0.0002) { access(receipt, F_OK) == 0 }
            latencies.append((ContinuousClock.now - sent).seconds * 1000)
            Thread.sleep(forTimeInterval: 0.02)
        }
        return latencies.sorted()
    }

    /// Writes the daemon's configuration (`stateDirectory` and then `members`); returns its path.
    func writeConfig(_ members: String) throws -> String {
        let config = path + "/maracd.json"
        try Data(#"{"stateDirectory": "\#(state)", \#(members)}"#.utf8).write(to: URL(fileURLWithPath: config))
        return config
    }
}
