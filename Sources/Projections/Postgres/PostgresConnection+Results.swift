internal import CLibPQ
import Logging

extension PostgresConnection {
    /// Turns a libpq result into rows or a classified error, and notices when the connection broke.
    func rows(from pointer: OpaquePointer?, file: String, line: Int) throws(PostgresError) -> PostgresRows {
        guard let handle = self.handle else { throw self.closedError(file: file, line: line) }
        guard let pointer else {
            // No result at all: libpq could not send the query or ran out of memory.
            let broken = PQstatus(handle) == CONNECTION_BAD
            self.isKnownBroken = self.isKnownBroken || broken
            throw PostgresError(
                code: broken ? .connectionLost : .queryFailed,
                message: self.libpqMessage(handle),
                file: file,
                line: line
            )
        }
        let result = PostgresResult(pointer)
        switch result.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return result.rows()
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            self.abandonCopy(handle)
            throw PostgresError(
                code: .protocolViolation,
                message: "COPY to or from the client is not supported by this connection",
                file: file,
                line: line
            )
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
            let broken = PQstatus(handle) == CONNECTION_BAD
            if broken {
                self.isKnownBroken = true
                self.logger.warning("Postgres connection lost")
            }
            let error = result.error(
                connectionBroken: broken,
                fallbackMessage: self.libpqMessage(handle),
                file: file,
                line: line
            )
            if result.status == PGRES_BAD_RESPONSE, !broken {
                throw PostgresError(code: .protocolViolation, message: error.message, file: file, line: line)
            }
            throw error
        default:
            throw PostgresError(
                code: .protocolViolation,
                message: "unexpected result status \(String(cString: PQresStatus(result.status)))",
                file: file,
                line: line
            )
        }
    }

    /// Leaves COPY mode so the connection stays usable: ends a COPY IN with an error, drains a COPY OUT.
    private func abandonCopy(_ handle: OpaquePointer) {
        while let pointer = PQgetResult(handle) {
            let result = PostgresResult(pointer)
            switch result.status {
            case PGRES_COPY_IN:
                _ = PQputCopyEnd(handle, "COPY FROM STDIN is not supported by this client")
            case PGRES_COPY_OUT:
                var buffer: UnsafeMutablePointer<CChar>?
                while PQgetCopyData(handle, &buffer, 0) > 0 {
                    PQfreemem(buffer)
                }
            default:
                break
            }
        }
    }
}

/// libpq calls this (on the thread running the query) for every NOTICE or WARNING the server sends.
func receiveNotice(context: UnsafeMutableRawPointer?, result: OpaquePointer?) {
    guard let context, let result else { return }
    let connection = Unmanaged<PostgresConnection>.fromOpaque(context).takeUnretainedValue()
    let notice = PostgresResult.field(UInt8(ascii: "M"), of: result) ?? ""
    let severity = PostgresResult.field(UInt8(ascii: "V"), of: result) ?? "NOTICE"
    let level: Logger.Level = severity == "WARNING" ? .warning : .debug
    connection.logger.log(level: level, "Postgres \(severity): \(notice)")
}
