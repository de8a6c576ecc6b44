import Consumer
import Domain
import Foundation
import Hummingbird
import Metrics
import Projections

extension APIServer {
    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/health/live") { _, _ in
            Self.json(.ok, #"{"live":true,"uptime_seconds":\#(Int(Date().timeIntervalSince(self.startedAtDate)))}"#)
        }
        router.get("/health/ready") { _, _ in
            let (ready, checks) = self.readiness
            let body = try Self.encode(Readiness(ready: ready, checks: checks))
            return Response(
                status: ready ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"],
                body: body
            )
        }
        router.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml"],
                body: ResponseBody(byteBuffer: self.openAPIDocument)
            )
        }
        router.post("/v1/events/:event_id/check-ins") { request, context in
            try await self.submit(request, context)
        }
        router.get("/v1/events/:event_id/check-ins/:request_id") { request, context in
            try await self.outcome(request, context)
        }
        router.get("/v1/events/:event_id/members/:member_id/attendance") { request, context in
            try await self.memberAttendance(request, context)
        }
        router.get("/v1/events/:event_id/summary") { request, context in
            try await self.summary(request, context)
        }
    }

    // MARK: - Operations

    func submit(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let principal = try await authorize(request, .checkinsWrite)
        let eventID = try Self.positiveID(context, "event_id")
        let wait = try waitDuration(request, default: configuration.defaultWait)
        let body = try await request.body.collect(upTo: CheckInSubmission.maximumBodyBytes)
        let submission = try CheckInSubmission(
            eventID: eventID,
            body: Data(buffer: body),
            topic: configuration.topics.checkInRequests,
            traceParent: request.headers[.init("traceparent")!]
        )
        try principal.requireMember(submission.request.memberID)
        let requestID = submission.request.requestID
        let key = OutcomeWaiters.Key(eventID: eventID, requestID: requestID)

        // Register before looking and producing: an outcome published in between still wakes this request.
        let ticket = waiters.register(key)
        let earlier: CheckInOutcomeRecord?
        do {
            earlier = try await readOutcome(eventID: eventID, requestID: requestID)
        } catch {
            waiters.cancel(ticket)
            throw error
        }
        if let earlier {
            waiters.cancel(ticket)
            return try answer(earlier, for: submission)
        }
        do {
            _ = try await produce(submission.message)
        } catch {
            waiters.cancel(ticket)
            logger.warning("check-in not produced", metadata: ["event": "\(eventID)", "error": "\(error)"])
            throw APIProblem.unavailable("kafka-unavailable", "the check-in could not be handed to Kafka; retry it")
        }
        Counter(label: "attendance_api_checkins_submitted_total").increment()
        if await waiters.wait(ticket, timeout: wait),
            let recorded = try await readOutcome(eventID: eventID, requestID: requestID)
        {
            return try answer(recorded, for: submission)
        }
        Counter(label: "attendance_api_checkins_pending_total").increment()
        let location = Self.outcomePath(eventID: eventID, requestID: requestID)
        var response = Response(
            status: .accepted,
            headers: [.contentType: "application/json"],
            body: try Self.encode(PendingCheckInBody(event_id: eventID, request_id: requestID, location: location))
        )
        response.headers[.location] = location
        return response
    }

    func outcome(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let principal = try await authorize(request, .attendanceRead, .checkinsWrite)
        let eventID = try Self.positiveID(context, "event_id")
        let requestID = try Self.requestID(context)
        let wait = try waitDuration(request, default: .zero)
        let ticket = wait > .zero ? waiters.register(.init(eventID: eventID, requestID: requestID)) : nil
        var recorded: CheckInOutcomeRecord?
        do {
            recorded = try await readOutcome(eventID: eventID, requestID: requestID)
        } catch {
            if let ticket { waiters.cancel(ticket) }
            throw error
        }
        if let ticket {
            if recorded == nil, await waiters.wait(ticket, timeout: wait) {
                recorded = try await readOutcome(eventID: eventID, requestID: requestID)
            } else {
                waiters.cancel(ticket)
            }
        }
        guard let recorded else {
            throw APIProblem.notFound(
                "outcome-not-found",
                "no outcome is recorded for request \(requestID) of event \(eventID) (not decided yet, or never sent)"
            )
        }
        try principal.requireMember(recorded.memberID)
        return Self.jsonResponse(.ok, CheckInOutcomeBody(record: recorded))
    }

    func memberAttendance(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let principal = try await authorize(request, .attendanceRead)
        let eventID = try Self.positiveID(context, "event_id")
        let memberID = try Self.positiveID(context, "member_id")
        try principal.requireMember(memberID)
        let (policy, record) = try await lanes.read { store -> (VersionedPolicy?, MemberAttendanceRecord?) in
            guard let policy = try store.policy(eventID: eventID) else { return (nil, nil) }
            return (policy, try store.memberAttendance(eventID: eventID, memberID: memberID))
        }
        guard let policy, let record else {
            throw APIProblem.notFound("event-not-found", "there is no event \(eventID)")
        }
        return Self.jsonResponse(
            .ok,
            MemberAttendanceBody(policy: policy.policy, memberID: memberID, record: record, now: .now())
        )
    }

    func summary(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        _ = try await authorize(request, .reportsRead)
        let eventID = try Self.positiveID(context, "event_id")
        let query = request.uri.queryParameters
        let from = try query.get("from").map { try Self.date($0, "from") }
        let to = try query.get("to").map { try Self.date($0, "to") }
        let format = query.get("format") ?? (request.headers[.accept]?.contains("text/csv") == true ? "csv" : "json")
        guard format == "json" || format == "csv" else {
            throw APIProblem.invalidRequest("format must be json or csv")
        }
        let maximumDays = configuration.maximumSummaryDays
        let rendered = try await lanes.read { store in
            try EventSummaryReport.render(
                store,
                eventID: eventID,
                from: from,
                to: to,
                format: format == "csv" ? .csv : .json,
                maximumDays: maximumDays
            )
        }
        guard let rendered else { throw APIProblem.notFound("event-not-found", "there is no event \(eventID)") }
        return Response(
            status: .ok,
            headers: [.contentType: format == "csv" ? "text/csv; charset=utf-8" : "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: rendered))
        )
    }

    // MARK: - Helpers

    /// Verifies the token, counts the request against the client's rate limit, checks the scope.
    func authorize(_ request: Request, _ scopes: Principal.Scope...) async throws -> Principal {
        let principal = try await verifier.principal(authorization: request.headers[.authorization])
        if let retryAfter = limiter.admit(principal.subject) {
            Counter(label: "attendance_api_rate_limited_total").increment()
            throw APIProblem.rateLimited(retryAfter: retryAfter)
        }
        try principal.require(scopes)
        return principal
    }

    func readOutcome(eventID: Int64, requestID: String) async throws -> CheckInOutcomeRecord? {
        try await lanes.read { try $0.outcome(eventID: eventID, requestID: requestID) }
    }

    /// The recorded outcome, unless the request id was already used in this event by another member.
    func answer(_ recorded: CheckInOutcomeRecord, for submission: CheckInSubmission) throws -> Response {
        guard recorded.memberID == submission.request.memberID else {
            throw APIProblem(
                .conflict,
                "request-id-reused",
                "The request id is taken",
                detail: "request \(recorded.requestID) of event \(recorded.eventID) was already used by another member"
            )
        }
        return Self.jsonResponse(.ok, CheckInOutcomeBody(record: recorded))
    }

    func produce(_ message: OutgoingMessage) async throws -> DeliveryReport {
        let producer = self.producer
        return try await withCheckedThrowingContinuation { continuation in
            producing.execute {
                producer.produce(message) { continuation.resume(with: $0.mapError { $0 as any Error }) }
            }
        }
    }

    func waitDuration(_ request: Request, default value: Duration) throws -> Duration {
        guard let text = request.uri.queryParameters.get("wait_ms") else { return value }
        guard let milliseconds = Int(text), milliseconds >= 0, milliseconds <= 30_000 else {
            throw APIProblem.invalidRequest("wait_ms must be an integer from 0 to 30000")
        }
        return min(.milliseconds(milliseconds), configuration.maximumWait)
    }

    static func positiveID(_ context: BasicRequestContext, _ name: String) throws -> Int64 {
        guard let text = context.parameters.get(name), let value = Int64(text), value > 0,
            text.first != "+", String(value) == text
        else {
            throw APIProblem.invalidRequest("\(name) must be a positive integer that fits in 64 bits")
        }
        return value
    }

    static func requestID(_ context: BasicRequestContext) throws -> String {
        let raw = context.parameters.get("request_id") ?? ""
        let text = raw.removingPercentEncoding ?? raw
        guard (1...64).contains(text.utf8.count), text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIProblem.invalidRequest("request_id must be 1–64 visible ASCII characters")
        }
        return text
    }

    static func date(_ text: String, _ name: String) throws -> AttendanceDate {
        guard text.utf8.count == 10, let date = AttendanceDate(iso: text) else {
            throw APIProblem.invalidRequest("\(name) must be a date as YYYY-MM-DD")
        }
        return date
    }

    static func outcomePath(eventID: Int64, requestID: String) -> String {
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#%;"))
        let encoded = requestID.addingPercentEncoding(withAllowedCharacters: allowed) ?? requestID
        return "/v1/events/\(eventID)/check-ins/\(encoded)"
    }

    struct Readiness: Encodable {
        let ready: Bool
        let checks: [String: String]
    }

    static func encodeData(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func encode(_ value: some Encodable) throws -> ResponseBody {
        ResponseBody(byteBuffer: ByteBuffer(bytes: try encodeData(value)))
    }

    static func jsonResponse(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: try encode(value))
    }

    /// The hot bodies, written without `JSONEncoder` (see `JSONBody`).
    static func jsonResponse(_ status: HTTPResponse.Status, _ value: some JSONBody) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.jsonBytes))
        )
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}

/// The attendance days an event summary covers: what was asked, or the event's whole period, at most
/// `maximumDays` long.
struct EventSummaryRange {
    let from: AttendanceDate
    let to: AttendanceDate

    init(policy: EventPolicy, from: AttendanceDate?, to: AttendanceDate?, maximumDays: Int) throws {
        let first = policy.attendanceDate(of: policy.startsAt)
        let last = policy.attendanceDate(of: policy.endsAt.adding(seconds: -1))
        let end = to ?? last
        let start = from ?? max(first, end.adding(days: -(maximumDays - 1)))
        guard start <= end else { throw APIProblem.invalidRequest("from must not be after to") }
        guard end.daysSinceEpoch - start.daysSinceEpoch < maximumDays else {
            throw APIProblem.invalidRequest("the range is longer than \(maximumDays) days; ask for a shorter one")
        }
        self.from = start
        self.to = end
    }
}
