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
        self.authority = await TokenAuthority(signingKey: configuration.tokenSigningKey)
        self.health = HealthStatus(services: [configuration.service.grpcServiceName])
        self.peers = try PeerClients(
            addresses: configuration.peers,
            tokens: ServiceTokenSource(authority: self.authority, service: configuration.service)
        )
    }

    /// The interceptors of every server, outermost first: request id and logging, error
    /// sanitising, authentication.
    public static func serverInterceptors(logger: Logger, authority: TokenAuthority) -> [any ServerInterceptor] {
        [
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
        let server = GRPCServer(
            transport: .http2NIOPosix(
                address: .ipv4(host: self.configuration.grpcHost, port: self.configuration.grpcPort),
                transportSecurity: .plaintext
            ),
            services: [HealthService(status: self.health)] + rpcServices,
            interceptors: Self.serverInterceptors(logger: self.logger, authority: self.authority)
        )
        let readiness = DatabaseReadiness(
            client: self.database,
            migrations: MigrationRunner(schema: self.configuration.service.schema, migrations: migrations),
            health: self.health,
            logger: self.logger
        )
        // Graceful shutdown runs in reverse order: background work and readiness (health turns
        // NOT_SERVING, watch streams end) first, then the server drains, then the clients and
        // the database pool.
        let services: [any Service] =
            [self.database] + self.peers.services + [GRPCServerService(server: server), readiness] + background
        self.logger.info(
            "starting",
            metadata: [
                "grpc": "\(self.configuration.grpcHost):\(self.configuration.grpcPort)",
                "database": "\(self.configuration.database)",
            ]
        )
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: self.logger
            )
        )
        try await group.run()
        self.logger.info("stopped")
    }
}
