import ArgumentParser
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit

/// The options every command that calls a service shares: where the services are and how to
/// secure the connection, the caller's token, the output form. The root command declares this
/// group and so does each such command; ArgumentParser parses it once (the root's) and hands the
/// commands that value, so the options go anywhere on the line: `inboxctl --json org list` is
/// `inboxctl org list --json`.
struct GlobalOptions: ParsableArguments {
    @Flag(help: "Print the API's messages as JSON (one object per line) instead of tables.")
    var json = false

    @Option(help: ArgumentHelp("The bearer token (default: $INBOX_TOKEN).", valueName: "token"))
    var token: String?

    @Option(
        name: .customLong("channel-gateway-addr"),
        help: ArgumentHelp(
            "channel-gateway's gRPC address, or its replicas' separated by commas (default: "
                + "$CHANNEL_GATEWAY_ADDR, else 127.0.0.1:50051).",
            valueName: "host:port[,host:port...]"))
    var channelGatewayAddress: String?

    @Option(
        name: .customLong("conversation-service-addr"),
        help: ArgumentHelp(
            "conversation-service's gRPC address, or its replicas' separated by commas (default: "
                + "$CONVERSATION_SERVICE_ADDR, else 127.0.0.1:50052).",
            valueName: "host:port[,host:port...]"))
    var conversationServiceAddress: String?

    @Option(
        name: .customLong("assignment-service-addr"),
        help: ArgumentHelp(
            "assignment-service's gRPC address, or its replicas' separated by commas (default: "
                + "$ASSIGNMENT_SERVICE_ADDR, else 127.0.0.1:50053).",
            valueName: "host:port[,host:port...]"))
    var assignmentServiceAddress: String?

    @Option(
        name: .customLong("policy-service-addr"),
        help: ArgumentHelp(
            "policy-service's gRPC address, or its replicas' separated by commas (default: "
                + "$POLICY_SERVICE_ADDR, else 127.0.0.1:50054).",
            valueName: "host:port[,host:port...]"))
    var policyServiceAddress: String?

    @Option(help: ArgumentHelp("How long to wait for each answer.", valueName: "seconds"))
    var timeout: Int = 30

    @Option(
        name: .customLong("tls-ca"),
        help: ArgumentHelp(
            "Connect with TLS, trusting this PEM CA bundle (default: $GRPC_TLS_CA).", valueName: "path"))
    var tlsCertificateAuthority: String?

    @Option(
        name: .customLong("tls-cert"),
        help: ArgumentHelp(
            "The PEM certificate chain to present for mutual TLS, with --tls-key (default: $GRPC_TLS_CERT).",
            valueName: "path"))
    var tlsCertificate: String?

    @Option(
        name: .customLong("tls-key"),
        help: ArgumentHelp("The PEM private key of --tls-cert (default: $GRPC_TLS_KEY).", valueName: "path"))
    var tlsKey: String?

    @Option(
        name: .customLong("tls-server-name"),
        help: ArgumentHelp(
            "The name the services' certificates carry, when not the host of their addresses (default: "
                + "$GRPC_TLS_SERVER_NAME).",
            valueName: "name"))
    var tlsServerName: String?

    @Flag(name: .customLong("tls"), help: "Connect with TLS, trusting the system's roots (no other --tls-* needed).")
    var tls = false

    func validate() throws {
        for service in InboxService.allCases {
            if let text = self.address(of: service), PeerAddress(text) == nil {
                throw ValidationError("--\(service.rawValue)-addr must be \(PeerAddress.syntax), got '\(text)'")
            }
        }
        guard (1...3600).contains(self.timeout) else {
            throw ValidationError("--timeout must be from 1 to 3600 seconds")
        }
    }

    /// TLS from the `--tls-*` options, else the `GRPC_TLS_*` variables the services read; nil:
    /// plaintext, as `deploy/local/up` runs the services. Without a certificate of its own the
    /// client still verifies the servers (against `--tls-ca`, else the system's roots).
    func clientTLS(environment: Environment) throws -> GRPCClientTLS? {
        try GRPCClientTLS.load(
            from: environment,
            options: [
                "GRPC_TLS_CA": ("--tls-ca", self.tlsCertificateAuthority),
                "GRPC_TLS_CERT": ("--tls-cert", self.tlsCertificate),
                "GRPC_TLS_KEY": ("--tls-key", self.tlsKey),
                "GRPC_TLS_SERVER_NAME": ("--tls-server-name", self.tlsServerName),
            ],
            enabled: self.tls)
    }

