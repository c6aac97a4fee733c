import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import PostgresNIO
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The four real executables against PostgreSQL, over real sockets.
@Suite("The whole stack")
struct StackTests {
    /// Starts the four services on free ports against `database`.
    func startStack(
        _ database: TestDatabase, grpcHost: String = "127.0.0.1", extra: [InboxService: [String: String]] = [:]
    ) throws -> Stack {
        try self.startStacks(1, database, grpcHost: grpcHost, extra: extra)[0]
    }

    /// Starts `count` sets of the four services against one `database`, each set on its own free
    /// ports, every process's `*_ADDR` listing that service in every set (so calls between
    /// services, the relay included, are balanced round-robin across the sets): `count` replicas
    /// of each service, as a Kubernetes Deployment runs them.
    func startStacks(
        _ count: Int, _ database: TestDatabase, grpcHost: String = "127.0.0.1",
        extra: [InboxService: [String: String]] = [:]
    ) throws -> [Stack] {
        var sets: [(ports: [InboxService: Int], metricsPorts: [InboxService: Int], httpPort: Int)] = []
        for _ in 0..<count {
            var ports: [InboxService: Int] = [:]
            var metricsPorts: [InboxService: Int] = [:]
            for service in InboxService.allCases {
                ports[service] = try freePort()
                metricsPorts[service] = try freePort()
            }
            let httpPort = try freePort()
            sets.append((ports: ports, metricsPorts: metricsPorts, httpPort: httpPort))
        }
        var addresses: [InboxService: String] = [:]
        for peer in InboxService.allCases {
            addresses[peer] = sets.map { "127.0.0.1:\($0.ports[peer]!)" }.joined(separator: ",")
        }
        return try sets.map { instance -> Stack in
            var processes: [InboxService: ServiceProcess] = [:]
            for service in InboxService.allCases {
                var environment = [
                    "DATABASE_URL": Self.url(database.url(for: service)),
                    "GRPC_HOST": grpcHost,
                    "GRPC_PORT": "\(instance.ports[service]!)",
                    "METRICS_PORT": "\(instance.metricsPorts[service]!)",
                    "TOKEN_SIGNING_KEY": TestTokens.signingKey,
                    "CHANNEL_SECRETS_KEY": "test:\(Data(repeating: 1, count: 32).base64EncodedString())",
                    "HTTP_HOST": "127.0.0.1",
                    "HTTP_PORT": "\(instance.httpPort)",
                ]
                for peer in InboxService.allCases { environment[peer.addressVariable] = addresses[peer] }
                environment.merge(extra[service] ?? [:]) { _, new in new }
                processes[service] = try ServiceProcess(product: service.rawValue, environment: environment)
            }
            return Stack(
                ports: instance.ports, metricsPorts: instance.metricsPorts, httpPort: instance.httpPort,
                processes: processes)
        }
    }

    static func url(_ url: DatabaseURL) -> String {
        "postgres://\(url.username):\(url.password ?? "")@\(url.host):\(url.port)/\(url.database)"
    }

    @Test func fourServicesServeMigrateAndStopOnSIGTERM() async throws {
        try await withTestDatabase { database in
            let stack = try self.startStack(database)
            for service in InboxService.allCases {
                let status = try await stack.waitUntilServing(service, timeout: .seconds(60))
                #expect(status == .serving, "\(service.rawValue): \(stack.processes[service]!.output)")
            }

            // The gateway's HTTP side answers its probe.
            let (body, response) = try await URLSession.shared.data(
                from: URL(string: "http://127.0.0.1:\(stack.httpPort)/healthz")!
            )
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(String(decoding: body, as: UTF8.self) == "ok\n")

            // An RPC over a real socket: NOT_FOUND for a conversation that does not exist with a
            // token, UNAUTHENTICATED without one.
            try await stack.withClient(.conversationService) { client in
                let conversations = Inbox_V1_ConversationService.Client(wrapping: client)
                let request = Inbox_V1_GetConversationRequest.with { $0.conversationID = UUID().uuidString }
                let missing = await #expect(throws: RPCError.self) {
                    try await conversations.getConversation(request, metadata: try await TestTokens.metadata(.agent))
                }
                #expect(missing?.code == .notFound)
                let anonymous = await #expect(throws: RPCError.self) {
                    try await conversations.getConversation(request)
                }
                #expect(anonymous?.code == .unauthenticated)
            }

