/// A parsed JSON value that keeps what the standard library's `JSONSerialization` blurs:
/// integers stay exact (never through `Double`), `true` is not `1`, and object members keep
/// their order and duplicates so callers can decide what a repeated key means.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// How a validation message names this value's type ("got a string").
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(.integer), .number(.integerOutOfRange): "an integer"
        case .number(.nonInteger): "a non-integer number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// One member of an object, in document order.
public struct JSONMember: Sendable {
    public let key: String
    public let value: JSONValue
}

/// A JSON number, classified the way the rules in this module need it.
public enum JSONNumber: Sendable, Equatable {
    /// Written without fraction or exponent, and fits `Int64`.
    case integer(Int64)
    /// Written without fraction or exponent, but outside `Int64`.
    case integerOutOfRange(negative: Bool)
    /// Has a fraction or an exponent (`1.0`, `1e3`), so is not an integer for our purposes.
    case nonInteger
}
