import Foundation
import Vault

/// The `crypto` area: AES-256-GCM seal throughput and ECDSA P-256 rates, each beside the
/// stock `openssl speed` figure for the same operation measured in the same run.
struct CryptoBench {
    let seconds: Double

    func run() throws -> BenchReport {
        var report = BenchReport(area: .crypto)
        let gcm = try AESGCM(key: SecretBytes(randomByteCount: 32))
        for (label, size) in [("2k", 2048), ("16k", 16384)] {
            let message = try SecureRandom.bytes(size)
            let aad = [UInt8]()
            // Our public API: fresh random nonce, allocation of the sealed box, tag.
            // Best of three interleaved rounds each side: a shared 2-core VM is noisy.
            var ours = 0.0, theirs = 0.0
            for _ in 0..<3 {
                ours = max(ours, try measureRate(seconds: seconds) { _ = try gcm.seal(message, authenticating: aad) } * Double(size))
                theirs = max(theirs, try OpenSSLSpeed.aesGCM(bytes: size, seconds: seconds))
            }
            report.figures.append(("aes_gcm_\(label)_seal_bytes_per_s", ours))
            report.figures.append(("openssl_aes_gcm_\(label)_bytes_per_s", theirs))
            report.ratios.append(("aes_gcm_\(label)_vs_openssl", ours / theirs))
        }
        let key = try PrivateKey.generateP256()
        let publicKey = key.publicKey
        let digestInput = try SecureRandom.bytes(32)
        let signature = try key.signature(for: digestInput)
        let signs = try measureRate(seconds: seconds) { _ = try key.signature(for: digestInput) }
        let verifies = measureRate(seconds: seconds) { precondition(publicKey.isValidSignature(signature, for: digestInput)) }
        let (openSSLSigns, openSSLVerifies) = try OpenSSLSpeed.ecdsaP256(seconds: seconds)
        report.figures += [("ecdsa_p256_sign_per_s", signs), ("ecdsa_p256_verify_per_s", verifies),
                           ("openssl_ecdsa_p256_sign_per_s", openSSLSigns), ("openssl_ecdsa_p256_verify_per_s", openSSLVerifies)]
        report.ratios += [("ecdsa_p256_sign_vs_openssl", signs / openSSLSigns),
                          ("ecdsa_p256_verify_vs_openssl", verifies / openSSLVerifies)]
        // A receipt: CMS SignedData over a few hundred bytes of JSON, one per form stored.
        let certificate = try Certificate.selfSigned(commonName: "bench", organization: nil, key: key, validityDays: 30, notBefore: Date())
        let receipt = Array(String(repeating: "{\"receipt\": \"content\"}", count: 12).utf8)
        let cmsSigns = try measureRate(seconds: seconds) { _ = try CMS.sign(receipt, signer: certificate, key: key) }
        report.figures.append(("cms_receipt_sign_per_s", cmsSigns))
        report.ratios.append(("cms_receipt_sign_vs_ecdsa_sign", cmsSigns / signs))
        report.notes.append("best of 3 interleaved rounds; baseline: openssl speed (-evp aes-256-gcm -bytes N; ecdsap256), \(SystemLibraries.openSSL)")
        report.notes.append("ours hashes the 32-byte input with SHA-256 before signing; openssl speed signs a digest directly")
        return report
    }
}

/// Runs `openssl speed -mr` and reads its machine-readable result lines.
enum OpenSSLSpeed {
    /// Bytes per second for `-evp aes-256-gcm` on `bytes`-byte buffers (`+F:` line).
    static func aesGCM(bytes: Int, seconds: Double) throws -> Double {
        let lines = try run(["-evp", "aes-256-gcm", "-bytes", "\(bytes)"], seconds: seconds)
        guard let line = lines.first(where: { $0.hasPrefix("+F:") }),
              let value = line.split(separator: ":").last.flatMap({ Double($0) }) else {
            throw CommandError(code: .software, message: "unexpected `openssl speed` output for aes-256-gcm")
        }
        // With -mr, `+F:` carries bytes per second (the table shows thousands).
        return value
    }

    /// Signatures and verifications per second for `ecdsap256` (`+F4:` line).
    static func ecdsaP256(seconds: Double) throws -> (sign: Double, verify: Double) {
        let lines = try run(["ecdsap256"], seconds: seconds)
        guard let fields = lines.first(where: { $0.hasPrefix("+F4:") })?.split(separator: ":"), fields.count >= 5,
              let sign = Double(fields[3]), let verify = Double(fields[4]) else {
            throw CommandError(code: .software, message: "unexpected `openssl speed` output for ecdsap256")
        }
        return (sign, verify)
    }

    private static func run(_ arguments: [String], seconds: Double) throws -> [Substring] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "speed", "-mr", "-seconds", "\(max(1, Int(seconds.rounded())))"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw CommandError(code: .unavailable, message: "cannot run `openssl speed`: is openssl installed?")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandError(code: .unavailable, message: "`openssl speed` exited with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n")
    }
}
