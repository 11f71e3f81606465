import Exchange
import Foundation
import TestSupport
import Vault
import XCTest

/// The control socket on the real daemon: principals by `SO_PEERCRED` through `setpriv`,
/// an unknown uid refused and logged, and hostile clients (garbage, a 1 GiB length, a
/// half-sent frame held open, 200 connections at once) answered or timed out while ingest
/// and other clients carry on.
final class ControlSocketTests: XCTestCase {
    var daemon: DaemonHarness!
    var socketDirectory: URL!
    var socket: String { socketDirectory.appendingPathComponent("maracd.sock").path }
    static let controlGroup: UInt32 = 4_700

    override func setUpWithError() throws {
        try XCTSkipUnless(geteuid() == 0, "needs root to act as several uids")
        daemon = try DaemonHarness()
        socketDirectory = DaemonHarness.socketDirectory(group: Self.controlGroup)
        let principals = daemon.state.deletingLastPathComponent().appendingPathComponent("principals.json")
        try Data("""
            {"version": 1, "principals": [
              {"uid": 0, "name": "Test coordinator", "agency": "idva", "roles": ["coordinator"]},
              {"uid": 4701, "name": "Health representative", "agency": "health", "roles": ["representative"]}]}
            """.utf8).write(to: principals)
        try daemon.writeConfig(#""principalsFile": "\#(principals.path)", "control": {"socketPath": "\#(socket)", "#
                               + #""socketGroup": \#(Self.controlGroup), "requestTimeoutSeconds": 1}"#)
    }

    override func tearDown() {
        daemon?.cleanUp()
        if let socketDirectory { try? FileManager.default.removeItem(at: socketDirectory) }
    }

    /// `maracctl ARGS` as `uid` (with `gid` as its only group), through setpriv.
    func ctl(_ arguments: [String], uid: UInt32 = 0, gid: UInt32 = controlGroup) throws -> Subprocess {
        let maracctl = CLITests.products.appendingPathComponent("maracctl").path
        return try Subprocess.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                  ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", maracctl] + arguments)
    }

    func testPrincipalsAreKnownByTheirUIDAndAnUnknownUIDIsRefusedAndLogged() throws {
        try daemon.start()
        var info = stat()
        XCTAssertEqual(lstat(socket, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o660)
        XCTAssertEqual(info.st_gid, Self.controlGroup)

        let coordinator = try ctl(["status", "--socket", socket])
        XCTAssertEqual(coordinator.status, 0, coordinator.stderr)
        XCTAssertTrue(coordinator.output.contains("you: Test coordinator (idva): coordinator"), coordinator.output)
        XCTAssertTrue(coordinator.output.contains("agencies: 6"), coordinator.output)
        let health = try ctl(["status", "--json"], uid: 4701)
        XCTAssertEqual(health.status, 69, "without --socket it looks at the deployment default")
        XCTAssertEqual(health.stderr, "maracctl: the daemon is not running (no socket at /run/maracd/maracd.sock)\n")
        let json = try ctl(["status", "--json", "--socket", socket], uid: 4701)
        XCTAssertEqual(json.status, 0, json.stderr)
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        XCTAssertEqual((result["principal"] as? [String: Any])?["agency"] as? String, "health")

        let stranger = try ctl(["status", "--socket", socket], uid: 4702)
        XCTAssertEqual(stranger.status, 77)
        XCTAssertEqual(stranger.stderr, "maracctl: uid 4702 is not a principal of this Marac\n")
        let outsider = try ctl(["status", "--socket", socket], uid: 4701, gid: 4701)
        XCTAssertEqual(outsider.status, 77, "not in the control group: the kernel refuses the connection")
        XCTAssertTrue(outsider.stderr.contains("not permitted to use the control socket"), outsider.stderr)
        XCTAssertTrue(daemon.log.contains("control.refused uid=4702 reason=unknown_principal"), daemon.log)
        XCTAssertEqual(daemon.stop(), 0)

        XCTAssertFalse(FileManager.default.fileExists(atPath: socket), "the socket goes with the daemon")
        let stopped = try ctl(["status", "--socket", socket])
        XCTAssertEqual(stopped.status, 69)
        XCTAssertEqual(stopped.stderr, "maracctl: the daemon is not running (no socket at \(socket))\n")
        // The refusal is in the audit log, as a leaf of the Merkle log.
        let entries = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
                                         "SELECT CAST(entry AS TEXT) FROM log_entry WHERE CAST(entry AS TEXT) LIKE '%refusal%'"])
        XCTAssertTrue(entries.output.contains(#""actor":{"agency":"none","person":"uid 4702"}"#), entries.output)
        XCTAssertTrue(entries.output.contains(#""details":{"rule":"unknown-principal","verb":"status"}"#), entries.output)
    }

    // MARK: - Hostile clients

    /// A raw connection as root, for sending what maracctl never would.
    final class RawClient {
        let fd: Int32
        init(_ path: String) throws {
            fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: Array(path.utf8))
                raw[path.utf8.count] = 0
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard result == 0 else { close(fd); throw CocoaError(.fileReadNoPermission) }
            var limit = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
        deinit { close(fd) }

        func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }

        /// The response's error code (or "ok"), or nil if the connection closed without one.
        func response() -> String? {
            guard let response = parsedResponse() else { return nil }
            if case let .failure(error) = response { return error.code.rawValue }
            return "ok"
        }

        /// The whole response, or nil if the connection closed without one.
        func parsedResponse() -> ControlResponse? {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            guard bytes.count > 4 else { return nil }
            return try? ControlResponse.parse(Array(bytes.dropFirst(4)))
        }
    }

    func testHostileClientsGetErrorsOrTimeOutWhileIngestAndOthersCarryOn() throws {
        try daemon.start()
        let garbage = try RawClient(socket)
        garbage.send(Array("GARBAGE!\r\n\r\n".utf8))
        XCTAssertEqual(garbage.response(), "bad-frame")

        let huge = try RawClient(socket)
        huge.send([0x40, 0x00, 0x00, 0x00] + Array("{".utf8))  // 1 GiB announced
        XCTAssertEqual(huge.response(), "bad-frame", "refused on the header, without reading a body")

        let notJSON = try RawClient(socket)
        notJSON.send(ControlProtocol.frame(Array("{\"v\": 1, \"verb\": \"status\", \"verb\": \"x\"}".utf8)))
        XCTAssertEqual(notJSON.response(), "bad-request")
        let unknown = try RawClient(socket)
        unknown.send(ControlProtocol.frame(ControlRequest(verb: "launch-missiles").body))
        XCTAssertEqual(unknown.response(), "unknown-verb")

        // Half a frame, held open: the others are served meanwhile, it times out.
        let half = try RawClient(socket)
        half.send([0, 0, 0, 100] + Array("{\"v\":".utf8))
        // Another request is answered while the half frame is still unanswered: the event
        // is the order of the two answers, not how long a process took to start.
        let other = try RawClient(socket)
        other.send(ControlProtocol.frame(ControlRequest(verb: "status").body))
        XCTAssertEqual(other.response(), "ok")
        var waiting = pollfd(fd: half.fd, events: Int16(POLLIN), revents: 0)
        XCTAssertEqual(poll(&waiting, 1, 0), 0, "served while the half frame waits, unanswered")
        XCTAssertEqual(half.response(), "timeout")

        // 200 connections at once from one uid: 8 held, the rest told busy; another
        // principal is served and a form is taken meanwhile.
        let flood = try (0..<200).map { _ in try RawClient(socket) }
        let police = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(police, as: "during-the-flood.json", agency: "police")
        let during = try ctl(["status", "--socket", socket], uid: 4701)
        XCTAssertEqual(during.status, 0, during.stderr)
        try daemon.waitFor("a receipt during the flood", timeout: 10) {
            FileManager.default.fileExists(atPath: daemon.receipt(for: police).path)
        }
        let answers = flood.map { $0.response() }
        XCTAssertEqual(answers.filter { $0 == "busy" }.count, 192, "\(Set(answers.map { $0 ?? "closed" }))")
        XCTAssertEqual(answers.filter { $0 == "timeout" }.count, 8)
        XCTAssertTrue(daemon.process?.isRunning ?? false)
        let after = try ctl(["status", "--socket", socket])
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertEqual(daemon.stop(), 0)
    }

    /// Requests complete in the same loop turn are answered together (the reads share
    /// one log commit): each connection must still get the answer to its own request.
    /// Eight referrals are read one at a time for a baseline, then all at once, twice,
    /// with the documents dealt to the connections in two different orders.
    func testReadsArrivingTogetherEachGetTheirOwnDocument() throws {
        try daemon.start()
        let template = String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
        let forms = (0..<8).map { Array(template.replacingOccurrences(of: "Tamsin Quinn", with: "Tamsin Quinn-\(Character(UnicodeScalar(97 + $0)!))").utf8) }
        for (i, form) in forms.enumerated() { try daemon.drop(form, as: "r\(i).json", agency: "police") }
        try daemon.waitFor("eight receipts") { forms.allSatisfy { FileManager.default.fileExists(atPath: daemon.receipt(for: $0).path) } }
        var documents: [String] = []
        let cases = try JSONSerialization.jsonObject(with: try ctl(["case", "list", "--json", "--socket", socket]).stdout) as? [[String: Any]] ?? []
        for number in cases.compactMap({ $0["case"] as? String }) {
            let shown = try JSONSerialization.jsonObject(with: try ctl(["case", "show", number, "--json", "--socket", socket]).stdout) as? [String: Any]
            documents += (shown?["documents"] as? [[String: String]] ?? []).compactMap { $0["document"] }
        }
        XCTAssertEqual(documents.count, 8)

        func request(_ document: String) -> [UInt8] {
            ControlProtocol.frame(ControlRequest(verb: "doc.read", args: JSONObject([
                "document": .string(document), "bases": .array([.string("marac-isp")]), "reason": .string("agenda"),
            ])).body)
        }
        /// The SHA-256 of the content read (a failure prints digests, never a form).
        func content(_ response: ControlResponse?) -> String? {
            guard case let .success(result) = response, let content = result["content"]?.string else { return nil }
            return Hex.encode(SHA256.hash(Array(content.utf8)))
        }
        var alone: [String: String] = [:]
        for document in documents {
            let client = try RawClient(socket)
            client.send(request(document))
            alone[document] = content(client.parsedResponse())
        }
        XCTAssertEqual(Set(alone.values.compactMap { $0 }), Set(forms.map { Hex.encode(SHA256.hash($0)) }), "each document read alone is one of the forms")
        for dealt in [documents, documents.reversed()] {
            let clients = try dealt.map { _ in try RawClient(socket) }
            for (client, document) in zip(clients, dealt) { client.send(request(document)) }
            for (client, document) in zip(clients, dealt) {
                XCTAssertEqual(content(client.parsedResponse()), alone[document], "the connection asking for \(document) got it")
            }
        }
        XCTAssertEqual(daemon.stop(), 0)
    }
}
