public import GRPCCore
import GRPCNIOTransportHTTP2
public import Logging
public import PostgresNIO
public import ServiceLifecycle

/// What every service process is made of (DESIGN.md §6): one PostgreSQL pool for its own role
/// and schema, its migrations, clients for the services it calls, a gRPC server with health,
/// request ids, error sanitising and token authentication — all run as one `ServiceGroup` that
/// shuts down gracefully on SIGTERM or SIGINT.
public struct ServiceRuntime: Sendable {
    public let configuration: ServiceConfiguration
    public let logger: Logger
    public let database: PostgresClient
    public let authority: TokenAuthority
    public let health: HealthStatus
    public let peers: PeerClients

    public init(configuration: ServiceConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        self.database = PostgresClient(
            configuration: .init(
                configuration.database,
                schema: configuration.service.schema,
                maxConnections: configuration.databaseMaxConnections
            ),
            backgroundLogger: logger
        )
        self.authority = try await TokenAuthority(keys: configuration.tokenKeys)
        self.health = HealthStatus(services: [configuration.service.grpcServiceName])
        self.peers = try PeerClients(
            addresses: configuration.peers,
            tokens: ServiceTokenSource(authority: self.authority, service: configuration.service),
            tls: configuration.tls?.client
        )
    }

    /// The interceptors of every server, outermost first: metrics, request id and logging, error
    /// sanitising, authentication.
    public static func serverInterceptors(logger: Logger, authority: TokenAuthority) -> [any ServerInterceptor] {
        [
            RPCMetricsInterceptor(),
            RequestContextInterceptor(logger: logger),
            ErrorSanitizingInterceptor(),
            AuthenticationInterceptor(authority: authority),
        ]
    }

    /// Serves `rpcServices` (plus health) once `migrations` are applied, with `background`
    /// services (workers, the gateway's HTTP server) beside them, until SIGTERM or SIGINT.
    public func run(
        rpcServices: [any RegistrableRPCService],
        migrations: [Migration],
        background: [any Service] = []
    ) async throws {
        let group = self.serviceGroup(rpcServices: rpcServices, migrations: migrations, background: background)
        try await group.run()
        self.logger.info("stopped")
    }

    /// The process as one `ServiceGroup` (``run(rpcServices:migrations:background:)`` runs it;
    /// tests trigger its graceful shutdown directly).
    public func serviceGroup(
        rpcServices: [any RegistrableRPCService],
        migrations: [Migration],
        background: [any Service] = [],
        stopOnSignals: Bool = true
    ) -> ServiceGroup {
        let server = GRPCServer(
            transport: .http2NIOPosix(
                address: Self.socketAddress(host: self.configuration.grpcHost, port: self.configuration.grpcPort),
                transportSecurity: self.configuration.tls?.serverSecurity ?? .plaintext,
                config: .defaults { config in
                    // Clients reconnect (and re-resolve DNS) at least this often, so replicas
                    // an autoscaler adds take traffic from long-lived HTTP/2 connections too.
                    config.connection.maxAge = .seconds(300)
                    config.connection.maxGraceTime = .seconds(30)
                }
            ),
            services: [HealthService(status: self.health)] + rpcServices,
            interceptors: Self.serverInterceptors(logger: self.logger, authority: self.authority)
        )
        let readiness = DatabaseReadiness(
            client: self.database,
            migrations: MigrationRunner(schema: self.configuration.service.schema, migrations: migrations),
            health: self.health,
            logger: self.logger,
            maxConnections: self.configuration.databaseMaxConnections
        )
        let metrics = MetricsServer(
            host: self.configuration.grpcHost, port: self.configuration.metricsPort, logger: self.logger)
        let drain = ShutdownDrain(delay: self.configuration.shutdownDrain, health: self.health, logger: self.logger)
        // Graceful shutdown runs in reverse order: the drain first (health turns NOT_SERVING and
        // everything keeps serving for SHUTDOWN_DRAIN_SECONDS), then background work and
        // readiness (watch streams end), then the server drains its calls, then the clients, the
        // metrics endpoint and the database pool. The graceful part is bounded: whatever still
        // runs after the drain plus SHUTDOWN_GRACE_SECONDS (a long-lived stream) is cancelled.
        let services: [any Service] =
            [self.database, metrics] + self.peers.services + [GRPCServerService(server: server), readiness]
            + background + [drain]
        self.logger.info(
            "starting",
            metadata: [
                "grpc": "\(self.configuration.grpcHost):\(self.configuration.grpcPort)",
                "grpc-tls": "\(self.configuration.tls.map { $0.isMutual ? "mutual" : "server" } ?? "off")",
                "metrics": "\(self.configuration.grpcHost):\(self.configuration.metricsPort)",
                "database": "\(self.configuration.database)",
            ]
        )
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: stopOnSignals ? [.sigterm, .sigint] : [],
            logger: self.logger
        )
        configuration.maximumGracefulShutdownDuration =
            self.configuration.shutdownDrain + self.configuration.shutdownGrace
        configuration.maximumCancellationDuration = .seconds(5)
        return ServiceGroup(configuration: configuration)
    }

    /// `host` as a listening address: IPv6 when it is an IPv6 literal (`::` listens on every IPv6
    /// and, dual-stack, IPv4 address), IPv4 otherwise.
    public static func socketAddress(host: String, port: Int) -> GRPCNIOTransportCore.SocketAddress {
        host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
    }
}
