import Consumer
import Domain
import Foundation

/// A check-in submitted over HTTP, turned into exactly the Kafka message an upstream producer would send, and
/// validated by the consumer's own parser: what the consumer would set aside (or log as INVALID_REQUEST) is a
/// 400 here, and nothing is produced.
struct CheckInSubmission: Sendable {
    static let maximumBodyBytes = 16 * 1024

    let eventID: Int64
    let request: CheckInRequest
    let message: OutgoingMessage

    private struct Body: Decodable {
        let member_id: Int64
        let request_id: String
        let requested_at: String?
        let channel: String?
    }

    private struct Value: Encodable {
        let event_id: Int64
        let member_id: Int64
        let request_id: String
        let requested_at: String
        let channel: String?
    }

    init(eventID: Int64, body: Data, topic: String, traceParent: String?, now: Timestamp = .now()) throws(APIProblem) {
        let decoded: Body
        do {
            decoded = try JSONDecoder().decode(Body.self, from: body)
        } catch let error as DecodingError {
            throw .invalidBody(Self.describe(error))
        } catch {
            throw .invalidBody("the body is not JSON")
        }
        let value = Value(
            event_id: eventID,
            member_id: decoded.member_id,
            request_id: decoded.request_id,
            requested_at: decoded.requested_at ?? now.description,
            channel: decoded.channel
        )
        let key = Array("\(eventID):\(decoded.member_id)".utf8)
        let bytes: [UInt8]
        do {
            bytes = Array(try Self.encoder.encode(value))
        } catch {
            throw .invalidBody("the body cannot be encoded as a check-in")
        }
        switch CheckInMessage.parse(key: key, value: bytes) {
        case .failure(let malformed):
            throw .invalidBody("\(malformed.code.rawValue): \(malformed.detail)")
        case .success(let request):
            if let reason = request.invalidReason { throw .invalidBody("INVALID_REQUEST: \(reason)") }
            self.eventID = eventID
            self.request = request
        }
        var headers: [KafkaHeader] = []
        if let traceParent, traceParent.utf8.count <= 55 {
            headers.append(KafkaHeader(key: "traceparent", value: Array(traceParent.utf8)))
        }
        self.message = OutgoingMessage(topic: topic, key: key, value: bytes, headers: headers)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let names = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return names.isEmpty ? "the body" : names.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "\(key.stringValue) is required"
        case .typeMismatch(_, let context): return "\(path(context)) has the wrong type"
        case .valueNotFound(_, let context): return "\(path(context)) must not be null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not a JSON object" : "\(path(context)) is not valid"
        @unknown default: return "the body is not valid"
        }
    }
}
