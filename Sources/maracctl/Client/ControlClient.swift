import Exchange
import Foundation
import Glibc

/// maracctl's side of the control protocol (`docs/control-protocol.md`): one connection,
/// one request frame, one response frame. The daemon decides everything; this only
/// carries the request and maps the answer to an exit status.
struct ControlClient {
    let path: String

    /// The socket from `--socket`, `$MARACD_SOCKET`, `--state DIR` (`DIR/run/maracd.sock`)
    /// or the deployment default, in that order.
    init(options: Options) {
        if let socket = options["--socket"] { path = socket }
        else if let socket = ProcessInfo.processInfo.environment["MARACD_SOCKET"], !socket.isEmpty { path = socket }
        else if let state = options["--state"] { path = state + "/run/maracd.sock" }
        else { path = "/run/maracd/maracd.sock" }
    }

    /// A client of the socket at `path`.
    init(path: String) { self.path = path }

    /// Sends `request` and returns the result, or throws the daemon's refusal as a
    /// `CommandError` with the protocol's exit status.
    func call(_ request: ControlRequest, timeout: Double = 60) throws -> JSONValue {
        let fd = try connect()
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        try send(fd, ControlProtocol.frame(request.body))
        let header = try receive(fd, count: 4)
        guard let length = ControlProtocol.bodyLength(header: header, limit: ControlProtocol.maxResponseBytes) else { throw Self.broken("a response frame of the wrong length") }
        let response: ControlResponse
        do { response = try ControlResponse.parse(try receive(fd, count: length)) } catch let error as ControlError {
            throw Self.broken(error.message)
        }
        switch response {
        case let .success(result): return result
        case let .failure(error): throw CommandError(code: Self.exitCode(error.code), message: error.message)
        }
    }

    /// Whether a daemon accepts connections at `path` (a verb that works both ways goes
    /// through it if so). Throws, rather than answer no, if the socket refuses this user.
    func reachable() throws -> Bool {
        do {
            close(try connect())
            return true
        } catch let error as CommandError where error.code == .unavailable {
            return false
        }
    }

    /// The exit status `docs/control-protocol.md` gives each error code.
    static func exitCode(_ code: ControlError.Code) -> ExitCode {
        switch code {
        case .badFrame, .badRequest, .notFound, .conflict: return .dataError
        case .unknownVerb, .badArgument: return .usage
        case .unknownPrincipal, .notPermitted: return .noPermission
        case .busy, .timeout, .incomplete: return .tempFail
        case .unavailable: return .unavailable
        case .internal: return .software
        }
    }

    private func connect() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CommandError(code: .software, message: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw CommandError.usage("the socket path is longer than 107 bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            switch code {
            case EACCES, EPERM:
                throw CommandError(code: .noPermission, message: "not permitted to use the control socket \(path) (its group is the daemon's control group)")
            default:
                throw CommandError(code: .unavailable, message: "the daemon is not running (no socket at \(path))")
            }
        }
        return fd
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.broken("the daemon closed the connection")
            }
            offset += n
        }
    }

    private func receive(_ fd: Int32, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.broken(n == 0 ? "the daemon closed the connection" : "no answer in time") }
            offset += n
        }
        return bytes
    }

    private static func broken(_ why: String) -> CommandError { CommandError(code: .unavailable, message: "control connection: \(why)") }
}
