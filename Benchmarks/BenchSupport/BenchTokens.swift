import GRPCCore
import InboxKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A benchmark's failure, said in one sentence.
public struct BenchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Bearer tokens signed with the services' own key (TOKEN_SIGNING_KEY, HS256), as the services
/// check them; `subject` names the benchmark for callers without an agent.
public struct BenchTokens: Sendable {
    let authority: TokenAuthority
    let subject: String

    public init(signingKey: String, subject: String) async {
        self.authority = await TokenAuthority(signingKey: signingKey)
        self.subject = subject
    }

    /// With the key from TOKEN_SIGNING_KEY.
    public static func fromEnvironment(subject: String) async throws -> BenchTokens {
        guard let key = ProcessInfo.processInfo.environment["TOKEN_SIGNING_KEY"], !key.isEmpty else {
            throw BenchError("TOKEN_SIGNING_KEY is required")
        }
        return await BenchTokens(signingKey: key, subject: subject)
    }

    public func metadata(_ role: Caller.Role, organization: String? = nil, agent: String? = nil) async throws
        -> Metadata
    {
        let caller = Caller(role: role, organizationID: organization, agentID: agent, subject: agent ?? self.subject)
        return ["authorization": "Bearer \(try await self.authority.mint(caller, lifetime: .seconds(3600)))"]
    }
}
