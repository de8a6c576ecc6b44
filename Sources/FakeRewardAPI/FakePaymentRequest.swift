import Foundation
import NIOHTTP1

/// The body of a grant or issue request. A field that is missing or of the wrong type reads as `nil`, so the answer
/// can name the field that is wrong instead of refusing the whole body.
struct FakePaymentRequest: Decodable {
    var memberID: Int64?
    var reference: String?
    var amount: Int64?
    var couponGroupID: String?

    enum CodingKeys: String, CodingKey {
        case memberID = "member_id"
        case reference
        case amount
        case couponGroupID = "coupon_group_id"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.memberID = try? container.decode(Int64.self, forKey: .memberID)
        self.reference = try? container.decode(String.self, forKey: .reference)
        self.amount = try? container.decode(Int64.self, forKey: .amount)
        self.couponGroupID = try? container.decode(String.self, forKey: .couponGroupID)
    }

    private static let decoder = JSONDecoder()

    /// The payload, or nil when `body` is not a JSON object.
    static func decode(_ body: [UInt8]) -> FakePaymentRequest? {
        try? decoder.decode(FakePaymentRequest.self, from: Data(body))
    }
}

/// One complete HTTP request, as the fake's routes see it.
struct FakeRewardRequest {
    /// Larger bodies are refused with 413 (their bytes are not kept).
    static let maximumBody = 64 * 1024

    var method: HTTPMethod
    /// The target without its query.
    var path: String
    var idempotencyKey: String?
    var body: [UInt8] = []
    var bodyTooLarge = false
}
