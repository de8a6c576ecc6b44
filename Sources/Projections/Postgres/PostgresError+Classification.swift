extension PostgresError {
    /// Whether an error with this code and SQLSTATE is worth retrying.
    ///
    /// Retriable: every broken or failed connection (the server may be restarting), SQLSTATE class 08
    /// (connection exception), 40001 (serialization failure), 40P01 (deadlock), 57P01/57P02/57P03 (server
    /// shutting down or not yet accepting connections), class 53 (insufficient resources) and 55P03 (lock not
    /// available). Everything else — constraint violations, syntax errors, bad data — fails the same way again.
    public static func isRetriable(code: Code, sqlState: String?) -> Bool {
        switch code.base {
        case .connectionFailed, .connectionLost:
            return true
        case .connectionClosed, .protocolViolation, .invalidConfiguration:
            return false
        case .queryFailed:
            guard let sqlState else { return false }
            return isRetriable(sqlState: sqlState)
        }
    }

    static func isRetriable(sqlState: String) -> Bool {
        switch sqlState {
        case "40001", "40P01", "57P01", "57P02", "57P03", "55P03":
            return true
        default:
            return sqlState.hasPrefix("08") || sqlState.hasPrefix("53")
        }
    }

    /// Replaces double-quoted spans with `"…"`. Data exceptions (class 22) quote the rejected input
    /// (`invalid input syntax for type bigint: "abc"`), which may be a parameter value.
    static func redactingQuotedText(_ message: String) -> String {
        var result = ""
        var insideQuotes = false
        for character in message {
            if character == "\"" {
                result.append(insideQuotes ? "…\"" : "\"")
                insideQuotes.toggle()
            } else if !insideQuotes {
                result.append(character)
            }
        }
        if insideQuotes { result.append("…") }
        return result
    }
}
