import Foundation

@testable import Domain

/// A test-only validator for the subset of JSON Schema (2020-12) that the specs in `topics/` use: `type` (a name
/// or an array of names), `required`, `properties`, `additionalProperties` (boolean or schema), `enum`, `const`,
/// `pattern`, `minimum`, `maximum`, `minLength`, `maxLength`, `oneOf`, and `format` `date` / `date-time`.
///
/// Any other keyword is reported as unsupported rather than ignored, so a spec that grows past this subset fails
/// the tests instead of passing them unchecked. Annotations (`$schema`, `$id`, `title`, `description`) are skipped.
struct JSONSchemaValidator {
    private static let annotations: Set<String> = ["$schema", "$id", "title", "description"]
    private static let supported: Set<String> = [
        "type", "required", "properties", "additionalProperties", "enum", "const", "pattern", "minimum", "maximum",
        "minLength", "maxLength", "oneOf", "format",
    ]

    let schema: JSONValue

    init(schema: JSONValue) {
        self.schema = schema
    }

    /// The `value_schema` of a topic spec file.
    init(topicSpec url: URL) throws {
        let spec = try JSONReader.parseDocument(Array(try Data(contentsOf: url)))
        guard case .object(let members) = spec, let schema = members.first(where: { $0.key == "value_schema" })?.value
        else { throw ValidatorError(description: "\(url.lastPathComponent) has no value_schema") }
        self.schema = schema
    }

    struct ValidatorError: Error, CustomStringConvertible {
        let description: String
    }

    /// Every violation, each naming its JSON path; empty when `bytes` is valid.
    func violations(of bytes: [UInt8]) -> [String] {
        do {
            return violations(of: try JSONReader.parseDocument(bytes))
        } catch {
            return ["$: not JSON (\(error.reason) at byte \(error.offset))"]
        }
    }

    func violations(of value: JSONValue) -> [String] {
        var errors: [String] = []
        check(value, against: schema, at: "$", errors: &errors)
        return errors
    }

    private func check(_ value: JSONValue, against schema: JSONValue, at path: String, errors: inout [String]) {
        switch schema {
        case .bool(true): return
        case .bool(false):
            errors.append("\(path): not allowed")
            return
        case .object: break
        default:
            errors.append("\(path): schema is neither an object nor a boolean")
            return
        }
        let keywords = Self.members(schema)
        for (keyword, _) in keywords
        where !Self.supported.contains(keyword) && !Self.annotations.contains(keyword) {
            errors.append("\(path): unsupported schema keyword \(keyword)")
        }
        let rule = Dictionary(keywords, uniquingKeysWith: { first, _ in first })

        if let type = rule["type"] {
            let names: [String] =
                switch type {
                case .string(let name): [name]
                case .array(let items): items.compactMap { if case .string(let name) = $0 { name } else { nil } }
                default: []
                }
            if !names.contains(where: { Self.matches(value, type: $0) }) {
                errors.append("\(path): expected \(names.joined(separator: " or ")), got \(value.typeName)")
            }
        }
        if let allowed = rule["enum"], case .array(let options) = allowed,
            !options.contains(where: { Self.equal($0, value) })
        {
            errors.append("\(path): not one of the enumerated values")
        }
        if let constant = rule["const"], !Self.equal(constant, value) {
            errors.append("\(path): not the constant value")
        }
        if case .string(let text) = value {
            let length = text.unicodeScalars.count
            if case .number(.integer(let minimum)) = rule["minLength"], length < minimum {
                errors.append("\(path): shorter than \(minimum)")
            }
            if case .number(.integer(let maximum)) = rule["maxLength"], length > maximum {
                errors.append("\(path): longer than \(maximum)")
            }
            if case .string(let pattern) = rule["pattern"] {
                if let regex = try? NSRegularExpression(pattern: pattern) {
                    let range = NSRange(text.startIndex..., in: text)
                    if regex.firstMatch(in: text, range: range) == nil {
                        errors.append("\(path): does not match \(pattern)")
                    }
                } else {
                    errors.append("\(path): pattern \(pattern) does not compile")
                }
            }
            if case .string(let format) = rule["format"] {
                switch format {
                case "date" where AttendanceDate(iso: text) == nil: errors.append("\(path): not a date")
                case "date-time" where Timestamp(rfc3339: text) == nil:
                    errors.append("\(path): not an RFC 3339 date-time")
                case "date", "date-time": break
                default: errors.append("\(path): unsupported format \(format)")
                }
            }
        }
        if case .number(.integer(let number)) = value {
            if case .number(.integer(let minimum)) = rule["minimum"], number < minimum {
                errors.append("\(path): less than \(minimum)")
            }
            if case .number(.integer(let maximum)) = rule["maximum"], number > maximum {
                errors.append("\(path): greater than \(maximum)")
            }
        }
        if case .object(let members) = value {
            let properties = rule["properties"].map(Self.members) ?? []
            let propertySchemas = Dictionary(properties, uniquingKeysWith: { first, _ in first })
            if case .array(let required) = rule["required"] {
                for case .string(let name) in required where !members.contains(where: { $0.key == name }) {
                    errors.append("\(path): missing required \(name)")
                }
            }
            for member in members {
                let memberPath = "\(path).\(member.key)"
                if let propertySchema = propertySchemas[member.key] {
                    check(member.value, against: propertySchema, at: memberPath, errors: &errors)
                } else if let additional = rule["additionalProperties"] {
                    if case .bool(false) = additional {
                        errors.append("\(memberPath): additional property not allowed")
                    } else {
                        check(member.value, against: additional, at: memberPath, errors: &errors)
                    }
                }
            }
        }
        if case .array(let alternatives) = rule["oneOf"] {
            let passing = alternatives.filter { alternative in
                var branchErrors: [String] = []
                check(value, against: alternative, at: path, errors: &branchErrors)
                return branchErrors.isEmpty
            }
            if passing.count != 1 {
                errors.append("\(path): matches \(passing.count) of the oneOf alternatives, not exactly one")
            }
        }
    }

    private static func members(_ value: JSONValue) -> [(String, JSONValue)] {
        guard case .object(let members) = value else { return [] }
        return members.map { ($0.key, $0.value) }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(.integer)), ("integer", .number(.integerOutOfRange)): true
        case ("number", .number): true
        default: false
        }
    }

    private static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x), .number(let y)): x == y && x != .nonInteger
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            x.count == y.count
                && x.allSatisfy { member in y.contains { $0.key == member.key && equal($0.value, member.value) } }
        default: false
        }
    }
}
