import Foundation
import JWTKit
import Testing

@testable import InboxKit

@Suite("Bearer tokens")
struct TokenTests {
    let key = "a-signing-key-of-at-least-thirty-two-bytes"

    @Test func roundTrip() async throws {
        let authority = await TokenAuthority(signingKey: self.key)
        let caller = Caller(role: .agent, organizationID: "org-1", agentID: "agent-7", subject: "agent-7")
        let token = try await authority.mint(caller, lifetime: .seconds(60))
        #expect(try await authority.verify(token) == caller)
    }

    @Test func otherKeyIsRejected() async throws {
        let minted = try await TokenAuthority(signingKey: self.key).mint(
            Caller(role: .operator, organizationID: nil, agentID: nil, subject: "ops"),
            lifetime: .seconds(60)
        )
        let other = await TokenAuthority(signingKey: self.key + "-other")
        await #expect(throws: DomainError.unauthenticated("the bearer token is invalid or expired")) {
            try await other.verify(minted)
        }
    }

    @Test func expiredIsRejected() async throws {
        let authority = await TokenAuthority(signingKey: self.key)
        let token = try await authority.mint(
            Caller(role: .admin, organizationID: "org-1", agentID: nil, subject: "admin"),
            lifetime: .seconds(60),
            now: Date().addingTimeInterval(-3600)
        )
        await #expect(throws: DomainError.unauthenticated("the bearer token is invalid or expired")) {
            try await authority.verify(token)
        }
    }

    @Test func tamperedAndGarbageAreRejected() async throws {
        let authority = await TokenAuthority(signingKey: self.key)
        let token = try await authority.mint(
            Caller(role: .agent, organizationID: "org-1", agentID: "a", subject: "a"),
            lifetime: .seconds(60)
        )
        var parts = token.split(separator: ".").map(String.init)
        // Claim another organisation without re-signing.
        let payload = try #require(Data(base64Encoded: Self.padded(parts[1])))
        let forged = String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "org-1", with: "org-2")
        parts[1] = Data(forged.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        for bad in [parts.joined(separator: "."), "not-a-token", ""] {
            await #expect(throws: DomainError.self) { try await authority.verify(bad) }
        }
    }

    @Test func rolesNeedWhatTheyStandFor() async throws {
        let authority = await TokenAuthority(signingKey: self.key)
        let orgless = try await authority.mint(
            Caller(role: .admin, organizationID: nil, agentID: nil, subject: "x"),
            lifetime: .seconds(60)
        )
        await #expect(throws: DomainError.unauthenticated("an admin token must name an organisation")) {
            try await authority.verify(orgless)
        }
        let agentless = try await authority.mint(
            Caller(role: .agent, organizationID: "org-1", agentID: nil, subject: "x"),
            lifetime: .seconds(60)
        )
        await #expect(throws: DomainError.unauthenticated("an agent token must name the agent")) {
            try await authority.verify(agentless)
        }
    }

    @Test func organisationScoping() throws {
        let agent = Caller(role: .agent, organizationID: "org-1", agentID: "a", subject: "a")
        #expect(try agent.organization(requested: "") == "org-1")
        #expect(try agent.organization(requested: "org-1") == "org-1")
        #expect(throws: DomainError.self) { try agent.organization(requested: "org-2") }
        let service = Caller(role: .service, organizationID: nil, agentID: nil, subject: "channel-gateway")
        #expect(try service.organization(requested: "org-9") == "org-9")
        #expect(
            throws: DomainError.invalidArgument(
                "organization_id is required for this caller", reason: .organizationRequired, field: "organization_id")
        ) {
            try service.organization(requested: "")
        }
        #expect(throws: DomainError.self) { try agent.require(.admin, .operator) }
        try agent.require(.agent, .admin)
    }

    static func padded(_ base64URL: String) -> String {
        let base64 = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return base64 + String(repeating: "=", count: (4 - base64.count % 4) % 4)
    }

    // MARK: Key ids, rotation, Ed25519 and role-scoped keys

    static let issuer = TokenAuthority.newEd25519KeyPair()
    static let service = TokenAuthority.newEd25519KeyPair()
    let operatorCaller = Caller(role: .operator, organizationID: nil, agentID: nil, subject: "ops")
    let serviceCaller = Caller(role: .service, organizationID: nil, agentID: nil, subject: "channel-gateway")

    /// What a service holds in production: the issuer's public key and the service key.
    func serviceAuthority() async throws -> TokenAuthority {
        try await TokenAuthority(
            keys: TokenKeys.load(
                from: Environment([
                    "TOKEN_PUBLIC_KEYS": "issuer-1:\(Self.issuer.publicKey)",
                    "SERVICE_TOKEN_KEY": "svc-1:\(Self.service.privateKey)",
                ]), needsServiceKey: true))
    }

    /// What inboxctl holds: the issuer's private key.
    func issuerAuthority() async throws -> TokenAuthority {
        try await TokenAuthority(
            keys: TokenKeys.load(
                from: Environment(["TOKEN_PRIVATE_KEY": "issuer-1:\(Self.issuer.privateKey)"]), needsServiceKey: false,
                issuerPrivateKeyVariable: "TOKEN_PRIVATE_KEY"))
    }

    @Test func servicesVerifyIssuerTokensWithThePublicKeyAndCannotMintThem() async throws {
        let service = try await self.serviceAuthority()
        let minted = try await self.issuerAuthority().mint(self.operatorCaller, lifetime: .seconds(3600))
        #expect(TokenAuthority.keyID(of: minted) == "issuer-1")
        #expect(try await service.verify(minted) == self.operatorCaller)
        // A compromised replica holds only the service key: it cannot mint an operator token...
        await #expect(throws: TokenMintingError.self) {
            try await service.mint(self.operatorCaller, lifetime: .seconds(3600))
        }
        // ...and an operator token it signs by hand with that key is refused.
        let forged = try await JWTKeyCollection().add(
            eddsa: EdDSA.PrivateKey(d: Self.service.privateKey, curve: .ed25519), kid: "svc-1"
        ).sign(Self.claims(role: "operator", lifetime: 3600), kid: "svc-1")
        await #expect(throws: DomainError.unauthenticated("the bearer token's key may not sign operator tokens")) {
            try await service.verify(forged)
        }
        // Its own service tokens are accepted.
        let serviceToken = try await service.mint(self.serviceCaller, lifetime: .seconds(3600))
        #expect(try await service.verify(serviceToken) == self.serviceCaller)
    }

    @Test func unknownOrMissingKeyIDsAreRefused() async throws {
        let service = try await self.serviceAuthority()
        let other = TokenAuthority.newEd25519KeyPair()
        let unknown = try await JWTKeyCollection().add(
            eddsa: EdDSA.PrivateKey(d: other.privateKey, curve: .ed25519), kid: "issuer-9"
        ).sign(Self.claims(role: "operator", lifetime: 3600), kid: "issuer-9")
        let kidless = try await JWTKeyCollection().add(hmac: HMACKey(from: self.key), digestAlgorithm: .sha256)
            .sign(Self.claims(role: "operator", lifetime: 3600))
        for token in [unknown, kidless] {
            await #expect(throws: DomainError.unauthenticated("the bearer token is invalid or expired")) {
                try await service.verify(token)
            }
        }
    }

    @Test func rotationAcceptsThePreviousKeyUntilItIsRemoved() async throws {
        let old = String(repeating: "o", count: 40)
        let new = String(repeating: "n", count: 40)
        let token = try await TokenAuthority(signingKey: old).mint(self.operatorCaller, lifetime: .seconds(600))
        let rotating = try await TokenAuthority(keys: .hmac(new, previous: old))
        #expect(try await rotating.verify(token) == self.operatorCaller)
        let newToken = try await rotating.mint(self.operatorCaller, lifetime: .seconds(600))
        #expect(TokenAuthority.keyID(of: newToken) == TokenKeys.hmacKeyID(for: new))
        let rotated = await TokenAuthority(signingKey: new)
        #expect(try await rotated.verify(newToken) == self.operatorCaller)
        await #expect(throws: DomainError.self) { try await rotated.verify(token) }
    }

    @Test func lifetimesAreBoundedPerRole() async throws {
        let authority = await TokenAuthority(signingKey: self.key)
        await #expect(throws: TokenMintingError.self) {
            try await authority.mint(self.operatorCaller, lifetime: .seconds(13 * 3600))
        }
        _ = try await authority.mint(self.operatorCaller, lifetime: .seconds(12 * 3600))
        // A token minted elsewhere with a 30-day lifetime is refused even though it is signed.
        let long = try await JWTKeyCollection().add(
            hmac: HMACKey(from: self.key), digestAlgorithm: .sha256,
            kid: JWKIdentifier(string: TokenKeys.hmacKeyID(for: self.key))
        ).sign(
            Self.claims(role: "operator", lifetime: 30 * 86_400),
            kid: JWKIdentifier(string: TokenKeys.hmacKeyID(for: self.key)))
        await #expect(throws: DomainError.unauthenticated("the bearer token lives longer than a operator token may")) {
            try await authority.verify(long)
        }
    }

    @Test func keyConfigurationErrorsNameTheirVariable() throws {
        let cases: [([String: String], String)] = [
            ([:], "TOKEN_SIGNING_KEY"),
            (["TOKEN_PUBLIC_KEYS": "issuer-1:\(Self.issuer.publicKey)"], "SERVICE_TOKEN_KEY"),
            (
                ["TOKEN_PUBLIC_KEYS": "issuer-1:short", "SERVICE_TOKEN_KEY": "svc:\(Self.service.privateKey)"],
                "TOKEN_PUBLIC_KEYS"
            ),
            (
                ["TOKEN_SIGNING_KEY": self.key, "TOKEN_PUBLIC_KEYS": "issuer-1:\(Self.issuer.publicKey)"],
                "TOKEN_PUBLIC_KEYS"
            ),
            (["TOKEN_SIGNING_KEY": self.key, "TOKEN_SIGNING_KEY_PREVIOUS": "short"], "TOKEN_SIGNING_KEY_PREVIOUS"),
            (
                [
                    "TOKEN_PUBLIC_KEYS": "k:\(Self.issuer.publicKey)",
                    "SERVICE_TOKEN_KEY": "k:\(Self.service.privateKey)",
                ],
                "TOKEN_PUBLIC_KEYS"
            ),
        ]
        for (values, variable) in cases {
            let error = #expect(throws: ConfigurationError.self, "\(values)") {
                try TokenKeys.load(from: Environment(values), needsServiceKey: true)
            }
            #expect(error?.variable == variable, "\(values): \(String(describing: error))")
        }
    }

    @Test func verifiedTokensAreRememberedOnlyUntilTheyExpireAndAtMostAMinute() {
        let cache = VerifiedTokens()
        let now = Date()
        cache.store(self.operatorCaller, for: "t1", until: now.addingTimeInterval(10), now: now)
        #expect(cache.caller(for: "t1", now: now.addingTimeInterval(9)) == self.operatorCaller)
        #expect(cache.caller(for: "t1", now: now.addingTimeInterval(11)) == nil)
        cache.store(self.operatorCaller, for: "t2", until: now.addingTimeInterval(3600), now: now)
        #expect(cache.caller(for: "t2", now: now.addingTimeInterval(59)) == self.operatorCaller)
        #expect(cache.caller(for: "t2", now: now.addingTimeInterval(61)) == nil)
        #expect(cache.caller(for: "never-verified", now: now) == nil)
    }

    static func claims(role: String, lifetime: TimeInterval) -> TokenClaims {
        let now = Date()
        return TokenClaims(
            subject: .init(value: "forged"), issuer: .init(value: TokenAuthority.issuer), issuedAt: .init(value: now),
            expiration: .init(value: now.addingTimeInterval(lifetime)), role: role, organizationID: nil, agentID: nil)
    }
}
