public import GRPCCore
public import GRPCInProcessTransport
public import InboxKit
import Logging

/// Tokens for tests, signed with a fixed test key.
public enum TestTokens {
    public static let signingKey = "test-signing-key-that-is-long-enough-0123456789"

    public static func token(
        _ role: Caller.Role,
        organization: String? = "org-test",
        agent: String? = nil,
        lifetime: Duration = .seconds(600)
    ) async throws -> String {
        let authority = await TokenAuthority(signingKey: Self.signingKey)
        let agentID = role == .agent ? (agent ?? "agent-test") : agent
        return try await authority.mint(
            Caller(
                role: role,
                organizationID: role == .operator || role == .service ? nil : organization,
                agentID: agentID,
                subject: agentID ?? role.rawValue
            ),
            lifetime: lifetime
        )
    }

    /// A client interceptor that sends `service`'s token, as a service process does to its peers.
    public static func serviceInterceptor(_ service: InboxService) async -> ServiceTokenClientInterceptor {
        let authority = await TokenAuthority(signingKey: Self.signingKey)
        return ServiceTokenClientInterceptor(tokens: ServiceTokenSource(authority: authority, service: service))
    }

    /// Call options metadata carrying `Bearer <token>`.
    public static func metadata(_ role: Caller.Role, organization: String? = "org-test") async throws -> Metadata {
        ["authorization": "Bearer \(try await Self.token(role, organization: organization))"]
    }
}

/// Serves `services` (plus health, reporting SERVING) in-process behind exactly the interceptors of
/// a real service process, and hands `body` a connected client.
public func withInProcessServer<T: Sendable>(
    services: [any RegistrableRPCService],
    clientInterceptors: [any ClientInterceptor] = [],
    _ body: (GRPCClient<InProcessTransport.Client>) async throws -> T
) async throws -> T {
    let transport = InProcessTransport()
    let authority = await TokenAuthority(signingKey: TestTokens.signingKey)
    let health = HealthStatus(services: [])
    health.setAll(.serving)
    return try await withGRPCServer(
        transport: transport.server,
        services: [HealthService(status: health)] + services,
        interceptors: ServiceRuntime.serverInterceptors(logger: Logger(label: "test-server"), authority: authority)
    ) { _ in
        try await withGRPCClient(transport: transport.client, interceptors: clientInterceptors) { client in
            try await body(client)
        }
    }
}
