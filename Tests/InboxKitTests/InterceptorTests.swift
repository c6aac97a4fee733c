import GRPCCore
import GRPCInProcessTransport
import InboxAPI
import InboxKit
import Logging
import Synchronization
import TestSupport
import Testing

/// A stand-in service: `check` does what the requested "service" name says, and records the
/// caller it saw (inside the handler, and inside a streaming response's producer).
final class ProbeService: Grpc_Health_V1_Health.SimpleServiceProtocol, Sendable {
    let seen = Mutex<[Caller?]>([])

    func check(
        request: Grpc_Health_V1_HealthCheckRequest,
        context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthCheckResponse {
        self.seen.withLock { $0.append(Caller.current) }
        switch request.service {
        case "internal": throw LeakyError(detail: "relation secret_schema.tokens: password=hunter2")
        case "not-found": throw DomainError.notFound("conversation c-1 not found")
        case "reply-refused": throw ErrorDetailsTests.refusal
        default: return .with { $0.status = .serving }
        }
    }

    func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        self.seen.withLock { $0.append(Caller.current) }
        if request.service == "internal" { throw LeakyError(detail: "stream broke: password=hunter2") }
        try await response.write(.with { $0.status = .serving })
    }
}

/// An error whose text must never reach a caller.
struct LeakyError: Error, CustomStringConvertible {
    let detail: String
    var description: String { self.detail }
}

@Suite("Server interceptors: authentication, request ids, error mapping")
struct InterceptorTests {
    func withProbe<T: Sendable>(
        _ body: (ProbeService, Grpc_Health_V1_Health.Client<InProcessTransport.Client>) async throws -> T
    ) async throws -> T {
        let probe = ProbeService()
        let transport = InProcessTransport()
        let authority = await TokenAuthority(signingKey: TestTokens.signingKey)
        let interceptors: [any ServerInterceptor] = [
            RequestContextInterceptor(logger: Logger(label: "test")),
            ErrorSanitizingInterceptor(),
            AuthenticationInterceptor(authority: authority, publicServices: []),
        ]
        return try await withGRPCServer(transport: transport.server, services: [probe], interceptors: interceptors) {
            _ in
            try await withGRPCClient(transport: transport.client) { client in
                try await body(probe, Grpc_Health_V1_Health.Client(wrapping: client))
            }
        }
    }

    @Test func missingTokenIsUnauthenticated() async throws {
        try await self.withProbe { probe, client in
            let error = await #expect(throws: RPCError.self) { try await client.check(.init()) }
            #expect(error?.code == .unauthenticated)
            #expect(error?.message.contains("bearer token is required") == true)
            #expect(probe.seen.withLock { $0.isEmpty })
        }
    }

    @Test func malformedHeaderIsUnauthenticated() async throws {
        try await self.withProbe { _, client in
            for header in ["Basic abc", "Bearer", "Bearer not.a.jwt"] {
                let error = await #expect(throws: RPCError.self) {
                    try await client.check(.init(), metadata: ["authorization": "\(header)"])
                }
                #expect(error?.code == .unauthenticated)
            }
        }
    }

    @Test func callerIsBoundForUnaryAndStreaming() async throws {
        try await self.withProbe { probe, client in
            let metadata = try await TestTokens.metadata(.admin, organization: "org-42")
            let response = try await client.check(.init(), metadata: metadata)
            #expect(response.status == .serving)
            try await client.watch(.init(), metadata: metadata) { response in
                for try await message in response.messages { #expect(message.status == .serving) }
            }
            let seen = probe.seen.withLock { $0 }
            #expect(seen.count == 2)
            #expect(seen.allSatisfy { $0?.organizationID == "org-42" && $0?.role == .admin })
        }
    }

    @Test func requestIDIsEchoed() async throws {
        try await self.withProbe { _, client in
            var metadata = try await TestTokens.metadata(.operator)
            metadata.addString("req-123", forKey: "x-request-id")
            let echoed = try await client.check(
                Grpc_Health_V1_HealthCheckRequest(),
                metadata: metadata,
                onResponse: { $0.metadata[stringValues: "x-request-id"].first(where: { _ in true }) }
            )
            #expect(echoed == "req-123")
            let generated = try await client.check(
                Grpc_Health_V1_HealthCheckRequest(),
                metadata: try await TestTokens.metadata(.operator),
                onResponse: { $0.metadata[stringValues: "x-request-id"].first(where: { _ in true }) }
            )
            #expect(generated?.count == 36)
        }
    }

    @Test func internalErrorsDoNotLeak() async throws {
        try await self.withProbe { _, client in
            let metadata = try await TestTokens.metadata(.operator)
            let error = await #expect(throws: RPCError.self) {
                try await client.check(.with { $0.service = "internal" }, metadata: metadata)
            }
            #expect(error?.code == .internalError, "\(String(describing: error))")
            #expect(error?.message.hasPrefix("internal error (request id ") == true)
            #expect(error?.message.contains("hunter2") == false)
            #expect(error?.message.contains("secret_schema") == false)
            let streamed = await #expect(throws: RPCError.self) {
                try await client.watch(.with { $0.service = "internal" }, metadata: metadata) { response in
                    for try await _ in response.messages {}
                }
            }
            #expect(streamed?.code == .internalError)
            #expect(streamed?.message.contains("hunter2") == false)
        }
    }

    @Test func domainErrorsMapToTheirCodes() async throws {
        try await self.withProbe { _, client in
            let metadata = try await TestTokens.metadata(.operator)
            let error = await #expect(throws: RPCError.self) {
                try await client.check(.with { $0.service = "not-found" }, metadata: metadata)
            }
            #expect(error?.code == .notFound)
            #expect(error?.message == "conversation c-1 not found")
        }
        let codes: [(DomainError, RPCError.Code)] = [
            (.invalidArgument("a"), .invalidArgument), (.notFound("a"), .notFound),
            (.alreadyExists("a"), .alreadyExists),
            (.failedPrecondition("a", reason: .inboxDeactivated), .failedPrecondition),
            (.permissionDenied("a"), .permissionDenied), (.unauthenticated("a"), .unauthenticated),
            (.resourceExhausted("a"), .resourceExhausted), (.unavailable("a"), .unavailable),
            (.unimplemented("a"), .unimplemented),
        ]
        for (error, code) in codes {
            #expect(error.rpcErrorCode == code)
            #expect(error.rpcErrorMessage == "a")
        }
    }
}
