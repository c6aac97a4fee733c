import GRPCCore
public import GRPCNIOTransportHTTP2
public import InboxAPI
public import ServiceLifecycle

/// gRPC clients for the services this process calls (the `*_ADDR` variables, ``PeerAddress``),
/// each presenting the process's service token, over TLS when the service has `GRPC_TLS_*`
/// settings; their errors are marked as a peer's (``PeerErrorInterceptor``). Their connections run
/// as lifecycle services.
public struct PeerClients: Sendable {
    public typealias Transport = HTTP2ClientTransport.Posix
    let clients: [InboxService: GRPCClient<Transport>]

    public init(addresses: [InboxService: PeerAddress], tokens: ServiceTokenSource, tls: GRPCClientTLS? = nil) throws {
        var clients: [InboxService: GRPCClient<Transport>] = [:]
        for (service, address) in addresses {
            // Every address the entries name (several replicas listed, or a headless Kubernetes
            // Service's name: one per pod), balanced round-robin; the servers' connection
            // max-age makes clients reconnect and re-resolve, so new replicas take traffic.
            let transport = try address.transport(tls: tls)
            clients[service] = GRPCClient(
                transport: transport,
                interceptors: [
                    ServiceTokenClientInterceptor(tokens: tokens), PeerErrorInterceptor(peer: service.rawValue),
                ]
            )
        }
        self.clients = clients
    }

    /// One lifecycle service per client.
    public var services: [any Service] {
        self.clients.values.map { GRPCClientService(client: $0) }
    }

    func client(_ service: InboxService) -> GRPCClient<Transport> {
        guard let client = self.clients[service] else {
            preconditionFailure("\(service.rawValue) is not a peer of this service (DESIGN.md §1)")
        }
        return client
    }

    public var policy: Inbox_V1_PolicyService.Client<Transport> { .init(wrapping: self.client(.policyService)) }
    public var conversation: Inbox_V1_ConversationService.Client<Transport> {
        .init(wrapping: self.client(.conversationService))
    }
    public var assignment: Inbox_V1_AssignmentService.Client<Transport> {
        .init(wrapping: self.client(.assignmentService))
    }
    public var gateway: Inbox_V1_ChannelGatewayService.Client<Transport> {
        .init(wrapping: self.client(.channelGateway))
    }
}
