import ArgumentParser
import AttendanceAPI
import CommandSupport
import Domain
import Projections

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "An event's summary: participants, successes per day, fail reasons, rewards by state, budget.",
        discussion: """
            The same report as GET /v1/events/{id}/summary of the API, for a person without an HTTP client. \
            Dates are attendance days in the event's timezone, inclusive; default the event's whole period.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The event.")
    var event: Int64

    @Option(help: "First attendance day (YYYY-MM-DD).")
    var from: String?

    @Option(help: "Last attendance day (YYYY-MM-DD).")
    var to: String?

    @Option(help: "json or csv.")
    var format = "json"

    func run() async throws {
        let postgres = try database.requireDatabase()
        let schema = try database.resolvedSchema()
        guard let format = EventSummaryReport.Format(rawValue: format) else {
            throw ConfigurationError("--format must be json or csv")
        }
        let first = try from.map { try Self.date($0, "--from") }
        let last = try to.map { try Self.date($0, "--to") }
        let eventID = event
        let text = try await Blocking.run("report") { () throws -> String? in
            let connection = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-report",
                searchPath: schema
            )
            defer { connection.close() }
            do {
                return try EventSummaryReport.render(
                    try AttendanceReadStore(connection: connection),
                    eventID: eventID,
                    from: first,
                    to: last,
                    format: format
                )
            } catch let problem as APIProblem {
                throw ConfigurationError(problem.detail)
            }
        }
        guard let text else { throw ConfigurationError("there is no event \(eventID) in schema \(schema)") }
        print(text, terminator: format == .json ? "\n" : "")
    }

    static func date(_ text: String, _ name: String) throws -> AttendanceDate {
        guard text.utf8.count == 10, let date = AttendanceDate(iso: text) else {
            throw ConfigurationError("\(name) \(text) must be a date as YYYY-MM-DD")
        }
        return date
    }
}
