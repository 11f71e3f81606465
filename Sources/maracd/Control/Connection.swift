import Exchange
import Foundation
import Glibc
import Vault

/// One control connection: the request frame as it arrives, then the response as it
/// leaves. Bounded: it never holds more than one frame's header and body.
final class Connection {
    let fd: Int32
    /// The peer's uid from `SO_PEERCRED`, read when it connected.
    let uid: UInt32
    /// When it is abandoned (reading, then writing).
    private(set) var deadline: Date
    private var buffer: [UInt8] = []
    private var bodyLength: Int?
    private var frameRefused = false
    /// A complete request is being answered (nothing more is read meanwhile).
    var answering = false
    /// The framed response, once there is one.
    private(set) var response: [UInt8]?
    private var sent = 0

    init(fd: Int32, uid: UInt32, deadline: Date) {
        self.fd = fd
        self.uid = uid
        self.deadline = deadline
    }

    /// How many more bytes the frame needs (never reading past it).
    var wanted: Int { bodyLength.map { 4 + $0 - buffer.count } ?? 4 - buffer.count }

    func received(_ bytes: ArraySlice<UInt8>) {
        buffer.append(contentsOf: bytes)
        if bodyLength == nil, buffer.count >= 4 {
            if let length = ControlProtocol.bodyLength(header: buffer.prefix(4)) {
                bodyLength = length
                // The whole frame in one allocation: growing it would leave copies of
                // what it held (a root key, `SecretField`) in freed memory.
                buffer.reserveCapacity(4 + length)
            } else {
                frameRefused = true
            }
        }
    }

    /// The request, once the frame is complete (or the refusal of a bad header at once).
    func take() -> Result<ControlRequest, ControlError>? {
        if frameRefused {
            return .failure(ControlError(.badFrame, "a frame's length must be 1 to \(ControlProtocol.maxBodyBytes) bytes"))
        }
        guard let bodyLength, buffer.count == 4 + bodyLength else { return nil }
        let secret = SecretField.takeRootKey(&buffer)
        let body = Array(buffer.dropFirst(4))
        wipe(&buffer)
        buffer = []
        do {
            var request = try ControlRequest.parse(body)
            request.secret = secret
            return .success(request)
        } catch {
            return .failure(error)
        }
    }

    func respond(_ response: ControlResponse, deadline: Date) {
        self.response = response.frame
        self.deadline = deadline
    }

    enum Flush { case done, pending, failed }

    /// Writes as much of the response as the socket takes now.
    func flush() -> Flush {
        guard let response else { return .failed }
        while sent < response.count {
            let n = response.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + sent, $0.count - sent) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK ? .pending : .failed
            }
            sent += n
        }
        return .done
    }
}
