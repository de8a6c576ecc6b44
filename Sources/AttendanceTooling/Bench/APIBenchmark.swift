import ArgumentParser
import AsyncHTTPClient
import AttendanceAPI
import CommandSupport
import Consumer
import Domain
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Projections
import ServiceLifecycle
import Synchronization

struct APIBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Load the read side: member-attendance reads and submit round trips while the consumer works.",
        discussion: """
            Schema bench_api (dropped and recreated) gets --members members with --days days of history each, \
            generated in SQL. Two check-in consumers, the relay and the API run in this process against the embedded \
            cluster, with --background-rate check-ins/s of other traffic flowing. Then: (1) the consumers' drain rate \
            of a backlog with the API idle and with the API not running; (2) closed-loop member-attendance reads for \
            --read-seconds; (3) submissions at --submit-rate/s for --submit-seconds, each waiting for its outcome. \
            The load generator shares the machine with everything else; the figures say so.
            """
    )

    @OptionGroup var database: DatabaseURLOptions
    @OptionGroup var migrationsFolder: MigrationsFolderOptions
    @OptionGroup var topicsFolder: TopicsFolderOptions

    @Option(help: "Members with history.") var members = 100_000
    @Option(help: "Days of history per member.") var days = 10
    @Option(name: .customLong("background-rate"), help: "Other check-ins per second while measuring.")
    var backgroundRate = 2_000
    @Option(name: .customLong("read-seconds"), help: "Length of the read phase.") var readSeconds = 20
    @Option(help: "Reads in flight (closed loop).") var concurrency = 64
    @Option(name: .customLong("submit-rate"), help: "Submissions per second.") var submitRate = 500
    @Option(name: .customLong("submit-seconds"), help: "Length of the submit phase.") var submitSeconds = 20
    @Option(name: .customLong("drain-backlog"), help: "Check-ins in each consumer-throughput backlog.")
    var drainBacklog = 40_000
    @Option(name: .customLong("api-db-connections"), help: "Postgres connections of the API.") var connections = 4
    @Option(
        name: .customLong("read-load"),
        help: "Who sends the reads: wrk (an HTTP load tool, if installed; least CPU taken from the server) or internal."
    )
    var readLoad = "wrk"

    func run() async throws {
        let postgres = try database.requireDatabase()
        let migrations = migrationsFolder.migrationsURL()
        var logger = Logger(label: "attendance.bench")
        logger.logLevel = .warning
        let schema = "bench_api"
        let start = DemoEvents.firstDay(daysAgo: days + 1)
        let policies = try DemoEvents.policies(ids: [1, 2, 3], startingAt: start)
        let timezone = policies[0].timeZoneIdentifier
        let firstDay = policies[0].attendanceDate(of: start)
        let (members, days) = (self.members, self.days)
        let generation = try await Blocking.run("bench-setup") { () throws -> Double in
            try Setup.drop(schema: schema, postgres: postgres)
            _ = try Setup.migrate(postgres: postgres, schema: schema, directory: migrations)
            _ = try Setup.apply(policies, postgres: postgres, schema: schema)
            let connection = try PostgresConnection.connect(postgres, searchPath: schema)
            defer { connection.close() }
            let start = Date()
            try AttendanceHistoryGenerator.generate(
                eventID: 1,
                members: members,
                days: days,
                firstDay: firstDay,
                timezone: timezone,
                on: connection
            )
            return Date().timeIntervalSince(start)
        }
        let environment = try await Blocking.run("bench-env") { try BenchEnvironment.read(postgres) }
        say(
            String(
                format: "loaded: %d members × %d days of history (%d log, history and reward rows each) in %.1f s",
                members,
                days,
                members * days,
                generation
            )
        )

        let cluster = try KafkaMockCluster(brokers: 3)
        _ = try TopicReconciler.apply(try TopicSpec.loadAll(from: topicsFolder.topicsURL()), mock: cluster)
        let kafka = KafkaConfiguration(
            bootstrapServers: cluster.bootstrapServers,
            consumerProperties: KafkaMockCluster.lowLatencyConsumerProperties
        )
        let consumers = (0..<2).map { _ in
            CheckInConsumer(
                configuration: .init(kafka: kafka, groupID: "bench-api", postgres: postgres, schema: schema),
                logger: logger
            )
        }
        let relay = OutboxRelay(
            configuration: .init(kafka: kafka, postgres: postgres, schema: schema),
            logger: logger
        )
        let handled: @Sendable () -> Int = { consumers.reduce(0) { $0 + $1.statistics.snapshot.handled } }
        let secret = (0..<48).map { _ in UInt8.random(in: 0...255) }
        var reads = ReadLanes.Configuration(postgres: postgres, schema: schema)
        reads.connections = connections
        var apiConfiguration = APIConfiguration(
            address: .init(host: "127.0.0.1", port: 0),
            reads: reads,
            kafka: kafka,
            keys: .init(hs256Secret: secret),
            issuer: "bench",
            audience: "attendance-api"
        )
        apiConfiguration.rateLimit = 0
        let token = try await AccessToken.signHS256(
            AccessToken(
                issuer: "bench",
                audience: "attendance-api",
                subject: "bench",
                expires: Date().addingTimeInterval(7_200),
                scopes: Principal.Scope.allCases.map(\.rawValue)
            ),
            secret: secret
        )
        let producer = try KafkaProducer(configuration: kafka, logger: logger)
        defer { producer.close() }

        let drain = Drain(producer: producer, handled: handled, backlog: drainBacklog)
        var report: [String] = []
        try await withServices(consumers + [relay]) {
            try await drain.warmUp()
            _ = try await drain.rate(eventID: 3, label: "warm")  // first batches pay for connections and caches
            // Alternated (without, with, without, with) so that the tables growing between runs favour neither.
            var without: [Double] = []
            var with: [Double] = []
            for round in 0..<2 {
                without.append(try await drain.rate(eventID: 3, label: "noapi\(round)"))
                let server = try await APIServer(configuration: apiConfiguration, logger: logger)
                try await withServices([server]) {
                    while !server.readiness.ready { try await Task.sleep(for: .milliseconds(50)) }
                    with.append(try await drain.rate(eventID: 3, label: "idleapi\(round)"))
                }
            }
            let withoutAPI = without.reduce(0, +) / Double(without.count)
            let withIdleAPI = with.reduce(0, +) / Double(with.count)
            let server = try await APIServer(configuration: apiConfiguration, logger: logger)
            try await withServices([server]) {
                let port = try await server.listeningPort()
                while !server.readiness.ready { try await Task.sleep(for: .milliseconds(50)) }
                report.append(
                    String(
                        format: "consumer drain: %.0f check-ins/s without the API, %.0f with it running idle (%+.1f%%)",
                        withoutAPI,
                        withIdleAPI,
                        100 * (withIdleAPI / withoutAPI - 1)
                    )
                )

                var configuration = HTTPClient.Configuration()
                configuration.connectionPool = .init(
                    idleTimeout: .seconds(60),
                    // Submissions wait for their outcome: at 500/s and ~0.2 s each, about 100 are open at once.
                    concurrentHTTP1ConnectionsPerHostSoftLimit: max(concurrency, submitRate) + 16
                )
                let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                let base = "http://127.0.0.1:\(port)"
                let background = BackgroundTraffic(producer: producer, rate: backgroundRate)
                let reads: LoadResult
                let submits: LoadResult
                let consumerRate: Double
                do {
                    (reads, consumerRate, submits) = try await withServices([background]) {
                        try await Task.sleep(for: .seconds(2))
                        let before = handled()
                        let start = ContinuousClock.now
                        let reads: LoadResult
                        if readLoad == "wrk", let wrk = Self.wrkPath() {
                            reads = try await Blocking.run("bench-wrk") {
                                try Self.wrkReadLoad(
                                    wrk,
                                    base: base,
                                    token: token,
                                    members: members,
                                    connections: concurrency,
                                    seconds: readSeconds
                                )
                            }
                        } else {
                            reads = try await Self.readLoad(
                                client: client,
                                base: base,
                                token: token,
                                members: members,
                                concurrency: concurrency,
                                seconds: readSeconds
                            )
                        }
                        let consumerRate = Double(handled() - before) / (ContinuousClock.now - start).seconds
                        let submits = try await Self.submitLoad(
                            client: client,
                            base: base,
                            token: token,
                            firstMember: members + 1,
                            rate: submitRate,
                            seconds: submitSeconds
                        )
                        return (reads, consumerRate, submits)
                    }
                } catch {
                    try? await client.shutdown()
                    throw error
                }
                try await client.shutdown()
                report.append(
                    String(
                        format:
                            "reads:   %6.0f req/s, p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms (%d requests, %d errors; %d in flight, closed loop, ",
                        reads.rate,
                        reads.p50,
                        reads.p99,
                        reads.p999,
                        reads.count,
                        reads.errors,
                        concurrency
                    ) + "load from \(reads.generator))"
                )
                report.append(
                    String(
                        format: "         while the consumers handled %.0f check-ins/s of %d/s offered",
                        consumerRate,
                        backgroundRate
                    )
                )
                report.append(
                    String(
                        format:
                            "submit:  round trip (submit → outcome) p50 %.0f ms, p99 %.0f ms, p99.9 %.0f ms at %.0f submissions/s (%d answered 200, %d 202, %d errors)",
                        submits.p50,
                        submits.p99,
                        submits.p999,
                        submits.rate,
                        submits.ok,
                        submits.pending,
                        submits.errors
                    )
                )
            }
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = ProcessInfo.processInfo.physicalMemory / 1_073_741_824
        say(
            "setup: \(environment.cpu), \(cores) cores, \(memory) GiB; \(environment.postgres); synchronous_commit=\(environment.synchronousCommit), fsync=\(environment.fsync); \(Self.build) build"
        )
        say(
            "       librdkafka \(KafkaLibrary.version) mock cluster (3 brokers), 2 consumers, relay, API (\(connections) connections) and the load generator in this process"
        )
        // The services have stopped: nothing reads the slot any more.
        try await Blocking.run("bench-release") { try Setup.releaseSlot(schema: schema, postgres: postgres) }
        for line in report { say(line) }
        say(String(format: "peak RSS: %.1f MiB (this process)", ProcessMemory.peakResidentMiB()))
    }

    #if DEBUG
        static let build = "debug"
    #else
        static let build = "release"
    #endif

    struct LoadResult: Sendable {
        var count = 0
        var ok = 0
        var pending = 0
        var errors = 0
        var rate = 0.0
        var p50 = 0.0
        var p99 = 0.0
        var p999 = 0.0

        var generator = "in process"

        init(count: Int, errors: Int, rate: Double, p50: Double, p99: Double, generator: String) {
            (self.count, self.errors, self.rate, self.p50, self.p99, self.p999) = (count, errors, rate, p50, p99, .nan)
            self.ok = count - errors
            self.generator = generator
        }

        init(latencies: [Double], statuses: [Int], seconds: Double) {
            let sorted = latencies.sorted()
            func at(_ q: Double) -> Double {
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
            }
            count = statuses.count
            ok = statuses.filter { $0 == 200 }.count
            pending = statuses.filter { $0 == 202 }.count
            errors = statuses.filter { $0 != 200 && $0 != 202 }.count
            rate = Double(count) / seconds
            (p50, p99, p999) = (at(0.5), at(0.99), at(0.999))
        }
    }

    static func wrkPath() -> String? {
        let path = Environment.values["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/wrk" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Closed-loop reads by wrk (2 threads, `connections` connections), random members, parsed from its report.
    static func wrkReadLoad(_ wrk: String, base: String, token: String, members: Int, connections: Int, seconds: Int)
        throws -> LoadResult
    {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("attendance-bench-\(UUID()).lua")
        let lua = [
            "math.randomseed(os.time())",
            "request = function()",
            "  local path = \"/v1/events/1/members/\" .. math.random(1, \(members)) .. \"/attendance\"",
            "  return wrk.format(\"GET\", path, {[\"Authorization\"] = \"Bearer \(token)\"})",
            "end",
        ]
        try lua.joined(separator: "\n").write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        process.arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path, base]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func number(after label: String) -> Double? {
            guard let line = lines.first(where: { $0.hasPrefix(label) }) else { return nil }
            let token =
                line.dropFirst(label.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? ""
            if token.hasSuffix("ms") { return Double(token.dropLast(2)) }
            if token.hasSuffix("us") { return Double(token.dropLast(2)).map { $0 / 1_000 } }
            if token.hasSuffix("s") { return Double(token.dropLast(1)).map { $0 * 1_000 } }
            return Double(token)
        }
        guard process.terminationStatus == 0, let rate = number(after: "Requests/sec:"),
            let p50 = number(after: "50%"), let p99 = number(after: "99%")
        else { throw BenchFailure("wrk failed or its report could not be read:\n\(text)") }
        let requests =
            lines.first { $0.contains("requests in") }.flatMap { Int($0.split(separator: " ").first ?? "") } ?? 0
        let errors = Int(number(after: "Non-2xx or 3xx responses:") ?? 0)
        return LoadResult(count: requests, errors: errors, rate: rate, p50: p50, p99: p99, generator: "wrk")
    }

    static func readLoad(client: HTTPClient, base: String, token: String, members: Int, concurrency: Int, seconds: Int)
        async throws -> LoadResult
    {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let start = ContinuousClock.now
        let parts = try await withThrowingTaskGroup(of: ([Double], [Int]).self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    var statuses: [Int] = []
                    while ContinuousClock.now < deadline {
                        var request = HTTPClientRequest(
                            url: "\(base)/v1/events/1/members/\(Int.random(in: 1...members))/attendance"
                        )
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        let began = ContinuousClock.now
                        let status: Int
                        do {
                            let response = try await client.execute(request, timeout: .seconds(10))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            status = Int(response.status.code)
                        } catch {
                            status = 0
                        }
                        latencies.append((ContinuousClock.now - began).milliseconds)
                        statuses.append(status)
                    }
                    return (latencies, statuses)
                }
            }
            return try await group.reduce(into: ([Double](), [Int]())) {
                $0.0 += $1.0; $0.1 += $1.1
            }
        }
        return LoadResult(latencies: parts.0, statuses: parts.1, seconds: (ContinuousClock.now - start).seconds)
    }

    /// Open loop: one submission every 1/rate s whatever the answers do, each waiting for its outcome.
    /// The first `warmUpSeconds` at the same rate are not counted: they open the load generator's connections.
    static func submitLoad(
        client: HTTPClient,
        base: String,
        token: String,
        firstMember: Int,
        rate: Int,
        seconds: Int,
        warmUpSeconds: Int = 2
    ) async throws -> LoadResult {
        let warmUp = rate * warmUpSeconds
        let total = rate * (seconds + warmUpSeconds)
        let start = ContinuousClock.now
        let parts = try await withThrowingTaskGroup(of: (Double, Int)?.self) { group in
            for index in 0..<total {
                let due = start + .nanoseconds(Int64(index) * 1_000_000_000 / Int64(rate))
                try await Task.sleep(until: due, clock: .continuous)
                group.addTask {
                    var request = HTTPClientRequest(url: "\(base)/v1/events/1/check-ins?wait_ms=5000")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(
                        ByteBuffer(
                            string: #"{"member_id": \#(firstMember + index), "request_id": "bench-submit-\#(index)"}"#
                        )
                    )
                    let began = ContinuousClock.now
                    var status = 0
                    do {
                        let response = try await client.execute(request, timeout: .seconds(15))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        status = Int(response.status.code)
                    } catch {
                        status = 0
                    }
                    return index < warmUp ? nil : ((ContinuousClock.now - began).milliseconds, status)
                }
            }
            return try await group.reduce(into: ([Double](), [Int]())) {
                if let sample = $1 {
                    $0.0.append(sample.0)
                    $0.1.append(sample.1)
                }
            }
        }
        let measured = (ContinuousClock.now - start).seconds - Double(warmUpSeconds)
        return LoadResult(latencies: parts.0, statuses: parts.1, seconds: measured)
    }
}

