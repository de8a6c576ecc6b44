import ArgumentParser
import CommandSupport
import Consumer
import Foundation
import Projections

/// Settings of the reward settler (`settle`, `run`). Every flag has an environment variable; the flag wins.
struct RewardOptions: ParsableArguments {
    @Option(name: .customLong("points-api-url"), help: "Base URL of the points API (env ATTENDANCE_POINTS_API_URL).")
    var pointsAPIURL: String?

    @Option(name: .customLong("coupons-api-url"), help: "Base URL of the coupons API (env ATTENDANCE_COUPONS_API_URL).")
    var couponsAPIURL: String?

    @Option(
        name: .customLong("settler-group-id"),
        help:
            "Consumer group of the reward settler (env ATTENDANCE_SETTLER_GROUP_ID, default attendance-reward-settler)."
    )
    var settlerGroupID: String?

    @Option(
        name: .customLong("request-timeout-ms"),
        help: "Deadline of one API call; past it the outcome is unknown and re-driven with the same key."
    )
    var requestTimeoutMilliseconds = 5_000

    @Option(name: .customLong("max-attempts"), help: "Attempts before a reward is parked for an operator.")
    var maxAttempts = 8

    @Option(
        name: .customLong("max-backoff-ms"),
        help: "Longest wait between two attempts of one reward (backoff is exponential with jitter up to it)."
    )
    var maxBackoffMilliseconds = 300_000

    @Option(name: .customLong("max-in-flight"), help: "Most API calls in flight per settler loop.")
    var maxInFlight = 256

    @Option(
        name: .customLong("lease-ms"),
        help: "How long an attempt may take before its reward is due again (settler presumed dead)."
    )
    var leaseMilliseconds = 30_000

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The API URLs, or nil when neither flag nor environment sets them.
    func resolvedURLs() -> (points: String, coupons: String)? {
        let points = nonEmpty(pointsAPIURL) ?? nonEmpty(environment["ATTENDANCE_POINTS_API_URL"])
        let coupons = nonEmpty(couponsAPIURL) ?? nonEmpty(environment["ATTENDANCE_COUPONS_API_URL"])
        guard let points, let coupons else { return nil }
        return (points, coupons)
    }

    func requireURLs() throws -> (points: String, coupons: String) {
        guard let urls = resolvedURLs() else {
            throw ConfigurationError(
                "no reward APIs: pass --points-api-url and --coupons-api-url or set ATTENDANCE_POINTS_API_URL and "
                    + "ATTENDANCE_COUPONS_API_URL (`attendance fake-reward-api` serves both for trying it out)"
            )
        }
        return urls
    }

    func settlerConfiguration(
        kafka: KafkaConfiguration,
        postgres: PostgresConfiguration,
        schema: String,
        urls: (points: String, coupons: String)
    ) throws -> RewardSettler.Configuration {
        var api = RewardAPIClient.Configuration(pointsBaseURL: urls.points, couponsBaseURL: urls.coupons)
        api.requestTimeout = .milliseconds(requestTimeoutMilliseconds)
        api.maxConnectionsPerHost = max(1, maxInFlight)
        let group =
            nonEmpty(settlerGroupID) ?? nonEmpty(environment["ATTENDANCE_SETTLER_GROUP_ID"])
            ?? "attendance-reward-settler"
        var configuration = RewardSettler.Configuration(
            kafka: kafka,
            groupID: group,
            postgres: postgres,
            schema: schema,
            api: api
        )
        configuration.retry.maxAttempts = maxAttempts
        configuration.retry.maximumBackoff = .milliseconds(maxBackoffMilliseconds)
        configuration.maxInFlight = maxInFlight
        configuration.lease = .milliseconds(leaseMilliseconds)
        let problems = configuration.problems
        guard problems.isEmpty else {
            throw ConfigurationError(
                "reward settler: " + problems.joined(separator: "; ")
                    + " (see --points-api-url, --coupons-api-url, --request-timeout-ms, --max-attempts, --max-in-flight, --lease-ms)"
            )
        }
        return configuration
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
