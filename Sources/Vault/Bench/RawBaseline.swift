import Foundation

/// The raw baselines `maracctl bench vault` divides by: the same work without the vault's
/// key hierarchy, labels, metadata or log, measured in the same run.
public enum RawBaseline {
    /// Seals every payload under one AES-256-GCM key and inserts it into a bare table in a
    /// new database in `directory`, `batchSize` rows per transaction, with the vault's
    /// durability settings (WAL, `synchronous=FULL`). Returns the seconds taken.
    public static func sealAndInsert(_ payloads: [SecretBytes], batchSize: Int, directory: String) throws -> Double {
        let path = directory + "/raw-baseline.db"
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        defer { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
        let db = try Database(path: path, create: true)
        try db.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, sealed BLOB NOT NULL)")
        let cipher = try AESGCM(key: SecretBytes(randomByteCount: 32))
        let aad = [UInt8]("raw".utf8)
        let start = ContinuousClock.now
        for batch in stride(from: 0, to: payloads.count, by: batchSize) {
            try db.transaction {
                for payload in payloads[batch..<min(batch + batchSize, payloads.count)] {
                    try db.run("INSERT INTO raw (sealed) VALUES (?)", [.blob(try cipher.seal(payload, authenticating: aad))])
                }
            }
        }
        return (ContinuousClock.now - start).seconds
    }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double {
        let (whole, attos) = components
        return Double(whole) + Double(attos) / 1e18
    }
}
