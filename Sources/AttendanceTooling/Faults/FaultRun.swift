import CommandSupport
import Consumer
import Domain
import FakeRewardAPI
import Foundation
import Logging
import Projections
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking  // http URLs for Data(contentsOf:) on Linux
#endif

/// One scenario of the fault suite: a schema and a cluster of its own, services as separate processes, traffic
/// produced while the scenario's faults are injected, then the invariants checked in the database.
final class FaultRun: @unchecked Sendable {
    // @unchecked Sendable: the producing thread and the injecting thread share only `done` (atomic) and the
    // service processes, which the injector alone touches while traffic flows.
    struct Settings: Sendable {
        var scenario: FaultScenario
        var long: Bool
        var minimumRequests: Int
        var postgres: PostgresConfiguration
        var migrations: URL
        var topicsDirectory: String
        var logDirectory: URL
        var postgresRestart: String?

        /// The same scenario with its service logs in `directory` (a second run must not read the first's).
        func loggingTo(_ directory: URL) -> Settings {
            var settings = self
            settings.logDirectory = directory
            return settings
        }
    }

    private let settings: Settings
    private let logger: Logger
    private let injecting = Atomic<Bool>(true)
    private var report: FaultReport
    private var services: [ServiceProcess] = []
    private var extras: [ServiceProcess] = []
    private var random = SplitMix64(seed: 7)
    private var apiURL = ""

    private var apiFaults: [String] {
        guard settings.scenario == .rewardAPIFaults else { return [] }
        return [
            "--latency-ms", "20", "--server-error-rate", "0.10", "--throttle-rate", "0.05", "--timeout-rate", "0.05",
            "--dropped-response-rate", "0.05", "--hang-ms", "3000",
        ]
    }

    /// The fake prints `fake reward API at <url>` once it listens (port 0: any free port).
    static func announcedURL(of process: ServiceProcess, logDirectory: URL) throws -> String {
        let log = logDirectory.appendingPathComponent("\(process.name).log")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOf: log, encoding: .utf8),
                let line = text.split(separator: "\n").last(where: { $0.contains("fake reward API at ") }),
                let url = line.components(separatedBy: "fake reward API at ").last?.split(separator: " ").first
            {
                return String(url)
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw FaultSuiteError("the fake reward API did not announce its address")
    }

    init(_ settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        self.report = FaultReport(scenario: settings.scenario)
    }

    var schema: String { "faults_" + settings.scenario.rawValue.replacingOccurrences(of: "-", with: "_") }

