import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import Synchronization
import Testing

/// `*_ADDR` with several replicas: the syntax, which target each form becomes, what the resolver
/// of names answers, and that calls really reach every replica.
@Suite("Peer addresses: several replicas, round-robin")
struct PeerAddressTests {
    @Test func oneOrSeveralEntriesSeparatedByCommas() throws {
        let one = try #require(PeerAddress("policy:7000"))
        #expect(one.entries == [HostAndPort(host: "policy", port: 7000)])
        #expect(one.description == "policy:7000")

        let several = try #require(PeerAddress("10.0.0.5:50052, 10.0.0.6:50052,[fd00::7]:50052"))
        #expect(
            several.entries == [
                HostAndPort(host: "10.0.0.5", port: 50052), HostAndPort(host: "10.0.0.6", port: 50052),
                HostAndPort(host: "fd00::7", port: 50052),
            ])
        #expect(several.description == "10.0.0.5:50052,10.0.0.6:50052,[fd00::7]:50052")

        for bad in ["", "a:1,", ",a:1", "a:1,,b:2", "a:1,b", "a:1,b:0", "a:1;b:2"] {
            #expect(PeerAddress(bad) == nil, "'\(bad)'")
        }
        #expect(PeerAddress(entries: []) == nil)
    }

    @Test func aBadListNamesTheVariable() {
        let environment = Environment(["CONVERSATION_SERVICE_ADDR": "127.0.0.1:50052,"])
        let error = #expect(throws: ConfigurationError.self) {
            try environment.peerAddress(
                "CONVERSATION_SERVICE_ADDR", default: PeerAddress(HostAndPort(host: "127.0.0.1", port: 50052)))
        }
        #expect(error?.variable == "CONVERSATION_SERVICE_ADDR")
        #expect(error?.problem.contains("127.0.0.1:50052,") == true)
    }

    @Test func hostsAreLiteralsOrNames() {
        #expect(HostAndPort(host: "127.0.0.1", port: 1).hostKind == .ipv4)
        #expect(HostAndPort(host: "::1", port: 1).hostKind == .ipv6)
        #expect(HostAndPort(host: "fd00::7", port: 1).hostKind == .ipv6)
        #expect(HostAndPort(host: "localhost", port: 1).hostKind == .name)
        #expect(HostAndPort(host: "policy-service.inbox.svc", port: 1).hostKind == .name)
        #expect(HostAndPort(host: "10.0.0", port: 1).hostKind == .name)
        #expect(HostAndPort(host: "256.0.0.1", port: 1).hostKind == .name)
    }

    /// Literals of one family use the transport's static targets; a name (or both families) the
    /// resolver that gives every address its own endpoint.
    @Test func eachFormBecomesItsTarget() throws {
        let ipv4 = try #require(PeerAddress("127.0.0.1:50152,127.0.0.1:50252")?.target as? ResolvableTargets.IPv4)
        #expect(ipv4.addresses.map(\.port) == [50152, 50252])
        #expect(ipv4.addresses.allSatisfy { $0.host == "127.0.0.1" })

        let single = try #require(PeerAddress("127.0.0.1:50052")?.target as? ResolvableTargets.IPv4)
        #expect(single.addresses.count == 1)

        let ipv6 = try #require(PeerAddress("[::1]:50052,[::1]:50152")?.target as? ResolvableTargets.IPv6)
        #expect(ipv6.addresses.map(\.port) == [50052, 50152])

        let named = try #require(PeerAddress("conversation-service:50052")?.target as? PeerTarget)
        #expect(named.entries == [HostAndPort(host: "conversation-service", port: 50052)])

        let mixed = try #require(PeerAddress("127.0.0.1:1,[::1]:2")?.target as? PeerTarget)
        #expect(mixed.entries.count == 2)
    }

    /// A name stands for every address it resolves to, each its own endpoint; an address found
    /// twice (a literal and a name for it) is one endpoint.
    @Test func namesResolveToOneEndpointPerAddress() async throws {
        let result = try await PeerTargetResolver.resolve([
            HostAndPort(host: "127.0.0.1", port: 5000), HostAndPort(host: "localhost", port: 5000),
            HostAndPort(host: "127.0.0.1", port: 5001),
        ])
        #expect(result.endpoints.allSatisfy { $0.addresses.count == 1 })
        let addresses = result.endpoints.flatMap(\.addresses)
        #expect(addresses.filter { $0.ipv4?.host == "127.0.0.1" && $0.ipv4?.port == 5000 }.count == 1)
        #expect(addresses.contains { $0.ipv4?.host == "127.0.0.1" && $0.ipv4?.port == 5001 })
        #expect(Set(addresses).count == addresses.count)
    }

    /// Two servers behind one address list (as literals, and as names through the resolver):
    /// calls reach both, not only the first that answered.
    @Test(arguments: ["127.0.0.1", "localhost"])
    func callsReachEveryReplica(host: String) async throws {
        let counters = [CallCounter(), CallCounter()]
        let transports = counters.map { _ in
            HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
        }
        let servers = zip(transports, counters).map { transport, counter in
            GRPCServer(
                transport: transport, services: [HealthService(status: HealthStatus(services: []))],
                interceptors: [counter])
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for server in servers { group.addTask { try await server.serve() } }
            defer { for server in servers { server.beginGracefulShutdown() } }
            var entries: [HostAndPort] = []
            for transport in transports {
                let listening = try await transport.listeningAddress
                let port = try #require(listening.ipv4?.port)
                entries.append(HostAndPort(host: host, port: port))
            }
            let address = try #require(PeerAddress(entries: entries))
            try await withGRPCClient(transport: address.transport()) { client in
                let health = Grpc_Health_V1_Health.Client(wrapping: client)
                // Each address connects on its own: until both are up, the ready one takes every call.
                let deadline = ContinuousClock.now + .seconds(20)
                while !counters.allSatisfy({ $0.count > 0 }), ContinuousClock.now < deadline {
                    _ = try? await health.check(.init())
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            #expect(counters.map(\.count).allSatisfy { $0 > 0 }, "calls per server: \(counters.map(\.count))")
        }
    }
}

/// Counts the calls a server received.
final class CallCounter: ServerInterceptor {
    private let calls = Atomic<Int>(0)

    var count: Int { self.calls.load(ordering: .relaxed) }

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        _ = self.calls.add(1, ordering: .relaxed)
        return try await next(request, context)
    }
}
