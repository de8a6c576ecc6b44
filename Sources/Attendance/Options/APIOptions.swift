import ArgumentParser
import AttendanceAPI
import CommandSupport
import Consumer
import Foundation
import Projections

/// Settings of the HTTP API (`serve`, and `run`, which starts it too). Every flag has an environment variable.
struct APIOptions: ParsableArguments {
    @Option(
        name: .customLong("api-addr"),
        help: "host:port the API listens on (env ATTENDANCE_API_ADDR, default 127.0.0.1:8080; port 0 picks a free one)."
    )
    var address: String?

    @Option(name: .customLong("jwt-issuer"), help: "Required token issuer, claim iss (env ATTENDANCE_JWT_ISSUER).")
    var issuer: String?

    @Option(
        name: .customLong("jwt-audience"),
        help: "Required token audience, claim aud (env ATTENDANCE_JWT_AUDIENCE)."
    )
    var audience: String?

    @Option(
        name: .customLong("jwt-hs256-secret-file"),
        help: "File holding the HS256 secret, at least 32 bytes (env ATTENDANCE_JWT_HS256_SECRET_FILE)."
    )
    var secretFile: String?

    @Option(
        name: .customLong("jwt-public-key-file"),
        help:
            "PEM public key for RS256 or ES256 tokens; repeat or comma-separate for several (env ATTENDANCE_JWT_PUBLIC_KEY_FILES)."
    )
    var publicKeyFiles: [String] = []

    @Option(name: .customLong("jwks-file"), help: "JSON Web Key Set file (env ATTENDANCE_JWT_JWKS_FILE).")
    var jwksFile: String?

    @Option(
        name: .customLong("rate-limit"),
        help:
            "Requests per second per client, the token's subject; 0 = off (env ATTENDANCE_API_RATE_LIMIT, default 200)."
    )
    var rateLimit: Double?

    @Option(
        name: .customLong("rate-burst"),
        help: "Burst per client (env ATTENDANCE_API_RATE_BURST, default 2 × rate)."
    )
    var rateBurst: Int?

    @Option(
        name: .customLong("submit-wait-ms"),
        help:
            "How long a submission waits for its outcome by default (env ATTENDANCE_API_SUBMIT_WAIT_MS, default 2000)."
    )
    var submitWait: Int?

    @Option(
        name: .customLong("max-wait-ms"),
        help: "Cap on the wait a request may ask for (env ATTENDANCE_API_MAX_WAIT_MS, default 10000)."
    )
    var maxWait: Int?

    @Option(
        name: .customLong("api-db-connections"),
        help: "Postgres connections serving reads (env ATTENDANCE_API_DB_CONNECTIONS, default 4)."
    )
    var connections: Int?

    private func value(_ flag: String?, _ variable: String) -> String? {
        Environment.value(flag, variable)
    }

    private func integer(
        _ flag: Int?,
        _ variable: String,
        _ name: String,
        default fallback: Int,
        range: ClosedRange<Int>
    )
        throws -> Int
    {
        if let flag {
            guard range.contains(flag) else { throw ConfigurationError("\(name) must be in \(range)") }
            return flag
        }
        guard let text = Environment.values[variable], !text.isEmpty else { return fallback }
        guard let parsed = Int(text), range.contains(parsed) else {
            throw ConfigurationError("\(variable)=\(text) must be an integer in \(range)")
        }
        return parsed
    }

