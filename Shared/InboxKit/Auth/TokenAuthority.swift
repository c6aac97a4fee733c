import JWTKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Signs and verifies the bearer tokens every service accepts: HS256 JWTs with the
/// organisation, role and agent id as claims. Every replica validates locally with the shared
/// key (`TOKEN_SIGNING_KEY`).
public struct TokenAuthority: Sendable {
    public static let issuer = "social-inbox"
    private let keys: JWTKeyCollection

    public init(signingKey: String) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: signingKey), digestAlgorithm: .sha256)
        self.keys = keys
    }

    /// A token for `caller`, valid for `lifetime`.
    public func mint(_ caller: Caller, lifetime: Duration, now: Date = Date()) async throws -> String {
        let seconds = Double(lifetime.components.seconds)
        let claims = TokenClaims(
            subject: .init(value: caller.subject),
            issuer: .init(value: Self.issuer),
            issuedAt: .init(value: now),
            expiration: .init(value: now.addingTimeInterval(seconds)),
            role: caller.role.rawValue,
            organizationID: caller.organizationID,
            agentID: caller.agentID
        )
        return try await self.keys.sign(claims)
    }

    /// The caller a token stands for; UNAUTHENTICATED when it is malformed, badly signed, expired
    /// or names an unknown role, or lacks what its role needs.
    public func verify(_ token: String) async throws(DomainError) -> Caller {
        let claims: TokenClaims
        do {
            claims = try await self.keys.verify(token, as: TokenClaims.self)
        } catch {
            throw .unauthenticated("the bearer token is invalid or expired")
        }
        guard let role = Caller.Role(rawValue: claims.role) else {
            throw .unauthenticated("the bearer token names an unknown role")
        }
        let organization = claims.organizationID.flatMap { $0.isEmpty ? nil : $0 }
        if role == .admin || role == .agent, organization == nil {
            throw .unauthenticated("an \(role.rawValue) token must name an organisation")
        }
        if role == .agent, (claims.agentID ?? "").isEmpty {
            throw .unauthenticated("an agent token must name the agent")
        }
        return Caller(role: role, organizationID: organization, agentID: claims.agentID, subject: claims.subject.value)
    }
}

/// The JWT claims of a Social Inbox token.
struct TokenClaims: JWTPayload {
    var subject: SubjectClaim
    var issuer: IssuerClaim
    var issuedAt: IssuedAtClaim
    var expiration: ExpirationClaim
    var role: String
    var organizationID: String?
    var agentID: String?

    enum CodingKeys: String, CodingKey {
        case subject = "sub"
        case issuer = "iss"
        case issuedAt = "iat"
        case expiration = "exp"
        case role
        case organizationID = "org"
        case agentID = "agent"
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try self.expiration.verifyNotExpired()
        guard self.issuer.value == TokenAuthority.issuer else {
            throw JWTError.claimVerificationFailure(failedClaim: self.issuer, reason: "unexpected issuer")
        }
    }
}
