import Exchange
import Foundation

/// `maracctl data return --quarter YYYYQn [--json | --csv]` (coordinator or IG officer):
/// the quarter's Marac data return for SafeLives (`docs/data-return.md`), counts only,
/// computed by the daemon and logged there as one entry.
struct DataCommand {
    let arguments: [String]

    func run() throws {
        guard arguments.first == "return" else { throw CommandError.usage("data takes return") }
        let parts = try CommandLineParts(Array(arguments.dropFirst()), valued: ["--quarter"], switches: ["--csv"], positionals: [])
        let quarter = try parts.options.required("--quarter")
        guard Quarter(quarter) != nil else { throw CommandError.usage("--quarter takes YYYYQn, as 2026Q4") }
        guard !(parts.options.has("--json") && parts.options.has("--csv")) else { throw CommandError.usage("give --json or --csv, not both") }
        let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "data.return", args: JSONObject(["quarter": .string(quarter)])))
        if parts.options.has("--csv") {
            print(DataReturnJSON.csv(result), terminator: "")
        } else {
            output(result, json: parts.options.has("--json")) { print(DataReturnJSON.text($0), terminator: "") }
        }
    }
}