    /// The address given on the command line for `service`, if any.
    func address(of service: InboxService) -> String? {
        switch service {
        case .channelGateway: self.channelGatewayAddress
        case .conversationService: self.conversationServiceAddress
        case .assignmentService: self.assignmentServiceAddress
        case .policyService: self.policyServiceAddress
        }
    }
}

/// How a command reaches the services: each one's address (its `--<service>-addr` option, else
/// the `*_ADDR` variable the services themselves read, else 127.0.0.1 and its default port; a
/// list of replicas or a name with several records is balanced round-robin, as the services
/// balance their own calls), plaintext or TLS (``GlobalOptions/clientTLS(environment:)``), the
/// caller's bearer token (`--token`, else `INBOX_TOKEN`) and the deadline of each call.
struct Connection: Sendable {
    typealias Transport = HTTP2ClientTransport.Posix

    let addresses: [InboxService: PeerAddress]
    let tls: GRPCClientTLS?
    let token: String?
    let timeout: Duration

    init(_ options: GlobalOptions, environment: Environment = .process) throws {
        var addresses: [InboxService: PeerAddress] = [:]
        for service in InboxService.allCases {
            if let given = options.address(of: service) {
                guard let address = PeerAddress(given) else {
                    throw ValidationError("--\(service.rawValue)-addr must be \(PeerAddress.syntax), got '\(given)'")
                }
                addresses[service] = address
            } else {
                addresses[service] = try environment.peerAddress(
                    service.addressVariable, default: Self.defaultAddress(of: service))
            }
        }
        self.addresses = addresses
        self.tls = try options.clientTLS(environment: environment)
        self.token = options.token ?? environment.optionalString("INBOX_TOKEN")
        self.timeout = .seconds(options.timeout)
    }

    func address(of service: InboxService) -> PeerAddress {
        self.addresses[service] ?? Self.defaultAddress(of: service)
    }

    static func defaultAddress(of service: InboxService) -> PeerAddress {
        PeerAddress(HostAndPort(host: "127.0.0.1", port: service.defaultGRPCPort))
    }

    /// `authorization: Bearer <token>`, or the failure that says how to get a token. Commands ask
    /// for it before they connect, so a missing token fails before anything is sent.
    func metadata() throws -> Metadata {
        guard let token = self.token, !token.isEmpty else { throw CommandFailure.missingToken }
        return ["authorization": "Bearer \(token)"]
    }

    /// For unary calls: the deadline, and no waiting for a connection that cannot be made (a
    /// service that is not running fails the call at once with UNAVAILABLE).
    var options: CallOptions {
        var options = CallOptions.defaults
        options.timeout = self.timeout
        options.waitForReady = false
        return options
    }

    /// Runs `body` with a client of `service` (plaintext HTTP/2, or TLS as ``tls`` says); an RPC
    /// error becomes the ``CommandFailure`` that explains it.
    func call<Result: Sendable>(
        _ service: InboxService, _ body: (GRPCClient<Transport>) async throws -> Result
    ) async throws -> Result {
        let address = self.address(of: service)
        do {
            return try await withGRPCClient(transport: address.transport(tls: self.tls)) { client in
                try await body(client)
            }
        } catch let error as RPCError {
            throw CommandFailure(error, service: service, address: address)
        }
    }

    func policy<Result: Sendable>(
        _ body: (Inbox_V1_PolicyService.Client<Transport>) async throws -> Result
    ) async throws -> Result {
        try await self.call(.policyService) { try await body(Inbox_V1_PolicyService.Client(wrapping: $0)) }
    }

    func gateway<Result: Sendable>(
        _ body: (Inbox_V1_ChannelGatewayService.Client<Transport>) async throws -> Result
    ) async throws -> Result {
        try await self.call(.channelGateway) { try await body(Inbox_V1_ChannelGatewayService.Client(wrapping: $0)) }
    }

    func conversations<Result: Sendable>(
        _ body: (Inbox_V1_ConversationService.Client<Transport>) async throws -> Result
    ) async throws -> Result {
        try await self.call(.conversationService) {
            try await body(Inbox_V1_ConversationService.Client(wrapping: $0))
        }
    }

    func assignment<Result: Sendable>(
        _ body: (Inbox_V1_AssignmentService.Client<Transport>) async throws -> Result
    ) async throws -> Result {
        try await self.call(.assignmentService) { try await body(Inbox_V1_AssignmentService.Client(wrapping: $0)) }
    }
}
