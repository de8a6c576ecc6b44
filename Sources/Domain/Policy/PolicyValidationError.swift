/// Why an event policy was refused: every problem found, each naming its field.
public struct PolicyValidationError: Error, Sendable, CustomStringConvertible {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// Path of the field, e.g. `bonus_rules[1].reward.point_amount`; `(file)` for the document itself.
        public let field: String
        public let message: String

        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }

        public var description: String { "\(field): \(message)" }
    }

    /// Never empty.
    public let problems: [Problem]

    init(problems: [Problem]) {
        precondition(!problems.isEmpty, "a validation error needs at least one problem")
        self.problems = problems
    }

    /// One `field: message` per line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
