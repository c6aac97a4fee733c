import Logging

/// What every service reads from its environment (DESIGN.md §6). The gateway adds its own
/// HTTP settings on top.
public struct ServiceConfiguration: Sendable {
    public var service: InboxService
    /// The service's own role and database (`DATABASE_URL`).
    public var database: DatabaseURL
    /// `GRPC_HOST` (default 0.0.0.0) and `GRPC_PORT` (default per service).
    public var grpcHost: String
    public var grpcPort: Int
    public var logLevel: Logger.Level
    /// The keys that verify bearer tokens and sign this service's own (``TokenKeys``).
    public var tokenKeys: TokenKeys
    /// `*_ADDR` of the services this one calls (default 127.0.0.1 and their default ports); each
    /// may list several replicas or name a DNS name with several records (``PeerAddress``).
    public var peers: [InboxService: PeerAddress]
    /// `DATABASE_MAX_CONNECTIONS` (default 10).
    public var databaseMaxConnections: Int
    /// `METRICS_PORT` (default 9091-9094): Prometheus text at `GET /metrics` on `GRPC_HOST`.
    public var metricsPort: Int
    /// `SHUTDOWN_DRAIN_SECONDS` (default 0): after SIGTERM, health turns NOT_SERVING at once and
    /// the service keeps serving this long so load balancers stop sending to it; then it drains.
    public var shutdownDrain: Duration
    /// `SHUTDOWN_GRACE_SECONDS` (default 10): the bound on the graceful part of a shutdown (after
    /// the drain delay); what still runs then (a long-lived stream) is cancelled.
    public var shutdownGrace: Duration
    /// `GRPC_TLS_CERT`, `GRPC_TLS_KEY`, `GRPC_TLS_CA` (and `GRPC_TLS_SERVER_NAME`): TLS, or mutual
    /// TLS, for the gRPC server and the peer clients (``GRPCTLSSettings``); nil: plaintext h2c.
    public var tls: GRPCTLSSettings?

    public init(
        service: InboxService,
        database: DatabaseURL,
        grpcHost: String = "0.0.0.0",
        grpcPort: Int? = nil,
        logLevel: Logger.Level = .info,
        tokenKeys: TokenKeys,
        peers: [InboxService: PeerAddress] = [:],
        databaseMaxConnections: Int = 10,
        metricsPort: Int? = nil,
        shutdownDrain: Duration = .zero,
        shutdownGrace: Duration = .seconds(10),
        tls: GRPCTLSSettings? = nil
    ) {
        self.service = service
        self.database = database
        self.grpcHost = grpcHost
        self.grpcPort = grpcPort ?? service.defaultGRPCPort
        self.logLevel = logLevel
        self.tokenKeys = tokenKeys
        self.peers = peers
        self.databaseMaxConnections = databaseMaxConnections
        self.metricsPort = metricsPort ?? service.defaultMetricsPort
        self.shutdownDrain = shutdownDrain
        self.shutdownGrace = shutdownGrace
        self.tls = tls
    }

    /// The smallest signing key accepted: HS256 wants at least 256 bits.
    public static let minimumSigningKeyLength = 32

    public static func load(_ service: InboxService, from environment: Environment) throws -> ServiceConfiguration {
        let database = try DatabaseURL(parsing: environment.string("DATABASE_URL"))
        let keys = try TokenKeys.load(from: environment, needsServiceKey: true)
        var peers: [InboxService: PeerAddress] = [:]
        for peer in service.peers {
            peers[peer] = try environment.peerAddress(
                peer.addressVariable,
                default: PeerAddress(HostAndPort(host: "127.0.0.1", port: peer.defaultGRPCPort))
            )
        }
        return ServiceConfiguration(
            service: service,
            database: database,
            grpcHost: try environment.string("GRPC_HOST", default: "0.0.0.0"),
            grpcPort: try environment.port("GRPC_PORT", default: service.defaultGRPCPort),
            logLevel: try environment.logLevel(),
            tokenKeys: keys,
            peers: peers,
            databaseMaxConnections: try environment.integer("DATABASE_MAX_CONNECTIONS", default: 10, range: 1...500),
            metricsPort: try environment.port("METRICS_PORT", default: service.defaultMetricsPort),
            shutdownDrain: .seconds(try environment.integer("SHUTDOWN_DRAIN_SECONDS", default: 0, range: 0...300)),
            shutdownGrace: .seconds(try environment.integer("SHUTDOWN_GRACE_SECONDS", default: 10, range: 1...600)),
            tls: try GRPCTLSSettings.load(from: environment)
        )
    }
}

extension ServiceConfiguration {
    /// A configuration whose tokens are HS256 with `tokenSigningKey` (local runs and tests).
    public init(
        service: InboxService, database: DatabaseURL, grpcHost: String = "0.0.0.0", grpcPort: Int? = nil,
        logLevel: Logger.Level = .info, tokenSigningKey: String, peers: [InboxService: PeerAddress] = [:],
        databaseMaxConnections: Int = 10, metricsPort: Int? = nil, shutdownDrain: Duration = .zero,
        shutdownGrace: Duration = .seconds(10), tls: GRPCTLSSettings? = nil
    ) {
        self.init(
            service: service, database: database, grpcHost: grpcHost, grpcPort: grpcPort, logLevel: logLevel,
            tokenKeys: .hmac(tokenSigningKey), peers: peers, databaseMaxConnections: databaseMaxConnections,
            metricsPort: metricsPort, shutdownDrain: shutdownDrain, shutdownGrace: shutdownGrace, tls: tls)
    }
}
