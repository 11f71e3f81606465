import Foundation
import Vault

// The control protocol's messages (`docs/control-protocol.md`): frames, requests and
// responses as bytes. Both ends use these; neither sockets nor files are touched here.

/// Framing and limits of the control protocol.
public enum ControlProtocol {
    /// The protocol version this build speaks.
    public static let version = 1
    /// The largest body a request frame may carry.
    public static let maxBodyBytes = 1 << 20
    /// The largest body a response frame may carry (an audit log, a signed export).
    public static let maxResponseBytes = 64 << 20
    /// The deepest JSON nesting a request may have.
    public static let maxDepth = 16

    /// `body` with its 4-byte big-endian length prefix; `limit` is the frame's kind's.
    public static func frame(_ body: [UInt8], limit: Int = maxBodyBytes) -> [UInt8] {
        precondition(!body.isEmpty && body.count <= limit, "control frame of \(body.count) bytes")
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + body
    }

    /// The body length a 4-byte header announces, or nil if it is 0 or over `limit`.
    public static func bodyLength<C: Collection>(header: C, limit: Int = maxBodyBytes) -> Int? where C.Element == UInt8 {
        precondition(header.count == 4)
        let n = header.reduce(0) { $0 << 8 | Int($1) }
        return n >= 1 && n <= limit ? n : nil
    }
}

/// A refusal, as the protocol carries it: a code a program acts on and a line for a person.
public struct ControlError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The error codes of `docs/control-protocol.md`.
    public enum Code: String, Sendable, CaseIterable {
        /// The frame's length is wrong or it was cut short.
        case badFrame = "bad-frame"
        /// The body is not a request.
        case badRequest = "bad-request"
        /// No such verb.
        case unknownVerb = "unknown-verb"
        /// An argument is missing, unknown or malformed.
        case badArgument = "bad-argument"
        /// The caller's uid is not a principal.
        case unknownPrincipal = "unknown-principal"
        /// The principal may not do this.
        case notPermitted = "not-permitted"
        /// Nothing the caller may see has this id.
        case notFound = "not-found"
        /// The request contradicts the current state.
        case conflict
        /// Too many connections; try again.
        case busy
        /// The request did not arrive in time.
        case timeout
        /// The daemon cannot do this now; nothing was done.
        case unavailable
        /// Done and recorded, but part of its work is left; the daemon retries it, and so
        /// does asking again.
        case incomplete
        /// A bug; nothing was disclosed.
        case `internal`
    }

    /// What kind of refusal.
    public let code: Code
    /// One line: ids, codes and counts only.
    public let message: String

    /// A refusal with `code` and `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}

/// A request: a verb and its arguments.
public struct ControlRequest: Equatable, Sendable {
    /// The verb.
    public var verb: String
    /// Its arguments.
    public var args: JSONObject
    /// A secret the daemon took out of the frame before parsing it (`key.rotate`'s new root
    /// key), in zeroising memory; its argument then holds `*`s. Not part of equality.
    public var secret: SecretBytes?

    public static func == (a: ControlRequest, b: ControlRequest) -> Bool { a.verb == b.verb && a.args == b.args }

    /// A request for `verb` with `args`.
    public init(verb: String, args: JSONObject = JSONObject()) {
        self.verb = verb
        self.args = args
    }

    /// The request body (canonical JSON).
    public var body: [UInt8] {
        var object = JSONObject()
        object.set("v", .number(Double(ControlProtocol.version)))
        object.set("verb", .string(verb))
        object.set("args", .object(args))
        return JSONValue.object(object).canonicalBytes
    }

    /// Parses a request body, applying the protocol's MUST-reject rules 6.
    public static func parse(_ body: [UInt8]) throws(ControlError) -> ControlRequest {
        let object = try ControlMessage.object(body, allowed: ["v", "verb", "args"])
        guard object["v"]?.integer == ControlProtocol.version else { throw ControlError(.badRequest, "v must be 1") }
        guard let verb = object["verb"]?.string, !verb.isEmpty, verb.utf8.count <= 64 else {
            throw ControlError(.badRequest, "verb must be a string")
        }
        guard let argsValue = object["args"] else { return ControlRequest(verb: verb) }
        guard let args = argsValue.object else { throw ControlError(.badRequest, "args must be an object") }
        return ControlRequest(verb: verb, args: args)
    }
}

/// A response: a result, or a refusal.
public enum ControlResponse: Equatable, Sendable {
    /// Done; the verb's result.
    case success(JSONValue)
    /// Refused.
    case failure(ControlError)

    /// The response body (canonical JSON).
    public var body: [UInt8] {
        var object = JSONObject()
        object.set("v", .number(Double(ControlProtocol.version)))
        switch self {
        case let .success(result):
            object.set("ok", .bool(true))
            object.set("result", result)
        case let .failure(error):
            object.set("ok", .bool(false))
            var detail = JSONObject()
            detail.set("code", .string(error.code.rawValue))
            detail.set("message", .string(error.message))
            object.set("error", .object(detail))
        }
        return JSONValue.object(object).canonicalBytes
    }

    /// The response's frame: a result too large for one (`maxResponseBytes`) is replaced
    /// by an `unavailable` refusal, never a frame the client would refuse or a crash.
    public var frame: [UInt8] { frame(limit: ControlProtocol.maxResponseBytes) }

    /// As `frame`, with another limit (for tests: 64 MiB of JSON is slow to make).
    public func frame(limit: Int) -> [UInt8] {
        let body = self.body
        guard body.count > limit else { return ControlProtocol.frame(body, limit: limit) }
        let refusal = ControlResponse.failure(ControlError(.unavailable, "the result is larger than a response may be "
            + "(\(limit >> 20) MiB); narrow it (--since, --until, --case)"))
        return ControlProtocol.frame(refusal.body, limit: limit)
    }

    /// Parses a response body (the client's side).
    public static func parse(_ body: [UInt8]) throws(ControlError) -> ControlResponse {
        let object = try ControlMessage.object(body, allowed: ["v", "ok", "result", "error"])
        guard object["v"]?.integer == ControlProtocol.version, let ok = object["ok"]?.bool else {
            throw ControlError(.badRequest, "not a version 1 response")
        }
        if ok { return .success(object["result"] ?? .null) }
        guard let code = object["error"]?["code"]?.string.flatMap(ControlError.Code.init(rawValue:)),
              let message = object["error"]?["message"]?.string else {
            throw ControlError(.badRequest, "a failure without a known error code")
        }
        return .failure(ControlError(code, message))
    }
}

enum ControlMessage {
    /// The body as a JSON object with no member outside `allowed` and no duplicate key.
    static func object(_ body: [UInt8], allowed: Set<String>) throws(ControlError) -> JSONObject {
        let parsed: JSONParser.Result
        do {
            parsed = try JSONParser(maxDepth: ControlProtocol.maxDepth).parse(body)
        } catch {
            throw ControlError(.badRequest, "not valid JSON (\(error))")
        }
        guard parsed.duplicateKeys.isEmpty else { throw ControlError(.badRequest, "a key appears more than once") }
        guard let object = parsed.value.object else { throw ControlError(.badRequest, "the body must be a JSON object") }
        // The unknown member is not named: the sender chose it, and it could be a name.
        guard object.keys.allSatisfy(allowed.contains) else {
            throw ControlError(.badRequest, "a member other than \(allowed.sorted().joined(separator: ", "))")
        }
        return object
    }
}
