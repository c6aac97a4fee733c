import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import InboxAPI
import InboxKit
import Logging
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

/// A server stream that never ends by itself (a watch), so a shutdown can only stop it by its bound.
struct HoldingService: RegistrableRPCService {
    static let hold = MethodDescriptor(fullyQualifiedService: "test.Holding", method: "Hold")
    let started: AsyncStream<Void>.Continuation

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        let started = self.started
        router.registerHandler(
            forMethod: Self.hold,
            deserializer: ProtobufDeserializer<Grpc_Health_V1_HealthCheckRequest>(),
            serializer: ProtobufSerializer<Grpc_Health_V1_HealthCheckResponse>()
        ) { _, _ in
            StreamingServerResponse { writer in
                try await writer.write(.with { $0.status = .serving })
                started.yield()
                try await Task.sleep(for: .seconds(3600))
                return [:]
            }
        }
    }
}

@Suite("Graceful shutdown: drain delay, then a bound")
struct ShutdownTests {
    @Test func drainsWhileServingThenStopsWithinTheBoundDespiteAnEndlessStream() async throws {
        try await withTestDatabase { database in
            let port = try freePort()
            let configuration = ServiceConfiguration(
                service: .policyService, database: database.url(for: .policyService), grpcHost: "127.0.0.1",
                grpcPort: port, tokenSigningKey: TestTokens.signingKey, metricsPort: try freePort(),
                shutdownDrain: .seconds(3), shutdownGrace: .seconds(1))
            let runtime = try await ServiceRuntime(configuration: configuration, logger: Logger(label: "shutdown-test"))
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let group = runtime.serviceGroup(
                rpcServices: [HoldingService(started: startedContinuation)], migrations: [], stopOnSignals: false)
            let metadata = try await TestTokens.metadata(.admin)

            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await withGRPCClient(
                    transport: .http2NIOPosix(
                        target: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext)
                ) { client in
                    let health = Grpc_Health_V1_Health.Client(wrapping: client)
                    let deadline = ContinuousClock.now + .seconds(30)
                    while (try? await health.check(.init()).status) != .serving {
                        #expect(ContinuousClock.now < deadline, "never SERVING")
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    let stream = Task {
                        try await client.serverStreaming(
                            request: ClientRequest(message: Grpc_Health_V1_HealthCheckRequest(), metadata: metadata),
                            descriptor: HoldingService.hold,
                            serializer: ProtobufSerializer<Grpc_Health_V1_HealthCheckRequest>(),
                            deserializer: ProtobufDeserializer<Grpc_Health_V1_HealthCheckResponse>(),
                            options: .defaults
                        ) { response in
                            for try await _ in response.messages {}
                        }
                    }
                    var iterator = started.makeAsyncIterator()
                    await iterator.next()

                    let shutdownStarted = ContinuousClock.now
                    await group.triggerGracefulShutdown()
                    try await Task.sleep(for: .milliseconds(100))
                    // Draining: health already says NOT_SERVING, yet calls are still answered.
                    #expect(try await health.check(.init()).status == .notServing)
                    #expect(try await health.check(.with { $0.service = HealthStatus.liveness }).status == .serving)

                    try await tasks.next()
                    let elapsed = ContinuousClock.now - shutdownStarted
                    #expect(elapsed >= .seconds(3), "stopped before the drain delay: \(elapsed)")
                    // drain 3 s + grace 1 s + cancellation bound 5 s, with room for a loaded machine
                    // (the drain is 3 s so that the checks above land inside it even then).
                    #expect(elapsed < .seconds(12), "the endless stream held the shutdown: \(elapsed)")
                    stream.cancel()
                }
            }
        }
    }
}