            // Every service counts its RPCs by method and status code at /metrics.
            let (metrics, metricsResponse) = try await URLSession.shared.data(
                from: URL(string: "http://127.0.0.1:\(stack.metricsPorts[.conversationService]!)/metrics")!
            )
            #expect((metricsResponse as? HTTPURLResponse)?.statusCode == 200)
            let exposition = String(decoding: metrics, as: UTF8.self)
            let counted = exposition.split(separator: "\n").first {
                $0.hasPrefix("inbox_rpc_requests_total{")
                    && $0.contains(#"method="inbox.v1.ConversationService/GetConversation""#)
                    && $0.contains(#"code="NOT_FOUND""#)
            }
            #expect(counted?.hasSuffix(" 1") == true, "\(exposition)")
            #expect(exposition.contains("inbox_rpc_duration_seconds_bucket"), "\(exposition)")
            #expect(
                exposition.contains(#"inbox_rpc_requests_total{code="UNAUTHENTICATED""#)
                    || exposition.contains(#"code="UNAUTHENTICATED""#), "\(exposition)")

            // An independent client (Python grpcio) sees the same, reads error reasons from the
            // status details, and reads a ReplyRefusal back.
            let interop = try await withRefusingConversationServer { port in
                try await runInteropCheck(stack, refusalPort: port)
            }
            #expect(interop.status == 0, "\(interop.output)")
            #expect(interop.output.contains("0 failed"))
            for check in ["ok   IngestEvents with 501 events", "ok   SendReply refused: ReplyRefusal detail"] {
                #expect(interop.output.contains(check), "\(interop.output)")
            }

            // Each schema was migrated by its own service.
            try await withPostgresClient(database.admin, schema: nil) { admin in
                for service in InboxService.allCases {
                    let rows = try await admin.query(
                        PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(service.schema).schema_migrations")
                    )
                    for try await count in rows.decode(Int.self) { #expect(count >= 1) }
                }
            }

            // SIGTERM: each stops cleanly within a few seconds.
            for process in stack.processes.values { process.terminate() }
            for (service, process) in stack.processes {
                let status = await process.waitForExit(timeout: .seconds(10))
                #expect(status == 0, "\(service.rawValue) exit: \(String(describing: status)) \(process.output)")
            }
        }
    }

    /// `GRPC_HOST=::` listens on IPv6 and, dual-stack, on IPv4 too.
    @Test func listensOnIPv6AndIPv4WhenGRPCHostSaysSo() async throws {
        try await withTestDatabase { database in
            let port = try freePort()
            let process = try ServiceProcess(
                product: InboxService.policyService.rawValue,
                environment: [
                    "DATABASE_URL": Self.url(database.url(for: .policyService)), "GRPC_HOST": "::",
                    "GRPC_PORT": "\(port)", "METRICS_PORT": "\(try freePort())",
                    "TOKEN_SIGNING_KEY": TestTokens.signingKey,
                ])
            defer { process.terminate() }
            let targets: [any ResolvableTarget] = [
                .ipv6(address: "::1", port: port), .ipv4(address: "127.0.0.1", port: port),
            ]
            for target in targets {
                let status = try await withGRPCClient(
                    transport: .http2NIOPosix(target: target, transportSecurity: .plaintext)
                ) { client in
                    let health = Grpc_Health_V1_Health.Client(wrapping: client)
                    let deadline = ContinuousClock.now + .seconds(60)
                    while ContinuousClock.now < deadline {
                        if let response = try? await health.check(.init()), response.status == .serving {
                            return response.status
                        }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return Grpc_Health_V1_HealthCheckResponse.ServingStatus.unknown
                }
                #expect(status == .serving, "\(target): \(process.output)")
            }
        }
    }

    @Test func badConfigurationExitsWithOneLineNamingTheVariable() async throws {
        let process = try ServiceProcess(
            product: "conversation-service",
            environment: ["TOKEN_SIGNING_KEY": TestTokens.signingKey, "DATABASE_URL": ""]
        )
        #expect(await process.waitForExit(timeout: .seconds(10)) == 2)
        #expect(process.output == "conversation-service: configuration error: DATABASE_URL: is required but not set\n")

        let badPort = try ServiceProcess(
            product: "policy-service",
            environment: [
                "TOKEN_SIGNING_KEY": TestTokens.signingKey,
                "DATABASE_URL": "postgres://u:p@127.0.0.1/db",
                "GRPC_PORT": "seventy",
            ]
        )
        #expect(await badPort.waitForExit(timeout: .seconds(10)) == 2)
        #expect(badPort.output.contains("GRPC_PORT: must be a whole number from 1 to 65535, got 'seventy'"))
    }

    @Test func anEditedMigrationStopsTheService() async throws {
        try await withTestDatabase { database in
            let stack = try self.startStack(database)
            let status = try await stack.waitUntilServing(.policyService, timeout: .seconds(60))
            try #require(status == .serving, "\(stack.processes[.policyService]!.output)")
            for process in stack.processes.values { process.terminate() }
            for process in stack.processes.values { _ = await process.waitForExit(timeout: .seconds(10)) }

            try await withPostgresClient(database.admin, schema: nil) { admin in
                try await admin.query("UPDATE policy.schema_migrations SET checksum = 'edited' WHERE version = 1")
            }
            let policy = try ServiceProcess(
                product: "policy-service",
                environment: [
                    "DATABASE_URL": Self.url(database.url(for: .policyService)),
                    "TOKEN_SIGNING_KEY": TestTokens.signingKey,
                    "GRPC_HOST": "127.0.0.1",
                    "GRPC_PORT": "\(try freePort())",
                ]
            )
            #expect(await policy.waitForExit(timeout: .seconds(20)) == 1)
            #expect(policy.output.contains("migration 1"))
            #expect(policy.output.contains("was edited after it was applied"))
        }
    }

    @Test func unreachableDatabaseIsNotServingAndSIGTERMStillStops() async throws {
        let port = try freePort()
        let grpcPort = try freePort()
        let process = try ServiceProcess(
            product: "assignment-service",
            environment: [
                "DATABASE_URL": "postgres://inbox_assignment:x@127.0.0.1:\(try freePort())/inbox",
                "TOKEN_SIGNING_KEY": TestTokens.signingKey,
                "GRPC_HOST": "127.0.0.1",
                "GRPC_PORT": "\(grpcPort)",
            ]
        )
        let stack = Stack(
            ports: [.assignmentService: grpcPort], metricsPorts: [:], httpPort: port,
            processes: [.assignmentService: process])
        let status = try await stack.waitForAnswer(.assignmentService, timeout: .seconds(30))
        #expect(status == .notServing)
        process.terminate()
        #expect(await process.waitForExit(timeout: .seconds(10)) == 0, "\(process.output)")
    }
}

struct Stack {
    let ports: [InboxService: Int]
    let metricsPorts: [InboxService: Int]
    let httpPort: Int
    let processes: [InboxService: ServiceProcess]
    /// How the test's clients (health polls included) connect: plaintext unless the services were
    /// started with `GRPC_TLS_*` (TLSStackTests).
    var tls: GRPCClientTLS? = nil

    func withClient<T: Sendable>(
        _ service: InboxService,
        _ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> T
    ) async throws -> T {
        try await self.withClient(service, tls: self.tls, body)
    }

    /// A client of `service` secured by `tls` instead of the stack's own choice (a client the
    /// services should refuse).
    func withClient<T: Sendable>(
        _ service: InboxService,
        tls: GRPCClientTLS?,
        _ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> T
    ) async throws -> T {
        try await withGRPCClient(
            transport: .http2NIOPosix(address: HostAndPort(host: "127.0.0.1", port: self.ports[service]!), tls: tls),
            handleClient: body
        )
    }

    /// Polls health until SERVING or `timeout`; returns the last status seen.
    /// Waits until each of the four reports SERVING (up to 60 s each); one that does not is
    /// recorded with its output.
    func expectAllServing() async throws {
        for service in InboxService.allCases {
            let status = try await self.waitUntilServing(service, timeout: .seconds(60))
            #expect(status == .serving, "\(service.rawValue): \(self.processes[service]?.output ?? "")")
        }
    }

    /// Runs `call` again while it fails UNAVAILABLE (a service's connection to a peer may still
    /// be backing off from the start-up), for up to `timeout`.
    static func retryingWhileUnavailable<T: Sendable>(
        timeout: Duration = .seconds(30), _ call: () async throws -> T
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                return try await call()
            } catch let error as RPCError where error.code == .unavailable && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    func waitUntilServing(
        _ service: InboxService,
        timeout: Duration
    ) async throws -> Grpc_Health_V1_HealthCheckResponse.ServingStatus? {
        try await self.poll(service, timeout: timeout) { $0 == .serving }
    }

    /// Polls health until the service answers at all.
    func waitForAnswer(
        _ service: InboxService,
        timeout: Duration
    ) async throws -> Grpc_Health_V1_HealthCheckResponse.ServingStatus? {
        try await self.poll(service, timeout: timeout) { _ in true }
    }

    private func poll(
        _ service: InboxService,
        timeout: Duration,
        until done: (Grpc_Health_V1_HealthCheckResponse.ServingStatus) -> Bool
    ) async throws -> Grpc_Health_V1_HealthCheckResponse.ServingStatus? {
        let deadline = ContinuousClock.now + timeout
        var last: Grpc_Health_V1_HealthCheckResponse.ServingStatus?
        try await self.withClient(service) { client in
            let health = Grpc_Health_V1_Health.Client(wrapping: client)
            while ContinuousClock.now < deadline {
                var options = CallOptions.defaults
                options.timeout = .seconds(2)
                if let response = try? await health.check(
                    .with { $0.service = service.grpcServiceName },
                    options: options
                ) {
                    last = response.status
                    if done(response.status) { return }
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return last
    }
}

/// Runs Tests/Interop/interop_check.py with the project's private Python (INBOX_INTEROP_PYTHON).
func runInteropCheck(_ stack: Stack, refusalPort: Int) async throws -> (status: Int32, output: String) {
    let environment = ProcessInfo.processInfo.environment
    guard let python = environment["INBOX_INTEROP_PYTHON"], let root = environment["INBOX_REPO_ROOT"] else {
        throw TestDatabaseError(
            "INBOX_INTEROP_PYTHON and INBOX_REPO_ROOT are not set: run the tests with deploy/local/test")
    }
    let token = try await TestTokens.token(.admin)
    let serviceToken = try await TestTokens.token(.service)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [
        "\(root)/Tests/Interop/interop_check.py", "--protos", "\(root)/Protos", "--token", token,
        "--service-token", serviceToken,
        "--gateway", "127.0.0.1:\(stack.ports[.channelGateway]!)",
        "--conversation", "127.0.0.1:\(stack.ports[.conversationService]!)",
        "--assignment", "127.0.0.1:\(stack.ports[.assignmentService]!)",
        "--policy", "127.0.0.1:\(stack.ports[.policyService]!)",
        "--refusal", "127.0.0.1:\(refusalPort)",
        "--refusal-window-end", "\(Int(RefusingConversationService.windowEnd.timeIntervalSince1970))",
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    // Read and wait off the cooperative pool: the refusing server answers on it meanwhile.
    let data = await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            continuation.resume(returning: data)
        }
    }
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
