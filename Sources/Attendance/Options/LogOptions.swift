import ArgumentParser
import CommandSupport
import Logging

/// How much a long-running service logs (`consume`, `relay`, `settle`, `run`, `replay topic`).
struct LogOptions: ParsableArguments {
    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical (env ATTENDANCE_LOG_LEVEL, default info)."
    )
    var logLevel: String?

    func logger(label: String) throws -> Logger {
        let name = Environment.value(logLevel, "ATTENDANCE_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: name) else {
            throw ConfigurationError("--log-level / ATTENDANCE_LOG_LEVEL \"\(name)\" is not a log level")
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
