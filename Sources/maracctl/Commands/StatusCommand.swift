import Exchange
import Foundation

/// `maracctl status`: asks the running daemon who it is and who you are to it.
struct StatusCommand {
    let options: Options

    init(arguments: [String]) throws {
        options = try Options(arguments, valued: ["--socket", "--state"], switches: ["--json"])
    }

    func run() throws {
        let result = try ControlClient(options: options).call(ControlRequest(verb: "status"))
        if options.has("--json") {
            print(String(decoding: result.canonicalBytes, as: UTF8.self))
            return
        }
        let roles = result["principal"]?["roles"]?.array?.compactMap(\.string).joined(separator: ", ") ?? ""
        // The principal's own name and agency, to themselves: what the principals file says.
        print("maracd \(result["version"]?.string ?? "?"), running since \(result["startedAt"]?.string ?? "?")")
        print("agencies: \(result["agencies"]?.integer ?? 0)   log entries: \(result["logSize"]?.integer ?? 0)")
        print("you: \(result["principal"]?["name"]?.string ?? "?") (\(result["principal"]?["agency"]?.string ?? "?")): \(roles)")
        if let signing = result["signing"] {
            print("signing certificate: SHA-256 \(signing["fingerprintSHA256"]?.string ?? "?"), valid until \(signing["notAfter"]?.string ?? "?")")
        }
        if let held = result["held"]?.string { print("HELD: \(held)") }
    }
}
