/// Turns a Kafka message of `attendance.check-in-requests.v1` into a ``CheckInRequest`` (PRODUCT §1).
///
/// Input may be anything a producer or an attacker can send; parsing never traps, never
/// recurses without bound and looks at each byte a bounded number of times.
public enum CheckInMessage {
    /// Values larger than this are refused before any parsing.
    public static let maximumValueBytes = 64 * 1024
    public static let maximumRequestIDLength = 64
    public static let maximumChannelLength = 32

    /// Parses a message.
    ///
    /// - key: UTF-8 `"{event_id}:{member_id}"`, both positive `Int64` in canonical decimal
    ///   (no sign, leading zeros or spaces).
    /// - value: a JSON object whose `event_id` and `member_id` (JSON integers, positive, fitting
    ///   `Int64`) equal the key's parts and whose `request_id` is 1–64 visible ASCII characters.
    ///
    /// Those make a request identifiable; anything wrong with them is a ``MalformedCheckIn``.
    /// A missing or invalid `requested_at` or `channel` still yields a request, with
    /// ``CheckInRequest/invalidReason`` set. Unknown fields are ignored; when a known field
    /// appears twice, the last occurrence wins (as in JavaScript and Jackson).
    public static func parse(key: [UInt8]?, value: [UInt8]?) -> Result<CheckInRequest, MalformedCheckIn> {
        do {
            return .success(try parseOrThrow(key: key, value: value))
        } catch {
            return .failure(error)
        }
    }

    private static func parseOrThrow(key: [UInt8]?, value: [UInt8]?) throws(MalformedCheckIn) -> CheckInRequest {
        let keyIDs = try parseKey(key)
        guard let value, !value.isEmpty else { throw MalformedCheckIn(.notJSON, "message has no value") }
        guard value.count <= maximumValueBytes else {
            throw MalformedCheckIn(.tooLarge, "value is \(value.count) bytes, more than \(maximumValueBytes)")
        }
        let fields = try readFields(value)

        let eventID = try identifier(fields.eventID, name: "event_id")
        let memberID = try identifier(fields.memberID, name: "member_id")
        guard eventID == keyIDs.eventID, memberID == keyIDs.memberID else {
            throw MalformedCheckIn(
                .keyMismatch,
                "value has event_id \(eventID), member_id \(memberID); key has \(keyIDs.eventID):\(keyIDs.memberID)"
            )
        }
        let requestID = try self.requestID(fields.requestID)

        var invalidReasons: [String] = []
        let requestedAt = readRequestedAt(fields.requestedAt, invalidReasons: &invalidReasons)
        let channel = readChannel(fields.channel, invalidReasons: &invalidReasons)
        return CheckInRequest(
            eventID: eventID,
            memberID: memberID,
            requestID: requestID,
            requestedAt: requestedAt,
            channel: channel,
            invalidReason: invalidReasons.isEmpty ? nil : invalidReasons.joined(separator: "; ")
        )
    }

    // MARK: Key

    private static func parseKey(_ key: [UInt8]?) throws(MalformedCheckIn) -> (eventID: Int64, memberID: Int64) {
        guard let key, !key.isEmpty else { throw MalformedCheckIn(.missingKey, "message has no key") }
        let invalid = MalformedCheckIn(
            .invalidKey,
            "key must be \"{event_id}:{member_id}\" in canonical decimal, both positive"
        )
        guard key.count <= 41, let colon = key.firstIndex(of: UInt8(ascii: ":")),
            let eventID = canonicalPositiveInteger(key[..<colon]),
            let memberID = canonicalPositiveInteger(key[(colon + 1)...])
        else { throw invalid }
        return (eventID, memberID)
    }

