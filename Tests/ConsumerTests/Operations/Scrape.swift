import AsyncHTTPClient
import Foundation
import Metrics
import Operations
import Prometheus

/// The test process's metrics backend: swift-metrics can be bootstrapped once per process, so every test that reads
/// metrics shares this registry (and checks what its own traffic added).
enum TestMetrics {
    static let registry: PrometheusCollectorRegistry = MetricsBootstrap.bootstrap()
}

/// One `GET` over real HTTP on loopback.
struct HTTPAnswer: Sendable {
    var status: Int
    var contentType: String?
    var body: String

    static func get(_ url: String) async throws -> HTTPAnswer {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 * 1024 * 1024)
        return HTTPAnswer(
            status: Int(response.status.code),
            contentType: response.headers.first(name: "Content-Type"),
            body: String(buffer: body)
        )
    }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }
}

/// A parsed Prometheus text exposition: `# TYPE` per family, and every sample by its series (name and labels as
/// written, e.g. `attendance_rewards{state="parked"}`).
struct Scrape: Sendable {
    var types: [String: String] = [:]
    var samples: [String: Double] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
            } else if !line.hasPrefix("#"), let space = line.lastIndex(of: " ") {
                samples[String(line[..<space])] = Double(line[line.index(after: space)...])
            }
        }
    }

    /// The sample of `name` whose labels include every `labels` pair (in any order); nil if none.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { series, _ in
            Self.name(of: series) == name && labels.allSatisfy { series.contains("\($0.key)=\"\($0.value)\"") }
        }?.value
    }

    /// The label names used by the samples of `name`.
    func labelNames(_ name: String) -> Set<String> {
        var names: Set<String> = []
        for series in samples.keys where Self.name(of: series) == name {
            guard let open = series.firstIndex(of: "{") else { continue }
            for pair in series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",")
            {
                if let equals = pair.firstIndex(of: "=") { names.insert(String(pair[..<equals])) }
            }
        }
        return names
    }

    static func name(of series: String) -> Substring {
        series.prefix { $0 != "{" }
    }
}
