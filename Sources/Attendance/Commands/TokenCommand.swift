import ArgumentParser
import AttendanceAPI
import CommandSupport
import Foundation

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract:
            "Sign an API token with the HS256 secret (for trying the API and for tests; production uses its IdP).",
        discussion: """
            Uses the same settings as `serve`: --jwt-hs256-secret-file, --jwt-issuer, --jwt-audience. Prints the \
            token only, so it can be captured: TOKEN=$(attendance token --scope attendance:read).
            """
    )

    @OptionGroup var api: APIOptions

    @Option(help: "The token's subject (the client the rate limit counts).")
    var subject = "cli"

    @Option(name: .customLong("scope"), help: "A scope to grant; repeat for several (default: all three).")
    var scopes: [String] = []

    @Option(name: .customLong("member-id"), help: "Make it a member's token, limited to this member.")
    var memberID: Int64?

    @Option(name: .customLong("ttl-seconds"), help: "Lifetime of the token.")
    var ttlSeconds = 3_600

    func run() async throws {
        guard let secret = try api.resolvedKeys()?.hs256Secret else {
            throw ConfigurationError(
                "token needs the HS256 secret: --jwt-hs256-secret-file or ATTENDANCE_JWT_HS256_SECRET_FILE"
            )
        }
        let granted = scopes.isEmpty ? Principal.Scope.allCases.map(\.rawValue) : scopes
        for scope in granted where Principal.Scope(rawValue: scope) == nil {
            throw ConfigurationError(
                "--scope \(scope) is not one of \(Principal.Scope.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard ttlSeconds > 0 else { throw ConfigurationError("--ttl-seconds must be positive") }
        let token = AccessToken(
            issuer: try api.resolvedIssuer(),
            audience: try api.resolvedAudience(),
            subject: subject,
            expires: Date().addingTimeInterval(TimeInterval(ttlSeconds)),
            scopes: granted,
            memberID: memberID
        )
        print(try await AccessToken.signHS256(token, secret: secret))
    }
}
