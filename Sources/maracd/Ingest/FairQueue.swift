/// The names waiting to be taken: one queue per agency, each in arrival order, taken in
/// turn, one name from each agency with names waiting, round and round. One agency's
/// thousands of objects (a hostile or broken SFTP client) therefore share each batch with
/// every other agency's forms instead of going before them (`docs/operations.md`,
/// "Objects the daemon cannot remove").
struct FairQueue {
    /// Per agency: its names, and how many at the front were taken already.
    private var lanes: [String: (names: [IngestService.Pending], taken: Int)] = [:]
    /// Agencies with names waiting, in turn order (the next to give one first).
    private var turns: [String] = []
    /// Every name waiting, so a name is queued once.
    private(set) var members = Set<IngestService.Pending>()

    var isEmpty: Bool { members.isEmpty }
    var count: Int { members.count }

    /// Whether `item` is waiting.
    func contains(_ item: IngestService.Pending) -> Bool { members.contains(item) }

    /// Queues each item not already waiting, at the back of its agency's queue.
    mutating func append(_ items: [IngestService.Pending]) {
        for item in items where members.insert(item).inserted {
            if lanes[item.agency] == nil {
                lanes[item.agency] = ([], 0)
                turns.append(item.agency)
            }
            lanes[item.agency]!.names.append(item)
        }
    }

    /// Takes up to `limit` names, one from each agency in turn.
    mutating func take(_ limit: Int) -> [IngestService.Pending] {
        var batch: [IngestService.Pending] = []
        var turn = 0
        while batch.count < limit, !turns.isEmpty {
            if turn >= turns.count { turn = 0 }
            let agency = turns[turn]
            let item = lanes[agency]!.names[lanes[agency]!.taken]
            lanes[agency]!.taken += 1  // in place: no copy of the lane's names
            batch.append(item)
            members.remove(item)
            if lanes[agency]!.taken == lanes[agency]!.names.count {
                lanes[agency] = nil
                turns.remove(at: turn)
            } else {
                turn += 1
            }
        }
        // The next batch starts with the agency after the last one served.
        if !turns.isEmpty { turns = Array(turns[(turn % turns.count)...] + turns[..<(turn % turns.count)]) }
        return batch
    }
}
