/// Who is calling, from a verified token.
public struct Principal: Sendable, Hashable {
    public enum Scope: String, Sendable, CaseIterable {
        case checkinsWrite = "checkins:write"
        case attendanceRead = "attendance:read"
        case reportsRead = "reports:read"
    }

    /// The token's `sub`: the client the rate limit counts for.
    public let subject: String
    public let scopes: Set<Scope>
    /// Set for a member's token (claim `member_id`): it may only touch that member's data.
    public let memberID: Int64?

    public init(subject: String, scopes: Set<Scope>, memberID: Int64?) {
        self.subject = subject
        self.scopes = scopes
        self.memberID = memberID
    }

    /// Throws 403 unless the token has one of `scopes`.
    func require(_ scopes: [Scope]) throws(APIProblem) {
        guard scopes.contains(where: self.scopes.contains) else {
            throw .forbidden(
                "missing-scope",
                "the token lacks the scope \(scopes.map(\.rawValue).joined(separator: " or ")) this operation needs"
            )
        }
    }

    /// Throws 403 when a member's token reaches for another member.
    func requireMember(_ memberID: Int64) throws(APIProblem) {
        if let own = self.memberID, own != memberID {
            throw .forbidden("other-member", "a member's token may only read or submit that member's attendance")
        }
    }
}
