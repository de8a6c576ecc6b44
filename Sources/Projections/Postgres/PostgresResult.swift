internal import CLibPQ

/// Owns one `PGresult` and clears it in `deinit`. Lives only for the duration of one call: its contents are
/// copied into ``PostgresRows`` or ``PostgresError`` before it is released.
final class PostgresResult {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer` (which libpq allocated and which nobody else will clear).
    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        PQclear(self.pointer)
    }

    var status: ExecStatusType { PQresultStatus(self.pointer) }

    func errorField(_ field: UInt8) -> String? {
        Self.field(field, of: self.pointer)
    }

    /// A diagnostic field (`PG_DIAG_*`, e.g. `C` for SQLSTATE) of a result this code may not own.
    static func field(_ field: UInt8, of result: OpaquePointer) -> String? {
        guard let value = PQresultErrorField(result, Int32(field)) else { return nil }
        return String(cString: value)
    }

    /// The server's error, classified. `connectionBroken` means libpq has marked the connection bad.
    func error(connectionBroken: Bool, fallbackMessage: String, file: String, line: Int) -> PostgresError {
        let sqlState = self.errorField(UInt8(ascii: "C"))
        var message = self.errorField(UInt8(ascii: "M")) ?? fallbackMessage
        if sqlState?.hasPrefix("22") == true {
            message = PostgresError.redactingQuotedText(message)
        }
        return PostgresError(
            code: connectionBroken ? .connectionLost : .queryFailed,
            sqlState: sqlState,
            message: message,
            detail: self.errorField(UInt8(ascii: "D")),
            constraint: self.errorField(UInt8(ascii: "n")),
            file: file,
            line: line
        )
    }

    func rows() -> PostgresRows {
        let rowCount = Int(PQntuples(self.pointer))
        let columnCount = Int(PQnfields(self.pointer))
        let columns = (0..<columnCount).map { String(cString: PQfname(self.pointer, Int32($0))) }
        var values = [String?]()
        values.reserveCapacity(rowCount * columnCount)
        for row in 0..<Int32(rowCount) {
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(self.pointer, row, column) == 1 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(self.pointer, row, column))
                    let start = UnsafeRawPointer(PQgetvalue(self.pointer, row, column)!)
                    let bytes = UnsafeRawBufferPointer(start: start, count: length)
                    values.append(String(decoding: bytes, as: UTF8.self))
                }
            }
        }
        let affected = Int(String(cString: PQcmdTuples(self.pointer))) ?? 0
        return PostgresRows(count: rowCount, columns: columns, values: values, affectedRows: affected)
    }
}
