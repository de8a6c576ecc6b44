import Domain
import Foundation

/// A policy as applied by an operator: the version number is recorded on every log row it decided.
public struct VersionedPolicy: Sendable, Hashable {
    public let version: Int
    public let policy: EventPolicy

    public init(version: Int, policy: EventPolicy) {
        self.version = version
        self.policy = policy
    }
}

/// Event policies by id, refreshed when an operator applies a change.
///
/// Each batch reads the current version numbers of its events (a primary-key lookup) and fetches only
/// the versions it has not seen, so a change applies from the next batch on, and versions being immutable
/// makes the cache safe to keep across rolled-back transactions.
struct PolicyCache {
    private var entries: [Int64: VersionedPolicy] = [:]

    mutating func policies(for eventIDs: Set<Int64>, on connection: PostgresConnection) throws -> [Int64:
        VersionedPolicy]
    {
        guard !eventIDs.isEmpty else { return [:] }
        let ids = eventIDs.sorted()
        let current = try connection.execute(
            "SELECT id, policy_version FROM event WHERE id = ANY($1::bigint[])",
            [ids.map { $0 as Int64? }]
        )
        var wanted: [(Int64, Int)] = []
        var result: [Int64: VersionedPolicy] = [:]
        for row in 0..<current.count {
            guard let id = current.int64(row, 0), let version = current.int(row, 1) else { continue }
            if let cached = entries[id], cached.version == version {
                result[id] = cached
            } else {
                wanted.append((id, version))
            }
        }
        if !wanted.isEmpty {
            let documents = try connection.execute(
                """
                SELECT v.event_id, v.version, v.policy::text
                FROM event_policy_version v
                JOIN unnest($1::bigint[], $2::int[]) AS k(event_id, version)
                  ON v.event_id = k.event_id AND v.version = k.version
                """,
                [wanted.map { $0.0 as Int64? }, wanted.map { $0.1 as Int? }]
            )
            for row in 0..<documents.count {
                guard let id = documents.int64(row, 0), let version = documents.int(row, 1),
                    let text = documents.string(row, 2)
                else { continue }
                do {
                    let policy = try EventPolicy.decode(json: Data(text.utf8))
                    let versioned = VersionedPolicy(version: version, policy: policy)
                    entries[id] = versioned
                    result[id] = versioned
                } catch {
                    throw StoredPolicyError(eventID: id, version: version, problem: "\(error)")
                }
            }
        }
        for id in ids where result[id] == nil { entries[id] = nil }
        return result
    }
}

/// A stored policy version no longer passes validation (edited by hand in the database, or rules tightened
/// since it was applied). Processing of its events stops loudly instead of guessing.
public struct StoredPolicyError: Error, Sendable, CustomStringConvertible {
    public let eventID: Int64
    public let version: Int
    public let problem: String

    public var description: String {
        "stored policy of event \(eventID) version \(version) is invalid: \(problem); apply a corrected event file"
    }
}
