import Foundation
import Hummingbird

/// An RFC 9457 problem (`application/problem+json`). `type` names the problem and never changes; `detail` says
/// what was wrong with this request without echoing secrets (tokens, keys) or internals.
public struct APIProblem: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    /// The stable part of the type URI: `urn:attendance:problem:<name>`.
    public let name: String
    public let title: String
    public let detail: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ name: String, _ title: String, detail: String) {
        self.status = status
        self.name = name
        self.title = title
        self.detail = detail
    }

    public var type: String { "urn:attendance:problem:\(name)" }

    public var description: String { "\(status.code) \(type): \(detail)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        let body = Body(type: type, title: title, status: Int(status.code), detail: detail, instance: request.uri.path)
        let data = (try? Self.encoder.encode(body)) ?? Data()
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    struct Body: Codable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let instance: String
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

extension APIProblem {
    static func invalidRequest(_ detail: String) -> APIProblem {
        APIProblem(.badRequest, "invalid-request", "The request is not valid", detail: detail)
    }

    static func invalidBody(_ detail: String) -> APIProblem {
        APIProblem(.badRequest, "invalid-body", "The request body is not valid", detail: detail)
    }

    static func bodyTooLarge(limit: Int) -> APIProblem {
        APIProblem(
            .badRequest,
            "body-too-large",
            "The request body is too large",
            detail: "the body is larger than \(limit) bytes"
        )
    }

    static func unauthorized(_ name: String, _ detail: String) -> APIProblem {
        var problem = APIProblem(.unauthorized, name, "Authentication required", detail: detail)
        problem.headers[.wwwAuthenticate] = #"Bearer realm="attendance", error="invalid_token""#
        return problem
    }

    static func forbidden(_ name: String, _ detail: String) -> APIProblem {
        APIProblem(.forbidden, name, "Not allowed", detail: detail)
    }

    static func notFound(_ name: String, _ detail: String) -> APIProblem {
        APIProblem(.notFound, name, "Not found", detail: detail)
    }

    static func rateLimited(retryAfter seconds: Int) -> APIProblem {
        var problem = APIProblem(
            .tooManyRequests,
            "rate-limited",
            "Too many requests",
            detail: "this client's request rate limit is used up; retry after \(seconds) s"
        )
        problem.headers[.retryAfter] = String(seconds)
        return problem
    }

    static func unavailable(_ name: String, _ detail: String) -> APIProblem {
        var problem = APIProblem(.serviceUnavailable, name, "Temporarily unavailable", detail: detail)
        problem.headers[.retryAfter] = "1"
        return problem
    }

    static func internalError() -> APIProblem {
        APIProblem(.internalServerError, "internal", "Internal error", detail: "the server failed; it was logged")
    }
}
