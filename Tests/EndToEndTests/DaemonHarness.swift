import Foundation
import TestSupport
import Vault
import XCTest

/// A state directory made with the real `maracctl` (vault, six agencies, config) and a
/// real `maracd` running on it, stderr captured to a file.
final class DaemonHarness {
    let state: URL
    let configPath: URL
    let logPath: URL
    private(set) var process: Process?
    static let agencies = [("police", "police"), ("health", "health"), ("children", "childrens-services"),
                           ("housing", "housing"), ("probation", "probation"), ("idva", "idva")]

    init(extraConfig: String = "", agencies: [(String, String)] = DaemonHarness.agencies) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        state = root.appendingPathComponent("state")
        configPath = root.appendingPathComponent("maracd.json")
        logPath = root.appendingPathComponent("maracd.log")
        try Self.ctl(["init", "--state", state.path, "--name", "maracd e2e"])
        for (id, kind) in agencies {
            try Self.ctl(["agency", "add", id, "--kind", kind, "--name", "Test \(id)", "--state", state.path])
        }
        try writeConfig(extraConfig)
    }

    /// The principals file every harness starts with: root (the tests' uid) as coordinator.
    var principalsPath: URL { state.deletingLastPathComponent().appendingPathComponent("principals.json") }

    func writeConfig(_ extra: String) throws {
        // Fast rescans for tests, unless `extra` brings its own inbox settings; root as the
        // coordinator, unless `extra` brings its own principals.
        let inbox = extra.contains("\"inbox\"") ? "" : #", "inbox": {"rescanIntervalSeconds": 0.5, "settleSeconds": 1}"#
        if !extra.contains("principalsFile") {
            try Data(#"{"version": 1, "principals": [{"uid": \#(geteuid()), "name": "Test coordinator", "agency": "idva", "roles": ["coordinator", "chair"]}]}"#.utf8)
                .write(to: principalsPath)
        }
        let principals = extra.contains("principalsFile") ? "" : #", "principalsFile": "\#(principalsPath.path)""#
        // Debug lines, so a test can wait for the events it means (`inbox.rescan`).
        let log = extra.contains("\"log\"") ? "" : #", "log": {"level": "debug"}"#
        let text = """
            {"stateDirectory": "\(state.path)"\(inbox)\(principals)\(log)\(extra.isEmpty ? "" : ", " + extra)}
            """
        try Data(text.utf8).write(to: configPath)
    }

    /// `maracctl ARGS --state STATE` against the running daemon, expecting success.
    @discardableResult
    func ask(_ arguments: [String]) throws -> Subprocess { try Self.ctl(arguments + ["--state", state.path]) }

    @discardableResult
    static func ctl(_ arguments: [String]) throws -> Subprocess {
        let result = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), arguments)
        XCTAssertEqual(result.status, 0, "maracctl \(arguments.first ?? ""): \(result.stderr)")
        return result
    }

    /// Starts the daemon: as root (tests run as root, hence `--allow-root`), or as `uid`
    /// through `setpriv`, with no supplementary groups and no `--allow-root`.
    /// Variables added to the daemon's environment (a fault-injection library, say).
    var environment: [String: String] = [:]

    func start(asUser uid: Int? = nil) throws {
        let process = Process()
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let maracd = CLITests.products.appendingPathComponent("maracd")
        if let uid {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", maracd.path, "--config", configPath.path]
        } else {
            process.executableURL = maracd
            process.arguments = ["--config", configPath.path, "--allow-root"]
        }
        if !FileManager.default.fileExists(atPath: logPath.path) { _ = FileManager.default.createFile(atPath: logPath.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: logPath)
        handle.seekToEndOfFile()
        process.standardError = handle
        process.standardOutput = FileHandle.nullDevice
        let startsBefore = starts
        try process.run()
        self.process = process
        try waitFor("the daemon to start", timeout: 20) { self.starts > startsBefore || !process.isRunning }
        XCTAssertTrue(process.isRunning, log)
    }

    /// A library the daemon loads first (`LD_PRELOAD`) whose `pwrite64` fails with `code`
    /// (EIO, EROFS) on `vault.db` while the file `trigger` exists: the disk's answer, as
    /// SQLite sees it.
    ///
    /// With `clockOffset`, `clock_gettime(CLOCK_REALTIME)` and `gettimeofday` also add the
    /// seconds that file holds (read at each call): the wall clock steps when it changes,
    /// the monotonic clock never does.
    func faultLibrary(_ code: String, trigger: URL, clockOffset: URL? = nil) throws -> URL {
        let directory = state.deletingLastPathComponent()
        let source = directory.appendingPathComponent("fault-\(code).c"), library = directory.appendingPathComponent("fault-\(code).so")
        try Data("""
            #define _GNU_SOURCE
            #include <dlfcn.h>
            #include <errno.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/types.h>
            #include <unistd.h>
            ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
                static ssize_t (*real)(int, const void *, size_t, off_t);
                if (!real) real = dlsym(RTLD_NEXT, "pwrite64");
                char link[64], path[4096];
                snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
                ssize_t n = readlink(link, path, sizeof path - 1);
                if (n > 0 && access("\(trigger.path)", F_OK) == 0) {
                    path[n] = 0;
                    if (strstr(path, "/vault.db")) { errno = \(code); return -1; }
                }
                return real(fd, buf, count, offset);
            }
            #include <fcntl.h>
            #include <stdlib.h>
            #include <sys/time.h>
            #include <time.h>
            static long offset_seconds(void) {
                const char *path = "\(clockOffset?.path ?? "")";
                if (!*path) return 0;
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) return 0;
                char text[32] = {0};
                ssize_t n = read(fd, text, sizeof text - 1);
                close(fd);
                return n > 0 ? strtol(text, NULL, 10) : 0;
            }
            int clock_gettime(clockid_t clock, struct timespec *time) {
                static int (*real)(clockid_t, struct timespec *);
                if (!real) real = dlsym(RTLD_NEXT, "clock_gettime");
                int result = real(clock, time);
                if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) time->tv_sec += offset_seconds();
                return result;
            }
            int gettimeofday(struct timeval *restrict time, void *restrict zone) {
                static int (*real)(struct timeval *restrict, void *restrict);
                if (!real) real = dlsym(RTLD_NEXT, "gettimeofday");
                int result = real(time, zone);
                if (result == 0 && time) time->tv_sec += offset_seconds();
                return result;
            }
            """.utf8).write(to: source)
        let built = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["clang", "-shared", "-fPIC", "-O2", "-o", library.path, source.path, "-ldl"])
        XCTAssertEqual(built.status, 0, built.stderr)
        return library
    }

    /// Sends `signal` and waits for the exit status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
        guard let process else { return -1 }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    func cleanUp() {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: state.deletingLastPathComponent())
    }

    var log: String { (try? String(contentsOf: logPath, encoding: .utf8)) ?? "" }

    /// How many periodic rescans the daemon has logged (`inbox.rescan`, a debug line).
    var rescans: Int { log.components(separatedBy: " inbox.rescan ").count - 1 }

    /// Waits until the daemon has run `count` more rescans (each takes what it finds
    /// before the next starts): the event a "nothing more happened" check waits for,
    /// instead of a fixed sleep.
    func waitForRescans(_ count: Int, timeout: TimeInterval = 30) throws {
        let target = rescans + count
        try waitFor("\(count) rescans", timeout: timeout) { rescans >= target }
    }

    /// How many times a daemon has logged that it started, in this harness's log.
    var starts: Int { log.components(separatedBy: "daemon.started").count - 1 }

    func inbox(_ agency: String) -> URL { state.appendingPathComponent("inbox/\(agency)") }
    func receipts(_ agency: String) -> URL { state.appendingPathComponent("outbox/\(agency)/receipts") }
    func rejected(_ agency: String) -> URL { state.appendingPathComponent("outbox/\(agency)/rejected") }

    /// The id outbox files about `bytes` are named by: 32 hex digits of their SHA-256.
    static func outboxID(_ bytes: [UInt8]) -> String { String(Hex.encode(SHA256.hash(bytes)).prefix(32)) }

    /// Where the receipt for `bytes` lands.
    func receipt(for bytes: [UInt8], agency: String = "police") -> URL {
        receipts(agency).appendingPathComponent(Self.outboxID(bytes) + ".receipt")
    }

    /// Where the report for `bytes` lands.
    func report(for bytes: [UInt8], agency: String = "police") -> URL {
        rejected(agency).appendingPathComponent(Self.outboxID(bytes) + ".rejected.json")
    }

    /// The report about the inbox file named `name`, found as an agency would: by the
    /// SHA-256 of the name it used.
    func report(aboutFileNamed name: [UInt8], agency: String = "police") throws -> [String: Any]? {
        let hash = Hex.encode(SHA256.hash(name))
        for file in names(rejected(agency)) {
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: rejected(agency).appendingPathComponent(file))) as? [String: Any]
            if report?["fileNameSHA256"] as? String == hash { return report }
        }
        return nil
    }

    func names(_ directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    /// Writes `bytes` elsewhere and renames them into `agency`'s inbox as `name`.
    func drop(_ bytes: [UInt8], as name: String, agency: String) throws {
        let temporary = inbox(agency).appendingPathComponent(".incoming-\(UUID().uuidString)")
        try Data(bytes).write(to: temporary)
        guard rename(temporary.path, inbox(agency).appendingPathComponent(name).path) == 0 else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    /// Writes `bytes` into the inbox in place, in chunks with pauses, then closes.
    func slowWrite(_ bytes: [UInt8], as name: String, agency: String, chunks: Int = 4, pause: TimeInterval = 0.4) throws {
        let path = inbox(agency).appendingPathComponent(name).path
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        let size = (bytes.count + chunks - 1) / chunks
        for start in stride(from: 0, to: bytes.count, by: size) {
            let chunk = Array(bytes[start..<min(bytes.count, start + size)])
            _ = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            Thread.sleep(forTimeInterval: pause)
        }
        close(fd)
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    func waitFor(_ what: String, timeout: TimeInterval = 20, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > deadline { XCTFail("timed out waiting for \(what)\n\(log.suffix(2000))"); throw CocoaError(.userCancelled) }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Every file under the state directory except the inboxes, by relative path.
    func filesOutsideInboxes() throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: state.path)!
        while let name = enumerator.nextObject() as? String {
            if name.hasPrefix("inbox") { continue }
            var isDirectory: ObjCBool = false
            let path = state.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[name] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            }
        }
        return out
    }
}

