import Foundation
import JWTKit

/// The claims of a bearer token this API accepts. `iss`, `aud`, `exp` and `sub` are required; scopes come as
/// `scope` (space separated, RFC 8693) or `scp` (an array); `member_id` makes it a member's token.
public struct AccessToken: JWTPayload, Equatable {
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    public var exp: ExpirationClaim
    public var sub: SubjectClaim
    public var nbf: NotBeforeClaim?
    public var scope: String?
    public var scp: [String]?
    public var member_id: Int64?

    public init(
        issuer: String,
        audience: String,
        subject: String,
        expires: Date,
        scopes: [String],
        memberID: Int64? = nil
    ) {
        self.iss = IssuerClaim(value: issuer)
        self.aud = AudienceClaim(value: [audience])
        self.exp = ExpirationClaim(value: expires)
        self.sub = SubjectClaim(value: subject)
        self.nbf = nil
        self.scope = scopes.joined(separator: " ")
        self.scp = nil
        self.member_id = memberID
    }

    /// Signature checks are jwt-kit's; time claims are checked here, issuer and audience by ``TokenVerifier`` (so
    /// that each failure gets its own problem type).
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
    }

    /// Signs a token with an HS256 secret: what the demo, the tests and `attendance token` hand out.
    public static func signHS256(_ token: AccessToken, secret: [UInt8]) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(token)
    }
}
