import Foundation
import JWTKit
import Synchronization

/// Verifies bearer tokens with jwt-kit against the configured keys, then checks issuer, audience and expiry.
///
/// A verified token's principal is cached until the token expires (bounded), so a client reusing its token
/// costs one dictionary look-up per request instead of a signature check. Nothing here logs or returns the
/// token or a key.
public final class TokenVerifier: Sendable {
    public struct Keys: Sendable {
        /// HS256 shared secret.
        public var hs256Secret: [UInt8]?
        /// PEM public keys (RSA for RS256, P-256 for ES256).
        public var publicKeysPEM: [String] = []
        /// A JSON Web Key Set document.
        public var jwksJSON: String?

        public init(hs256Secret: [UInt8]? = nil, publicKeysPEM: [String] = [], jwksJSON: String? = nil) {
            self.hs256Secret = hs256Secret
            self.publicKeysPEM = publicKeysPEM
            self.jwksJSON = jwksJSON
        }

        public var isEmpty: Bool { hs256Secret == nil && publicKeysPEM.isEmpty && jwksJSON == nil }
    }

    private let keys: JWTKeyCollection
    private let issuer: String
    private let audience: String
    private let cache = Mutex<[String: (principal: Principal, expires: Date)]>([:])
    private static let cacheLimit = 50_000

    private init(keys: JWTKeyCollection, issuer: String, audience: String) {
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
    }

    /// Loads the keys; a key that cannot be read is a configuration error naming which one (never its bytes).
    public static func make(keys configured: Keys, issuer: String, audience: String) async throws -> TokenVerifier {
        let keys = JWTKeyCollection()
        if let secret = configured.hs256Secret {
            guard secret.count >= 32 else {
                throw APIConfigurationError("the HS256 secret is \(secret.count) bytes; use at least 32")
            }
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: "hs256")
        }
        for (index, pem) in configured.publicKeysPEM.enumerated() {
            let kid = JWKIdentifier(string: "pem-\(index)")
            if let rsa = try? Insecure.RSA.PublicKey(pem: pem) {
                await keys.add(rsa: rsa, digestAlgorithm: .sha256, kid: kid)
            } else if let ec = try? ES256PublicKey(pem: pem) {
                await keys.add(ecdsa: ec, kid: kid)
            } else {
                throw APIConfigurationError("public key \(index + 1) is neither an RSA nor a P-256 PEM public key")
            }
        }
        if let jwks = configured.jwksJSON {
            do {
                try await keys.add(jwksJSON: jwks)
            } catch {
                throw APIConfigurationError("the JWKS document cannot be read as a JSON Web Key Set")
            }
        }
        guard !configured.isEmpty else { throw APIConfigurationError("no token verification key is configured") }
        return TokenVerifier(keys: keys, issuer: issuer, audience: audience)
    }

    /// The principal of an `Authorization` header value, or a 401 problem that says why.
    public func principal(authorization: String?, now: Date = Date()) async throws(APIProblem) -> Principal {
        guard let authorization, !authorization.isEmpty else {
            throw .unauthorized("missing-token", "send a bearer token: Authorization: Bearer <JWT>")
        }
        guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            throw .unauthorized("malformed-token", "the Authorization header must be \"Bearer <JWT>\"")
        }
        let token = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        if let cached = cache.withLock({ $0[token] }) {
            guard cached.expires > now else { throw .unauthorized("token-expired", "the token has expired") }
            return cached.principal
        }
        let payload: AccessToken
        do {
            payload = try await keys.verify(token, as: AccessToken.self, iteratingKeys: true)
        } catch let error as JWTError {
            throw Self.problem(for: error)
        } catch {
            throw .unauthorized("malformed-token", "the token is not a well-formed JWT")
        }
        guard payload.iss.value == issuer else {
            throw .unauthorized("wrong-issuer", "the token was not issued by the issuer this API trusts")
        }
        guard payload.aud.value.contains(audience) else {
            throw .unauthorized("wrong-audience", "the token is not meant for this API (audience)")
        }
        let names = (payload.scope?.split(separator: " ").map(String.init) ?? []) + (payload.scp ?? [])
        let principal = Principal(
            subject: payload.sub.value,
            scopes: Set(names.compactMap(Principal.Scope.init(rawValue:))),
            memberID: payload.member_id
        )
        cache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[token] = (principal, payload.exp.value)
        }
        return principal
    }

    private static func problem(for error: JWTError) -> APIProblem {
        switch error.errorType {
        case .claimVerificationFailure:
            if error.failedClaim is ExpirationClaim {
                return .unauthorized("token-expired", "the token has expired")
            }
            return .unauthorized("token-not-yet-valid", "the token is not valid yet (nbf)")
        case .signatureVerificationFailed, .unknownKID, .missingKIDHeader:
            return .unauthorized("invalid-signature", "the token's signature does not verify with a configured key")
        case .unsupportedAlgorithm, .signingAlgorithmFailure, .noKeyProvided:
            return .unauthorized("invalid-signature", "the token's algorithm is not one this API accepts")
        default:
            return .unauthorized("malformed-token", "the token is not a well-formed JWT with the required claims")
        }
    }
}

/// A setting of the API that cannot work; the message names it.
public struct APIConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
