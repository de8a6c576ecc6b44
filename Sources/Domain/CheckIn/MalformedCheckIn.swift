/// Why a message has no usable event id, member id or request id and goes to the dead-letter topic.
public struct MalformedCheckIn: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        case tooLarge = "TOO_LARGE"
        case missingKey = "MISSING_KEY"
        case invalidKey = "INVALID_KEY"
        case notJSON = "NOT_JSON"
        case notObject = "NOT_OBJECT"
        case missingField = "MISSING_FIELD"
        case wrongType = "WRONG_TYPE"
        case outOfRange = "OUT_OF_RANGE"
        case keyMismatch = "KEY_MISMATCH"
        case invalidRequestID = "INVALID_REQUEST_ID"
    }

    public let code: Code
    /// Names the field or position; never repeats the payload (it may be anything, and it ends
    /// up in headers and logs).
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}