    func resolvedAddress() throws -> APIConfiguration.Address {
        let text = value(address, "ATTENDANCE_API_ADDR") ?? "127.0.0.1:8080"
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port), colon > text.startIndex
        else {
            throw ConfigurationError("--api-addr / ATTENDANCE_API_ADDR \"\(text)\" must be host:port (port 0...65535)")
        }
        return .init(host: String(text[..<colon]), port: port)
    }

    /// The key material, read from the files named. With none configured, nil (the embedded demo makes its own).
    func resolvedKeys() throws -> TokenVerifier.Keys? {
        var keys = TokenVerifier.Keys()
        if let file = value(secretFile, "ATTENDANCE_JWT_HS256_SECRET_FILE") {
            keys.hs256Secret = try Array(
                read(file, "--jwt-hs256-secret-file").trimmingCharacters(in: .whitespacesAndNewlines).utf8
            )
        }
        var pems = publicKeyFiles.flatMap { $0.split(separator: ",").map(String.init) }
        if pems.isEmpty, let list = value(nil, "ATTENDANCE_JWT_PUBLIC_KEY_FILES") {
            pems = list.split(separator: ",").map(String.init)
        }
        keys.publicKeysPEM = try pems.map { try read($0, "--jwt-public-key-file") }
        if let file = value(jwksFile, "ATTENDANCE_JWT_JWKS_FILE") {
            keys.jwksJSON = try read(file, "--jwks-file")
        }
        return keys.isEmpty ? nil : keys
    }

    private func read(_ path: String, _ setting: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else {
            throw ConfigurationError("\(setting) \(path) cannot be read or is empty")
        }
        return text
    }

    func resolvedIssuer(default fallback: String? = nil) throws -> String {
        guard let issuer = value(issuer, "ATTENDANCE_JWT_ISSUER") ?? fallback else {
            throw ConfigurationError("no token issuer: pass --jwt-issuer or set ATTENDANCE_JWT_ISSUER")
        }
        return issuer
    }

    func resolvedAudience(default fallback: String? = nil) throws -> String {
        guard let audience = value(audience, "ATTENDANCE_JWT_AUDIENCE") ?? fallback else {
            throw ConfigurationError("no token audience: pass --jwt-audience or set ATTENDANCE_JWT_AUDIENCE")
        }
        return audience
    }

    /// The whole API configuration; `keys` and `issuer`/`audience` overrides are for the embedded demo.
    func configuration(
        kafka: KafkaConfiguration,
        postgres: PostgresConfiguration,
        schema: String,
        keys override: TokenVerifier.Keys? = nil,
        issuer defaultIssuer: String? = nil,
        audience defaultAudience: String? = nil
    ) throws -> APIConfiguration {
        guard let keys = try override ?? resolvedKeys() else {
            throw ConfigurationError(
                "no token verification key: set --jwt-hs256-secret-file, --jwt-public-key-file or --jwks-file"
            )
        }
        let issuer = try resolvedIssuer(default: defaultIssuer)
        let audience = try resolvedAudience(default: defaultAudience)
        var reads = ReadLanes.Configuration(postgres: postgres, schema: schema)
        reads.connections = try integer(
            connections,
            "ATTENDANCE_API_DB_CONNECTIONS",
            "--api-db-connections",
            default: 4,
            range: 1...64
        )
        var configuration = APIConfiguration(
            address: try resolvedAddress(),
            reads: reads,
            kafka: kafka,
            keys: keys,
            issuer: issuer,
            audience: audience
        )
        let rate: Double
        if let rateLimit {
            rate = rateLimit
        } else if let text = Environment.values["ATTENDANCE_API_RATE_LIMIT"], !text.isEmpty {
            guard let parsed = Double(text) else {
                throw ConfigurationError("ATTENDANCE_API_RATE_LIMIT=\(text) is not a number")
            }
            rate = parsed
        } else {
            rate = 200
        }
        guard rate >= 0, rate.isFinite else { throw ConfigurationError("--rate-limit must be 0 or more") }
        configuration.rateLimit = rate
        configuration.rateBurst = try integer(
            rateBurst,
            "ATTENDANCE_API_RATE_BURST",
            "--rate-burst",
            default: max(1, Int(rate * 2)),
            range: 1...1_000_000
        )
        let wait = try integer(
            submitWait,
            "ATTENDANCE_API_SUBMIT_WAIT_MS",
            "--submit-wait-ms",
            default: 2_000,
            range: 0...30_000
        )
        let cap = try integer(
            maxWait,
            "ATTENDANCE_API_MAX_WAIT_MS",
            "--max-wait-ms",
            default: 10_000,
            range: 0...30_000
        )
        configuration.defaultWait = .milliseconds(min(wait, cap))
        configuration.maximumWait = .milliseconds(cap)
        return configuration
    }
}
