import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit

/// One gRPC client of each service, over plaintext HTTP/2 as the services listen.
struct InboxClients: Sendable {
    typealias Transport = HTTP2ClientTransport.Posix

    let policy: Inbox_V1_PolicyService.Client<Transport>
    let gateway: Inbox_V1_ChannelGatewayService.Client<Transport>
    let conversations: Inbox_V1_ConversationService.Client<Transport>
    let assignment: Inbox_V1_AssignmentService.Client<Transport>

    /// Every unary call's deadline; no waiting for a connection that cannot be made.
    static let options: CallOptions = {
        var options = CallOptions.defaults
        options.timeout = .seconds(20)
        options.waitForReady = false
        return options
    }()

    /// Runs `body` with the four clients connected to `settings`' addresses.
    static func with<Result: Sendable>(
        _ settings: DemoSettings, _ body: (InboxClients) async throws -> Result
    ) async throws -> Result {
        try await withGRPCClient(transport: try Self.transport(settings.address(.policyService))) { policy in
            try await withGRPCClient(transport: try Self.transport(settings.address(.channelGateway))) { gateway in
                try await withGRPCClient(transport: try Self.transport(settings.address(.conversationService))) {
                    conversations in
                    try await withGRPCClient(transport: try Self.transport(settings.address(.assignmentService))) {
                        assignment in
                        try await body(
                            InboxClients(
                                policy: Inbox_V1_PolicyService.Client(wrapping: policy),
                                gateway: Inbox_V1_ChannelGatewayService.Client(wrapping: gateway),
                                conversations: Inbox_V1_ConversationService.Client(wrapping: conversations),
                                assignment: Inbox_V1_AssignmentService.Client(wrapping: assignment)))
                    }
                }
            }
        }
    }

    private static func transport(_ address: HostAndPort) throws -> Transport {
        try .http2NIOPosix(target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
    }
}

/// Bearer tokens signed with the services' key (HS256, `TOKEN_SIGNING_KEY`), as `inboxctl token`
/// mints them: an operator for organisations, the demo shop's admin and its agents.
struct DemoTokens: Sendable {
    let authority: TokenAuthority

    init(signingKey: String) async {
        self.authority = await TokenAuthority(signingKey: signingKey)
    }

    func metadata(_ role: Caller.Role, organization: String? = nil, agent: String? = nil) async throws -> Metadata {
        let caller = Caller(role: role, organizationID: organization, agentID: agent, subject: agent ?? "inbox-demo")
        return ["authorization": "Bearer \(try await self.authority.mint(caller, lifetime: .seconds(2 * 3600)))"]
    }
}

/// Runs `call`, trying again while it fails with UNAVAILABLE, for up to `patience`: a service just
/// (re)started may still be connecting to its peers (the gateway asks policy about plans).
func retryingUnavailable<Result: Sendable>(
    patience: Duration = .seconds(30), _ call: () async throws -> Result
) async throws -> Result {
    let deadline = ContinuousClock.now + patience
    while true {
        do {
            return try await call()
        } catch let error as RPCError where error.code == .unavailable && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