/// Measures how fast the consumers drain a backlog produced up front (saturated throughput).
struct Drain: Sendable {
    let producer: KafkaProducer
    let handled: @Sendable () -> Int
    let backlog: Int

    func warmUp() async throws {
        let before = handled()
        try await produce(eventID: 3, count: 1, label: "warmup")
        while handled() <= before { try await Task.sleep(for: .milliseconds(20)) }
    }

    func rate(eventID: Int64, label: String) async throws -> Double {
        let before = handled()
        let start = ContinuousClock.now
        try await produce(eventID: eventID, count: backlog, label: label)
        let deadline = ContinuousClock.now + .seconds(600)
        while handled() - before < backlog {
            guard ContinuousClock.now < deadline else {
                throw BenchFailure("the consumers did not drain the backlog in 10 min")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return Double(backlog) / (ContinuousClock.now - start).seconds
    }

    private func produce(eventID: Int64, count: Int, label: String) async throws {
        let producer = self.producer
        try await Blocking.run("bench-produce") {
            let now = Timestamp.now().description
            for index in 0..<count {
                let member = 1 + index
                producer.produce(
                    OutgoingMessage(
                        topic: TopicNames.standard.checkInRequests,
                        key: Array("\(eventID):\(member)".utf8),
                        value: Array(
                            #"{"request_id":"\#(label)-\#(index)","event_id":\#(eventID),"member_id":\#(member),"requested_at":"\#(now)"}"#
                                .utf8
                        )
                    )
                ) { _ in }
            }
            try producer.flush(timeout: .seconds(120))
        }
    }
}

/// Check-ins of other members at a steady rate while the API is measured (event 2).
final class BackgroundTraffic: Service, Sendable {
    let producer: KafkaProducer
    let rate: Int

    init(producer: KafkaProducer, rate: Int) {
        self.producer = producer
        self.rate = rate
    }

    func run() async throws {
        let producer = self.producer
        let rate = self.rate
        let stop = Atomic<Bool>(false)
        try await withTaskCancellationHandler {
            try await Blocking.run("bench-background") {
                let start = ContinuousClock.now
                var sent = 0
                while !stop.load(ordering: .relaxed) {
                    let due = Int((ContinuousClock.now - start).seconds * Double(rate))
                    let now = Timestamp.now().description
                    while sent < due {
                        let member = 1 + sent % 1_000_000
                        producer.produce(
                            OutgoingMessage(
                                topic: TopicNames.standard.checkInRequests,
                                key: Array("2:\(member)".utf8),
                                value: Array(
                                    #"{"request_id":"bg-\#(sent)","event_id":2,"member_id":\#(member),"requested_at":"\#(now)"}"#
                                        .utf8
                                )
                            )
                        ) { _ in }
                        sent += 1
                    }
                    Thread.sleep(forTimeInterval: 0.005)
                }
            }
        } onCancel: {
            stop.store(true, ordering: .relaxed)
        }
    }
}

extension Duration {
    var milliseconds: Double { seconds * 1_000 }
}

/// Runs `services` while `body` runs, then cancels them and waits for them to stop.
func withServices<T: Sendable>(_ services: [any Service], _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
        for service in services { group.addTask { try await service.run() } }
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        group.cancelAll()
        try await group.waitForAll()
        return try result.get()
    }
}
