import Vault

extension AgencyKeyStatus {
    /// Data keys still under an older version than the active one (the rewrap's work left).
    public var dataKeysToRewrap: Int { dataKeysByVersion.filter { $0.key < activeVersion }.values.reduce(0, +) }

    /// The row `key status` shows, through the daemon (`key.status`) or on the vault.
    public var json: JSONValue {
        var counts = JSONObject()
        for (version, count) in dataKeysByVersion.sorted(by: { $0.key < $1.key }) { counts.set(String(version), .number(Double(count))) }
        return .object(JSONObject(["agency": .string(agency), "activeVersion": .number(Double(activeVersion)),
                                   "minimumDecryptionVersion": .number(Double(minimumDecryptionVersion)),
                                   "dataKeysByVersion": .object(counts), "rewrapPending": .bool(rewrapPending),
                                   "dataKeysToRewrap": .number(Double(dataKeysToRewrap))]))
    }
}
