import Crypto
import JWTKit
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Signs and verifies the bearer tokens every service accepts: JWTs with the organisation, role
/// and agent id as claims, and the signing key's id in the header. Every replica validates
/// locally (``TokenKeys``: Ed25519 public keys in production, an HS256 secret for local runs).
///
/// A token is accepted only when its `kid` names a known key, that key may sign its role (the
/// service key signs service tokens only), its signature and expiry hold, and its lifetime is
/// within its role's bound (``maximumLifetime(for:)``), so a leaked token never outlives that.
public struct TokenAuthority: Sendable {
    public static let issuer = "social-inbox"

    struct Verifier: Sendable {
        let keys: JWTKeyCollection
        let roles: Set<Caller.Role>?
    }

    private let verifiers: [String: Verifier]
    private let signingKeyID: String?
    /// Tokens verified lately: a caller presents the same token on every call, and verifying a
    /// JWT (two JSON decodes and a MAC or signature) is a large part of a cheap RPC's cost.
    private let verified = VerifiedTokens()

    public init(keys: TokenKeys) async throws {
        var verifiers: [String: Verifier] = [:]
        for key in keys.keys {
            let collection = JWTKeyCollection()
            switch key.material {
            case .hmac(let secret):
                await collection.add(
                    hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.id))
            case .ed25519Public(let x):
                await collection.add(
                    eddsa: try EdDSA.PublicKey(x: x, curve: .ed25519), kid: JWKIdentifier(string: key.id))
            case .ed25519Private(let d):
                await collection.add(
                    eddsa: try EdDSA.PrivateKey(d: d, curve: .ed25519), kid: JWKIdentifier(string: key.id))
            }
            verifiers[key.id] = Verifier(keys: collection, roles: key.roles)
        }
        self.verifiers = verifiers
        self.signingKeyID = keys.signingKeyID
    }

    /// One HS256 secret that signs and verifies every role (local runs and tests).
    public init(signingKey: String) async {
        // An HMAC key cannot fail to load.
        try! await self.init(keys: .hmac(signingKey))
    }

    /// The longest a token of `role` may live: operators 12 hours (they can do anything), admins
    /// and agents 7 days (a working week on one login), services 1 day (renewed hourly).
    public static func maximumLifetime(for role: Caller.Role) -> Duration {
        switch role {
        case .operator: .seconds(12 * 3600)
        case .admin, .agent: .seconds(7 * 86_400)
        case .service: .seconds(86_400)
        }
    }

    /// A token for `caller`, valid for `lifetime` (at most its role's bound).
    public func mint(_ caller: Caller, lifetime: Duration, now: Date = Date()) async throws -> String {
        guard let kid = self.signingKeyID, let signer = self.verifiers[kid] else {
            throw TokenMintingError("this process holds no signing key")
        }
        if let roles = signer.roles, !roles.contains(caller.role) {
            throw TokenMintingError("the key \(kid) may not sign \(caller.role.rawValue) tokens")
        }
        guard lifetime <= Self.maximumLifetime(for: caller.role), lifetime > .zero else {
            throw TokenMintingError(
                "a \(caller.role.rawValue) token lives at most \(Self.maximumLifetime(for: caller.role))")
        }
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
        return try await signer.keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    /// The caller a token stands for; UNAUTHENTICATED when it is malformed, signed by an unknown
    /// key or one that may not sign its role, badly signed, expired, longer-lived than its role
    /// allows, or lacks what its role needs.
    public func verify(_ token: String) async throws(DomainError) -> Caller {
        if let caller = self.verified.caller(for: token) { return caller }
        let (caller, expiry) = try await self.verifyUncached(token)
        self.verified.store(caller, for: token, until: expiry)
        return caller
    }

    private func verifyUncached(_ token: String) async throws(DomainError) -> (Caller, Date) {
        guard let kid = Self.keyID(of: token), let verifier = self.verifiers[kid] else {
            throw .unauthenticated("the bearer token is invalid or expired")
        }
        let claims: TokenClaims
        do {
            claims = try await verifier.keys.verify(token, as: TokenClaims.self)
        } catch {
            throw .unauthenticated("the bearer token is invalid or expired")
        }
        guard let role = Caller.Role(rawValue: claims.role) else {
            throw .unauthenticated("the bearer token names an unknown role")
        }
        if let roles = verifier.roles, !roles.contains(role) {
            throw .unauthenticated("the bearer token's key may not sign \(role.rawValue) tokens")
        }
        let lifetime = claims.expiration.value.timeIntervalSince(claims.issuedAt.value)
        guard lifetime <= Double(Self.maximumLifetime(for: role).components.seconds) + 60 else {
            throw .unauthenticated("the bearer token lives longer than a \(role.rawValue) token may")
        }
        let organization = claims.organizationID.flatMap { $0.isEmpty ? nil : $0 }
        if role == .admin || role == .agent, organization == nil {
            throw .unauthenticated("an \(role.rawValue) token must name an organisation")
        }
        if role == .agent, (claims.agentID ?? "").isEmpty {
            throw .unauthenticated("an agent token must name the agent")
        }
        let caller = Caller(
            role: role, organizationID: organization, agentID: claims.agentID, subject: claims.subject.value)
        return (caller, claims.expiration.value)
    }

    /// The `kid` of a JWT's header, read before verifying so the token is checked against that
    /// key alone (never "whichever key verifies").
    static func keyID(of token: String) -> String? {
        guard let header = token.split(separator: ".", omittingEmptySubsequences: false).first,
            let data = Data(base64URLEncoded: String(header)),
            let fields = try? JSONDecoder().decode(Header.self, from: data)
        else { return nil }
        return fields.kid
    }

    private struct Header: Decodable {
        let kid: String?
    }

    /// A new Ed25519 key pair as base64url (`d` private, `x` public), for `inboxctl keygen`.
    public static func newEd25519KeyPair() -> (privateKey: String, publicKey: String) {
        let key = Curve25519.Signing.PrivateKey()
        return (
            Data(key.rawRepresentation).base64URLEncodedString(),
            Data(key.publicKey.rawRepresentation).base64URLEncodedString()
        )
    }
}

/// Verified tokens and their callers, each kept until the token expires but at most a minute (a
/// token is verified in full at least once a minute), at most 10,000 of them (then the cache starts
/// over). Only fully verified tokens are stored, so a forged or expired one never gets in.
final class VerifiedTokens: Sendable {
    private struct Entry {
        let caller: Caller
        let until: Date
    }

    private let entries = Mutex<[String: Entry]>([:])

    func caller(for token: String, now: Date = Date()) -> Caller? {
        self.entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard entry.until > now else {
                entries[token] = nil
                return nil
            }
            return entry.caller
        }
    }

    func store(_ caller: Caller, for token: String, until expiry: Date, now: Date = Date()) {
        let until = min(expiry, now.addingTimeInterval(60))
        self.entries.withLock { entries in
            if entries.count >= 10_000 { entries.removeAll(keepingCapacity: true) }
            entries[token] = Entry(caller: caller, until: until)
        }
    }
}

/// A token cannot be minted with this process's keys (no key, a role the key may not sign, or a
/// lifetime beyond the role's bound).
public struct TokenMintingError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension Data {
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }

    func base64URLEncodedString() -> String {
        self.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
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