/// The shared form fixtures, read from the repository (the test bundle of another
/// target is not at hand here).
extension DaemonHarness {
    /// Where `registerRecipients` keeps each agency's key and certificate (beside the
    /// state directory, never in it).
    var recipientKeys: URL { state.deletingLastPathComponent().appendingPathComponent("keys") }

    /// Makes each agency a recipient key with `maracctl agency keygen` (`kind` ec or rsa)
    /// and, unless `register` is false, registers its certificate offline (the daemon
    /// stopped), as an agency's IT team and the key custodian would.
    func registerRecipients(_ agencies: [String], kind: String = "ec", register: Bool = true) throws {
        try FileManager.default.createDirectory(at: recipientKeys, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for agency in agencies {
            let directory = recipientKeys.appendingPathComponent(agency)
            try Self.ctl(["agency", "keygen", "--out", directory.path, "--name", "\(agency) recipient", "--kind", kind])
            if register { try ask(["agency", "set-cert", agency, "--cert", directory.appendingPathComponent("recipient.pem").path]) }
        }
    }

    /// Decrypts `pack` with stock `openssl cms -decrypt` and `agency`'s recipient key, then
    /// verifies it with `openssl cms -verify` against the published signing certificates;
    /// the content parsed, or nil with the decryption's exit status.
    func openWithOpenSSL(_ pack: URL, as agency: String) throws -> (content: [String: Any]?, decryptStatus: Int32) {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-pack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let openssl = URL(fileURLWithPath: "/usr/bin/openssl")
        let signed = scratch.appendingPathComponent("signed.der").path, content = scratch.appendingPathComponent("content.json").path
        let decrypt = try Subprocess.run(openssl, ["cms", "-decrypt", "-binary", "-inform", "DER", "-in", pack.path,
                                                   "-recip", recipientKeys.appendingPathComponent(agency).appendingPathComponent("recipient.pem").path,
                                                   "-inkey", recipientKeys.appendingPathComponent(agency).appendingPathComponent("recipient.key").path, "-out", signed])
        guard decrypt.status == 0 else { return (nil, decrypt.status) }
        let certificates = state.appendingPathComponent("outbox/\(agency)/signing-certificates.pem").path
        let verify = try Subprocess.run(openssl, ["cms", "-verify", "-binary", "-inform", "DER", "-in", signed, "-CAfile", certificates,
                                                  "-out", content])
        XCTAssertEqual(verify.status, 0, "openssl cms -verify: \(verify.stderr)")
        return (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: content))) as? [String: Any], 0)
    }

    /// Makes the test's uid a Marac-wide IG officer (and coordinator) and rewrites the config.
    /// Makes the tests' uid a key custodian as well as the coordinator: `agency add` and
    /// `set-cert` go through a running daemon, which takes them from key custodians only.
    /// A running daemon reads it on SIGHUP.
    func useKeyCustodian() throws {
        try Data(#"{"version": 1, "principals": [{"uid": \#(geteuid()), "name": "Test custodian", "agency": "idva", "roles": ["coordinator", "key-custodian"]}]}"#.utf8)
            .write(to: principalsPath)
    }

    func useMaracWideIGOfficer() throws {
        try Data(#"{"version": 1, "principals": [{"uid": \#(geteuid()), "name": "Governance IG officer", "agency": "idva", "roles": ["ig-officer", "coordinator"], "scope": "marac"}]}"#.utf8)
            .write(to: principalsPath)
        try writeConfig(#""principalsFile": "\#(principalsPath.path)""#)
    }

    /// A directory for the control socket outside the 0700 state directory (as a
    /// deployment's /run/maracd), 0750 in `group`, so principals in that group can connect.
    static func socketDirectory(group: UInt32) -> URL {
        let directory = URL(fileURLWithPath: "/tmp/maracd-ctl-\(UUID().uuidString.prefix(8))")
        XCTAssertEqual(mkdir(directory.path, 0o750), 0)
        XCTAssertEqual(chown(directory.path, 0, group), 0)
        return directory
    }

    /// The repository's root (for scripts the tests run as a user would).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

enum RepositoryFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ExchangeTests/Fixtures/forms")

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: directory.appendingPathComponent(name))) }

    static func files(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path)
            .filter { $0.hasSuffix(".json") }.sorted().map { folder + "/" + $0 }
    }

    static func agency(for name: String) -> String {
        name.contains("health") || name.contains("/iswc-") ? "health" : "police"
    }
}
