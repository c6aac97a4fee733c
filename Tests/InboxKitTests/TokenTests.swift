import Foundation
import InboxKit
import Testing

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
}