    /// `[1-9][0-9]*` that fits `Int64`.
    private static func canonicalPositiveInteger(_ digits: ArraySlice<UInt8>) -> Int64? {
        guard let first = digits.first, first != UInt8(ascii: "0"), digits.count <= 19 else { return nil }
        var value: Int64 = 0
        for byte in digits {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    // MARK: Value

    /// The raw values of the fields this module reads, as found in the top-level object.
    private struct Fields {
        var eventID: JSONValue?
        var memberID: JSONValue?
        var requestID: JSONValue?
        var requestedAt: JSONValue?
        var channel: JSONValue?
    }

    /// Reads the known fields of the top-level object and skips (but still validates) the rest.
    private static func readFields(_ value: [UInt8]) throws(MalformedCheckIn) -> Fields {
        var reader = JSONReader(value)
        var fields = Fields()
        let isObject = reader.peek() == UInt8(ascii: "{")
        do throws(JSONReader.Failure) {
            if isObject {
                try reader.readContainer(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), depth: 1) {
                    (reader) throws(JSONReader.Failure) in
                    let name = try reader.readString()
                    try reader.expect(UInt8(ascii: ":"))
                    switch name {
                    case "event_id": fields.eventID = try reader.readValue(depth: 2)
                    case "member_id": fields.memberID = try reader.readValue(depth: 2)
                    case "request_id": fields.requestID = try reader.readValue(depth: 2)
                    case "requested_at": fields.requestedAt = try reader.readValue(depth: 2)
                    case "channel": fields.channel = try reader.readValue(depth: 2)
                    default: try reader.skipValue(depth: 2)
                    }
                }
            } else {
                try reader.skipValue(depth: 1)
            }
            try reader.expectEnd()
        } catch {
            throw MalformedCheckIn(.notJSON, "\(error.reason) at byte \(error.offset)")
        }
        guard isObject else { throw MalformedCheckIn(.notObject, "value is JSON but not an object") }
        return fields
    }

    private static func identifier(_ value: JSONValue?, name: String) throws(MalformedCheckIn) -> Int64 {
        switch value {
        case nil:
            throw MalformedCheckIn(.missingField, "\(name): missing")
        case .number(.integer(let integer))?:
            guard integer > 0 else { throw MalformedCheckIn(.outOfRange, "\(name): must be positive") }
            return integer
        case .number(.integerOutOfRange)?:
            throw MalformedCheckIn(.outOfRange, "\(name): does not fit a signed 64-bit integer")
        case let other?:
            throw MalformedCheckIn(.wrongType, "\(name): must be a JSON integer, got \(other.typeName)")
        }
    }

    /// 1–64 characters from `!` (0x21) to `~` (0x7E).
    private static func requestID(_ value: JSONValue?) throws(MalformedCheckIn) -> String {
        switch value {
        case nil:
            throw MalformedCheckIn(.missingField, "request_id: missing")
        case .string(let string)?:
            let utf8 = string.utf8
            guard (1...maximumRequestIDLength).contains(utf8.count),
                utf8.allSatisfy({ (0x21...0x7E).contains($0) })
            else {
                throw MalformedCheckIn(.invalidRequestID, "request_id: must be 1–64 visible ASCII characters")
            }
            return string
        case let other?:
            throw MalformedCheckIn(.wrongType, "request_id: must be a string, got \(other.typeName)")
        }
    }

    private static func readRequestedAt(_ value: JSONValue?, invalidReasons: inout [String]) -> Timestamp? {
        switch value {
        case nil, .null?:
            invalidReasons.append("requested_at: missing")
        case .string(let text)?:
            if let timestamp = Timestamp(rfc3339: text) { return timestamp }
            invalidReasons.append("requested_at: not RFC 3339 with an offset")
        case let other?:
            invalidReasons.append("requested_at: must be a string, got \(other.typeName)")
        }
        return nil
    }

    /// Optional; length counts Unicode scalars, as a Postgres `varchar(32)` does.
    private static func readChannel(_ value: JSONValue?, invalidReasons: inout [String]) -> String? {
        switch value {
        case nil, .null?:
            return nil
        case .string(let channel)?:
            // Control characters (NUL above all, which Postgres text cannot hold) are refused here, as a fail
            // reason, so that no request can carry a value the database would reject.
            if channel.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                invalidReasons.append("channel: contains a control character")
            } else if channel.unicodeScalars.count <= maximumChannelLength {
                return channel
            } else {
                invalidReasons.append("channel: longer than \(maximumChannelLength) characters")
            }
        case let other?:
            invalidReasons.append("channel: must be a string, got \(other.typeName)")
        }
        return nil
    }
}