    func execute() throws -> FaultReport {
        let started = Date()
        let postgres = settings.postgres
        try Setup.drop(schema: schema, postgres: postgres)
        _ = try Setup.migrate(postgres: postgres, schema: schema, directory: settings.migrations)
        let days = 10
        let firstDay = DemoEvents.firstDay(daysAgo: days + 1)
        let policies = try DemoEvents.policies(ids: [1, 2], startingAt: firstDay)
        _ = try Setup.apply(policies, postgres: postgres, schema: schema)

        let cluster = try MockClusterProcess(
            name: "\(settings.scenario.rawValue)-mock-cluster",
            topicsDirectory: settings.topicsDirectory,
            logDirectory: settings.logDirectory
        )
        defer { cluster.stop() }
        let environment = [
            "DATABASE_URL": postgres.conninfo, "ATTENDANCE_BROKERS": cluster.bootstrapServers,
            "ATTENDANCE_SCHEMA": schema,
            "ATTENDANCE_GROUP_ID": "faults", "ATTENDANCE_LOG_LEVEL": "warning", "ATTENDANCE_LOG_FORMAT": "json",
            // A killed member holds its partitions until the session times out: keep that short, as one would
            // for a latency-sensitive group.
            "ATTENDANCE_KAFKA_CONSUMER_SESSION_TIMEOUT_MS": "6000",
            "ATTENDANCE_KAFKA_CONSUMER_HEARTBEAT_INTERVAL_MS": "500",
            // Several services on one host: each serves its metrics on a free port.
            "ATTENDANCE_HTTP_ADDR": "127.0.0.1:0",
        ]
        func service(_ name: String, _ arguments: [String]) -> ServiceProcess {
            ServiceProcess(
                name: "\(settings.scenario.rawValue)-\(name)",
                arguments: arguments,
                environment: environment,
                logDirectory: settings.logDirectory
            )
        }
        // The reward APIs: external to the system, so never killed; faulty in the reward-api scenario.
        let api = service("fake-reward-api", ["fake-reward-api", "--port", "0"] + apiFaults)
        try api.start()
        defer { api.stop() }
        let apiURL = try Self.announcedURL(of: api, logDirectory: settings.logDirectory)
        self.apiURL = apiURL
        services = [
            service("consumer-1", ["consume", "--batch-wait-ms", "50"]),
            service("consumer-2", ["consume", "--batch-wait-ms", "50"]),
            service("relay", ["relay"]),
            service(
                "settler",
                [
                    "settle", "--points-api-url", apiURL, "--coupons-api-url", apiURL, "--request-timeout-ms",
                    "1000",
                    "--max-attempts", "30", "--max-backoff-ms", "5000", "--settler-group-id", "faults-settler",
                ]
            ),
        ]
        extras = (3...5).map { service("consumer-\($0)", ["consume", "--batch-wait-ms", "50"]) }
        for process in services { try process.start() }
        var passed = false
        defer {
            for process in services + extras { process.stop() }
            // Only now that no relay can recreate it: an unread slot keeps WAL. A failed scenario keeps its rows.
            if passed {
                try? Setup.drop(schema: schema, postgres: postgres)
            } else {
                try? Setup.releaseSlot(schema: schema, postgres: postgres)
            }
        }

        // Every process ends gracefully at the end; a crash or error exit at any time in the run fails the scenario.
        func stopAll() -> [String] {
            var problems: [String] = []
            for process in services + extras + [api] {
                process.stop()
                problems += process.exitProblems
            }
            return problems
        }
        do {
            let injector = ThreadExecutor(name: "fault-injector")
            injector.execute { [self] in inject(cluster: cluster) }
            injector.shutdown()  // the thread leaves once the injection is done
            let traffic = try produce(bootstrap: cluster.bootstrapServers, days: days, firstDay: firstDay)
            while injecting.load(ordering: .acquiring) { Thread.sleep(forTimeInterval: 0.1) }
            for process in services where !process.isRunning { try process.start() }
            for process in extras where process.isRunning { process.stop() }
            try waitForQuiescence(highWatermarks: traffic.highWatermarks, cluster: cluster)
            try cluster.checkRunning()
            try checkInvariants(traffic: traffic, bootstrap: cluster.bootstrapServers)
        } catch {
            // The injector may still restart a service: let it finish before anything is stopped.
            while injecting.load(ordering: .acquiring) { Thread.sleep(forTimeInterval: 0.1) }
            // Without its broker the scenario proves nothing either way: that is the error to report.
            try cluster.checkRunning()
            // A crashed service is often why the checks failed: say so with their error.
            let exits = stopAll()
            guard !exits.isEmpty else { throw error }
            throw FaultSuiteError("\(error); " + exits.joined(separator: "; "))
        }
        report.problems += stopAll()
        report.seconds = Date().timeIntervalSince(started)
        passed = report.passed
        return report
    }

    // MARK: Traffic

    struct Traffic {
        var highWatermarks: [Int32: Int64] = [:]
        var expectedLogRows = 0
        var expectedDeadLetters = 0
    }

