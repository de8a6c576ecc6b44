extension PostgresConnection {
    /// Quotes an identifier (schema, table, column) for places where identifiers cannot be parameters:
    /// wraps it in double quotes and doubles any embedded double quote. NUL characters, which no
    /// identifier can contain, are dropped.
    public static func quoteIdentifier(_ name: String) -> String {
        var quoted = "\""
        for scalar in name.unicodeScalars where scalar != "\0" {
            if scalar == "\"" { quoted.unicodeScalars.append("\"") }
            quoted.unicodeScalars.append(scalar)
        }
        quoted.append("\"")
        return quoted
    }

    /// Whether `name` is a schema name this project accepts: `^[a-z_][a-z0-9_]{0,62}$` — lower case, so it
    /// means the same quoted or unquoted, and at most 63 bytes, so Postgres does not truncate it.
    public static func isValidSchemaName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 63 else { return false }
        func isLetter(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || byte == UInt8(ascii: "_")
        }
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        return isLetter(first) && bytes.dropFirst().allSatisfy { isLetter($0) || isDigit($0) }
    }

    /// Splits a `search_path` setting (`"tenant_a, public"`) into validated schema names.
    static func parseSearchPath(_ searchPath: String, file: String, line: Int) throws(PostgresError) -> [String] {
        let schemas = searchPath.split(separator: ",", omittingEmptySubsequences: false).map { entry in
            var schema = entry
            while schema.first?.isWhitespace == true { schema.removeFirst() }
            while schema.last?.isWhitespace == true { schema.removeLast() }
            return String(schema)
        }
        for schema in schemas where !Self.isValidSchemaName(schema) {
            throw PostgresError(
                code: .invalidConfiguration,
                message: "searchPath: \"\(schema)\" is not a valid schema name (expected ^[a-z_][a-z0-9_]{0,62}$)",
                file: file,
                line: line
            )
        }
        return schemas
    }
}
