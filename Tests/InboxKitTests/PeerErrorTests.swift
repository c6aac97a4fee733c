import GRPCCore
import GRPCInProcessTransport
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import InboxAPI
import InboxKit
import TestSupport
import Testing

/// A service whose handler calls a peer, as conversation-service calls policy-service.
struct RelayingService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    let peer: Grpc_Health_V1_Health.Client<InProcessTransport.Client>
    let downPeer: Grpc_Health_V1_Health.Client<HTTP2ClientTransport.Posix>

    func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws
        -> Grpc_Health_V1_HealthCheckResponse
    {
        switch request.service {
        case "peer-down":
            return try await self.downPeer.check(.init(), options: .with { $0.timeout = .seconds(2) })
        default:
            return try await self.peer.check(.with { $0.service = request.service })
        }
    }

    func watch(
        request: Grpc_Health_V1_HealthCheckRequest, response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {}
}

extension CallOptions {
    static func with(_ configure: (inout CallOptions) -> Void) -> CallOptions {
        var options = CallOptions.defaults
        configure(&options)
        return options
    }
}

@Suite("Errors from peer services are mapped, never forwarded")
struct PeerErrorTests {
    func callThroughPeer(_ service: String) async throws -> RPCError? {
        let inner = InProcessTransport()
        let closedPort = try freePort()
        return try await withGRPCServer(transport: inner.server, services: [ProbeService()]) { _ in
            try await withGRPCClient(
                transport: inner.client, interceptors: [PeerErrorInterceptor(peer: "policy-service")]
            ) { peerClient in
                try await withGRPCClient(
                    transport: .http2NIOPosix(
                        target: .ipv4(host: "127.0.0.1", port: closedPort), transportSecurity: .plaintext),
                    interceptors: [PeerErrorInterceptor(peer: "policy-service")]
                ) { downClient in
                    let relay = RelayingService(
                        peer: .init(wrapping: peerClient), downPeer: .init(wrapping: downClient))
                    return try await withInProcessServer(services: [relay]) { client in
                        await #expect(throws: RPCError.self) {
                            try await Grpc_Health_V1_Health.Client(wrapping: client).check(
                                .with { $0.service = service })
                        }
                    }
                }
            }
        }
    }

    @Test func aPeersNotFoundBecomesInternalForTheOutsideCaller() async throws {
        let error = try #require(try await self.callThroughPeer("not-found"))
        #expect(error.code == .internalError)
        #expect(!error.message.contains("c-1"))
        #expect(try error.unpackGoogleRPCStatus()?.details.first?.errorInfo?.reason == "INTERNAL")
        #expect(error.metadata[stringValues: PeerErrorInterceptor.peerKey].contains { _ in true } == false)
    }

    @Test func anUnreachablePeerIsUnavailableWithoutItsAddress() async throws {
        let error = try #require(try await self.callThroughPeer("peer-down"))
        #expect(error.code == .unavailable)
        #expect(!error.message.contains("127.0.0.1"))
        #expect(error.message.hasSuffix("is unavailable; retry with backoff"))
        #expect(try error.unpackGoogleRPCStatus()?.details.first?.errorInfo?.reason == "DEPENDENCY_UNAVAILABLE")
    }
}