    private func produce(bootstrap: String, days: Int, firstDay: Timestamp) throws -> Traffic {
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), logger: logger)
        defer { producer.close() }
        let topic = TopicNames.standard.checkInRequests
        var workload = CheckInWorkload(
            .init(eventIDs: [1, 2], members: 5_000, days: days, firstDay: firstDay, total: nil)
        )
        let hostileTotal = settings.scenario == .hostileInput ? settings.scenario.injections(long: settings.long) : 200
        var hostileSent = 0
        var hostileRandom = SplitMix64(seed: 11)
        var traffic = Traffic()
        var produced = 0
        while produced < settings.minimumRequests || injecting.load(ordering: .acquiring) || hostileSent < hostileTotal
        {
            var chunk: [OutgoingMessage] = []
            for _ in 0..<400 {
                guard let message = workload.next() else { break }
                chunk.append(OutgoingMessage(topic: topic, key: message.key, value: message.value))
                produced += 1
            }
            // Spread the hostile messages over the first half of the run.
            let share = min(
                hostileTotal - hostileSent,
                max(1, hostileTotal * 400 / max(1, settings.minimumRequests / 2))
            )
            for _ in 0..<share {
                let hostile = HostileCorpus.message(hostileSent, random: &hostileRandom)
                chunk.insert(
                    OutgoingMessage(topic: topic, key: hostile.key, value: hostile.value),
                    at: Int(hostileRandom.next() % UInt64(chunk.count + 1))
                )
                switch hostile.expectation {
                case .deadLetter: traffic.expectedDeadLetters += 1
                case .logged: traffic.expectedLogRows += 1
                }
                hostileSent += 1
            }
            for result in producer.produceAndWait(chunk, timeout: .seconds(60)) {
                let report = try result.get()
                traffic.highWatermarks[report.partition] = max(
                    traffic.highWatermarks[report.partition] ?? 0,
                    report.offset + 1
                )
            }
            Thread.sleep(forTimeInterval: 0.15)
        }
        traffic.expectedLogRows += workload.counts[.valid] ?? 0
        traffic.expectedDeadLetters += workload.counts[.malformed] ?? 0
        report.requests = produced + hostileSent
        return traffic
    }

    // MARK: Faults

    private func inject(cluster: MockClusterProcess) {
        defer { injecting.store(false, ordering: .releasing) }
        let count = settings.scenario.injections(long: settings.long)
        Thread.sleep(forTimeInterval: 1.5)  // let the group form and traffic start
        switch settings.scenario {
        case .kills:
            for _ in 0..<count {
                let victim = services[Int(random.next() % UInt64(services.count))]
                victim.kill()
                report.injected += 1
                pause(0.1...0.8)
                try? victim.start()
                pause(0.3...1.2)
            }
        case .brokerOutage:
            for index in 0..<count {
                let broker = index % 3 + 1
                // A cluster that is gone ends the injection; the scenario reports it.
                guard (try? cluster.setBroker(broker, up: false)) != nil else { return }
                report.injected += 1
                pause(1.5...1.5)
                guard (try? cluster.setBroker(broker, up: true)) != nil else { return }
                pause(1.0...2.0)
            }
        case .postgresRestart:
            guard let command = settings.postgresRestart else {
                report.problems.append("not run: no --postgres-restart command given")
                return
            }
            for _ in 0..<count {
                // libc system(), not Foundation's Process: the restarted postmaster daemonizes and keeps a descriptor
                // Foundation watches for the child's exit, so Process never sees the command end.
                let status = system("(\(command)) </dev/null >/dev/null 2>&1")
                if status != 0 {
                    report.problems.append("postgres restart command exited with status \(status)")
                }
                report.injected += 1
                pause(3.0...5.0)
            }
        case .rebalanceStorm:
            for _ in 0..<count {
                let extra = extras[Int(random.next() % UInt64(extras.count))]
                if extra.isRunning {
                    if random.next() % 2 == 0 { extra.kill() } else { extra.stop() }
                } else {
                    try? extra.start()
                }
                report.injected += 1
                pause(0.7...1.5)
            }
        case .hostileInput:
            report.injected = count  // injected by the producer
            pause(2.0...2.0)
        case .rewardAPIFaults:
            report.injected = count  // the fake API's fault rates, for the whole run
            pause(2.0...2.0)
        }
    }

    private func pause(_ range: ClosedRange<Double>) {
        let fraction = Double(random.next() % 1_000) / 1_000
        Thread.sleep(forTimeInterval: range.lowerBound + (range.upperBound - range.lowerBound) * fraction)
    }

    // MARK: Checks

    private func connection() throws -> PostgresConnection {
        try PostgresConnection.connect(settings.postgres, applicationName: "attendance-faults", searchPath: schema)
    }

    private func waitForQuiescence(highWatermarks: [Int32: Int64], cluster: MockClusterProcess) throws {
        let deadline = Date().addingTimeInterval(settings.long ? 900 : 300)
        let slot = MessageSlot(schema: schema)
        // The WAL position of the previous round: everything committed before it must have been published.
        var previousPosition: LogSequenceNumber?
        while true {
            try cluster.checkRunning()
            if let db = try? connection() {
                defer { db.close() }
                let stored = try? db.execute(
                    "SELECT partition, next_offset FROM consumer_offset WHERE group_id = 'faults'"
                )
                var offsets: [Int32: Int64] = [:]
                if let stored {
                    for row in 0..<stored.count {
                        if let partition = stored.int(row, 0), let next = stored.int64(row, 1) {
                            offsets[Int32(partition)] = next
                        }
                    }
                }
                let legacy = (try? OutboxStore.backlog(on: db).count) ?? -1
                let published = previousPosition.flatMap { try? slot.hasPublished(through: $0, on: db) } ?? false
                previousPosition = try? MessageSlot.currentPosition(on: db)
                let backlog = legacy == 0 && published ? 0 : 1
                let pending =
                    (try? db.execute("SELECT count(*) FROM event_attendance_reward_log WHERE status = 'PENDING'")
                        .int(0, 0)) ?? -1
                if offsets == highWatermarks, backlog == 0, pending == 0 { return }
            }
            guard Date() < deadline else {
                throw FaultSuiteError(
                    "\(settings.scenario.rawValue): not quiescent in time (consumers or relay stuck?)"
                )
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    private func checkInvariants(traffic: Traffic, bootstrap: String) throws {
        let db = try connection()
        defer { db.close() }
        let counts = try db.execute(
            """
            SELECT (SELECT count(*) FROM event_attendance_log),
                   (SELECT count(DISTINCT (event_id, request_id)) FROM event_attendance_log),
                   (SELECT count(*) FROM event_attendance_log WHERE status = 'CHECK_IN'),
                   (SELECT count(*) FROM event_attendance_history),
                   (SELECT count(*) FROM event_attendance_log l LEFT JOIN event_attendance_history h
                        ON h.attendance_log_id = l.id WHERE l.status = 'CHECK_IN' AND h.id IS NULL),
                   (SELECT count(*) FROM event_attendance_reward_log),
                   (SELECT count(*) + count(*) FILTER (WHERE streak_attendance_count % 7 = 0)
                         + count(*) FILTER (WHERE total_attendance_count = 5) FROM event_attendance_history)
            """
        )
        let logRows = counts.int(0, 0) ?? -1
        report.logRows = logRows
        report.historyRows = counts.int(0, 3) ?? -1
        report.rewardRows = counts.int(0, 5) ?? -1
        report.expectedRewards = counts.int(0, 6) ?? -1
        if logRows != traffic.expectedLogRows {
            report.problems.append("\(logRows) log rows for \(traffic.expectedLogRows) distinct requests")
        }
        if counts.int(0, 1) != logRows { report.problems.append("a request was logged twice") }
        if counts.int(0, 2) != report.historyRows { report.problems.append("history rows differ from successes") }
        if counts.int(0, 4) != 0 { report.problems.append("a success has no history row") }
        if report.rewardRows != report.expectedRewards {
            report.problems.append("\(report.rewardRows) rewards for \(report.expectedRewards) earned")
        }

        // Every earned reward ended visibly: paid once (the API's ledger agrees), or parked / failed for an operator.
        let rewards = try db.execute(
            """
            SELECT count(*) FILTER (WHERE status = 'SUCCEEDED'),
                   count(*) FILTER (WHERE status = 'SUCCEEDED' AND transaction_id IS NULL),
                   count(*) FILTER (WHERE status IN ('PARKED', 'FAILED', 'BUDGET_EXCEEDED')),
                   count(*) FILTER (WHERE status NOT IN ('SUCCEEDED', 'PARKED', 'FAILED', 'BUDGET_EXCEEDED'))
            FROM event_attendance_reward_log
            """
        )
        report.rewardsSucceeded = rewards.int(0, 0) ?? -1
        report.rewardsParked = rewards.int(0, 2) ?? -1
        report.paidByAPI = try Self.paidByAPI(apiURL)
        if rewards.int(0, 1) != 0 { report.problems.append("a settled reward has no transaction id") }
        if rewards.int(0, 3) != 0 { report.problems.append("\(rewards.int(0, 3) ?? -1) rewards not in a final state") }
        if report.paidByAPI < report.rewardsSucceeded
            || report.paidByAPI > report.rewardsSucceeded + report.rewardsParked
        {
            report.problems.append(
                "the API paid \(report.paidByAPI) keys for \(report.rewardsSucceeded) settled and \(report.rewardsParked) parked rewards"
            )
        }

        // Every dead letter reached the DLQ topic (the relay may publish a row twice after a kill: counted apart).
        report.expectedDeadLetters = traffic.expectedDeadLetters
        let (distinct, copies) = try readDeadLetters(bootstrap: bootstrap, expected: traffic.expectedDeadLetters)
        report.deadLetters = distinct
        report.deadLetterCopies = copies
        if distinct != traffic.expectedDeadLetters {
            report.problems.append(
                "\(distinct) dead letters on the DLQ for \(traffic.expectedDeadLetters) bad messages"
            )
        }
    }

    /// Distinct idempotency keys the fake API paid (its ledger counts a key once, however often it is sent).
    static func paidByAPI(_ baseURL: String) throws -> Int {
        guard let url = URL(string: baseURL + "/v1/ledger/summary"), let data = try? Data(contentsOf: url),
            let summary = try? JSONDecoder().decode(FakeRewardLedger.Counters.self, from: data)
        else { throw FaultSuiteError("cannot read the fake reward API's ledger") }
        return summary.paid
    }

    private func readDeadLetters(bootstrap: String, expected: Int) throws -> (distinct: Int, copies: Int) {
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration(bootstrapServers: bootstrap),
            groupID: "faults-dlq-reader-\(UUID().uuidString)",
            rebalanceListener: nil,
            logger: logger
        )
        defer { consumer.close() }
        try consumer.subscribe([TopicNames.standard.checkInRequestsDLQ])
        var seen = Set<String>()
        var copies = 0
        var lastNew = Date()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, Date().timeIntervalSince(lastNew) < (seen.count >= expected ? 2 : 15) {
            guard let message = try consumer.poll(timeout: .milliseconds(200)) else { continue }
            let deadLetter = DeadLetterHeaders(
                parsing: message.headers.map { MessageHeader(name: $0.key, value: $0.value) }
            )
            let source = deadLetter?.source.map { "\($0.partition):\($0.offset)" } ?? "?"
            copies += 1
            if seen.insert(source).inserted { lastNew = Date() }
        }
        return (seen.count, copies)
    }
}
