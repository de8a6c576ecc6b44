/// One JSON object of a policy file, read field by field with every problem recorded.
///
/// Unknown and repeated keys are refused up front: in a hand-edited operator file they are
/// almost always typos (`max_participant`) or leftovers, and silently ignoring them would apply
/// a policy the operator did not write.
struct PolicyObject {
    private let prefix: String
    private var values: [String: JSONValue] = [:]

    /// `nil` (with a problem recorded) unless `value` is an object.
    init?(_ value: JSONValue, path: String, knownKeys: Set<String>, _ problems: inout PolicyProblems) {
        guard case .object(let members) = value else {
            problems.add(path.isEmpty ? "(file)" : path, "must be an object")
            return nil
        }
        prefix = path.isEmpty ? "" : path + "."
        for member in members {
            if !knownKeys.contains(member.key) {
                problems.add(prefix + member.key, "unknown field")
            } else if values[member.key] != nil {
                problems.add(prefix + member.key, "appears more than once")
            } else {
                values[member.key] = member.value
            }
        }
    }

    func path(_ key: String) -> String { prefix + key }

    /// The value, with JSON `null` treated as absent.
    func value(_ key: String) -> JSONValue? {
        if case .null = values[key] { return nil }
        return values[key]
    }

    func isPresent(_ key: String) -> Bool { value(key) != nil }

    func string(_ key: String, required: Bool, _ problems: inout PolicyProblems) -> String? {
        guard let value = presentValue(key, required: required, &problems) else { return nil }
        guard case .string(let string) = value else {
            problems.add(path(key), "must be a string")
            return nil
        }
        return string
    }

    func integer(_ key: String, required: Bool, _ problems: inout PolicyProblems) -> Int64? {
        guard let value = presentValue(key, required: required, &problems) else { return nil }
        switch value {
        case .number(.integer(let integer)):
            return integer
        case .number(.integerOutOfRange(let negative)):
            problems.add(path(key), negative ? "must be greater than 0" : "must be at most \(Int64.max)")
            return nil
        default:
            problems.add(path(key), "must be an integer")
            return nil
        }
    }

    func bool(_ key: String, required: Bool, _ problems: inout PolicyProblems) -> Bool? {
        guard let value = presentValue(key, required: required, &problems) else { return nil }
        guard case .bool(let bool) = value else {
            problems.add(path(key), "must be true or false")
            return nil
        }
        return bool
    }

    func timestamp(_ key: String, _ problems: inout PolicyProblems) -> Timestamp? {
        guard let text = string(key, required: true, &problems) else { return nil }
        guard let timestamp = Timestamp(rfc3339: text) else {
            problems.add(path(key), "must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T00:00:00+09:00")
            return nil
        }
        return timestamp
    }

    /// One of `E`'s raw values.
    func enumeration<E: RawRepresentable & CaseIterable>(
        _ key: String,
        _ type: E.Type,
        _ problems: inout PolicyProblems
    ) -> E? where E.RawValue == String {
        guard let text = string(key, required: true, &problems) else { return nil }
        guard let value = E(rawValue: text) else {
            let choices = E.allCases.map(\.rawValue).joined(separator: ", ")
            problems.add(path(key), "must be one of \(choices)")
            return nil
        }
        return value
    }

    private func presentValue(_ key: String, required: Bool, _ problems: inout PolicyProblems) -> JSONValue? {
        guard let value = value(key) else {
            if required { problems.add(path(key), "is required") }
            return nil
        }
        return value
    }
}
