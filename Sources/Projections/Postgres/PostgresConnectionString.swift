internal import CLibPQ

/// What the wrapper needs to know about a libpq connection string (URI or `key=value` form) without
/// ever echoing it: the password, so it can be cut out of libpq's error messages.
struct PostgresConnectionString: Sendable {
    let conninfo: String
    /// The password, if the string carries one; removed from every error message built from libpq text.
    let password: String?
    /// The settings the string carries as `key=value` pairs, the password as `***`.
    let redactedSettings: String

    init(_ conninfo: String, file: String, line: Int) throws(PostgresError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            // libpq quotes the offending fragment of the string, which may be the password: drop quoted text.
            let reason = errorMessage.map { String(cString: $0) } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(
                code: .invalidConfiguration,
                message: "invalid connection string: \(PostgresError.redactingQuotedText(Self.firstLine(reason)))",
                file: file,
                line: line
            )
        }
        defer { PQconninfoFree(options) }
        var password: String?
        var settings: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            let key = String(cString: keyword)
            if let pointer = option.pointee.val {
                let value = String(cString: pointer)
                if key == "password" {
                    password = value
                    settings.append("password=***")
                } else if !value.isEmpty {
                    settings.append("\(key)=\(value)")
                }
            }
            option += 1
        }
        self.conninfo = conninfo
        self.password = password.flatMap { $0.isEmpty ? nil : $0 }
        self.redactedSettings = settings.joined(separator: " ")
    }

    /// libpq's message with the password (if any) replaced by `***`, reduced to its meaningful lines.
    func redacting(_ libpqMessage: String) -> String {
        var message = libpqMessage
        if let password, message.contains(password) {
            message = message.split(separator: password, omittingEmptySubsequences: false).joined(separator: "***")
        }
        return message.split(whereSeparator: \.isNewline)
            .map { $0.trimmingPrefix(while: \.isWhitespace) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    static func firstLine(_ text: String) -> String {
        String(text.split(whereSeparator: \.isNewline).first ?? "")
    }
}
