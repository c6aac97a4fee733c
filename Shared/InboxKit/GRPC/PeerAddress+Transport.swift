public import GRPCCore
public import GRPCNIOTransportHTTP2

extension PeerAddress {
    /// What the transport resolves for these entries:
    /// - IPv4 literals only (one, as before, or several): the transport's static IPv4 target, one
    ///   endpoint per address;
    /// - IPv6 literals only: its static IPv6 target;
    /// - anything else (a DNS name among them, or both families): a ``PeerTarget``, which
    ///   ``PeerTargetResolver`` resolves into one endpoint per address too.
    public var target: any ResolvableTarget {
        if self.entries.allSatisfy({ $0.hostKind == .ipv4 }) {
            return ResolvableTargets.IPv4(
                addresses: self.entries.map { GRPCNIOTransportCore.SocketAddress.IPv4(host: $0.host, port: $0.port) })
        }
        if self.entries.allSatisfy({ $0.hostKind == .ipv6 }) {
            return ResolvableTargets.IPv6(
                addresses: self.entries.map { GRPCNIOTransportCore.SocketAddress.IPv6(host: $0.host, port: $0.port) })
        }
        return PeerTarget(entries: self.entries)
    }

    /// An HTTP/2 transport to every address this names, balanced round-robin: each address gets
    /// its own connection and calls take turns over the ready ones (one that cannot be reached is
    /// skipped while it backs off). Plaintext without `tls`; with it, TLS (mutual when it holds a
    /// certificate), the server name checked as `tls.serverName` says. IP literals are dialled as
    /// addresses, so no IP goes into TLS's server name (NIOSSL refuses that).
    public func transport(
        config: HTTP2ClientTransport.Posix.Config = .defaults, tls: GRPCClientTLS? = nil
    ) throws -> HTTP2ClientTransport.Posix {
        var config = config
        if let serverName = tls?.serverName { config.http2.authority = serverName }
        return try HTTP2ClientTransport.Posix(
            target: self.target,
            transportSecurity: tls?.transportSecurity ?? .plaintext,
            config: config,
            resolverRegistry: Self.resolvers,
            serviceConfig: ServiceConfig(loadBalancingConfig: [.roundRobin])
        )
    }

    /// The transport's own resolvers, and ``PeerTargetResolver``.
    public static var resolvers: NameResolverRegistry {
        var registry = NameResolverRegistry.defaults
        registry.registerFactory(PeerTargetResolver())
        return registry
    }
}

/// `host:port` entries of which at least one is a DNS name, resolved together.
///
/// Not the transport's own DNS target: that one resolves a name into ONE endpoint holding all of
/// its addresses, and a round-robin balancer treats an endpoint as one server — it connects to the
/// first address that answers and sends it every call, so the other replicas behind the name
/// would get nothing.
public struct PeerTarget: ResolvableTarget, Sendable {
    public var entries: [HostAndPort]

    public init(entries: [HostAndPort]) {
        self.entries = entries
    }
}

/// Resolves a ``PeerTarget`` whenever the channel asks (at start, and again when a connection
/// fails or a server sends GOAWAY — at its connection max-age, say — so replicas added since are
/// found): literals as they are, names through the transport's DNS resolver (`getaddrinfo`: every
/// A and AAAA record), one endpoint per distinct address in the order found.
///
/// A name that does not resolve while the others do is left out (a replica being replaced, a
/// Compose container not yet up): the rest keep taking calls. When nothing resolves, the first
/// error is thrown; the channel retries with backoff, and calls meanwhile fail UNAVAILABLE.
public struct PeerTargetResolver: NameResolverFactory, Sendable {
    public typealias Target = PeerTarget

    public init() {}

    public func resolver(for target: PeerTarget) -> NameResolver {
        NameResolver(
            names: RPCAsyncSequence(wrapping: Resolutions(entries: target.entries)),
            updateMode: .pull,
            authority: target.entries.count == 1 ? target.entries[0].description : nil
        )
    }

    /// One resolution of `entries`.
    public static func resolve(_ entries: [HostAndPort]) async throws -> NameResolutionResult {
        var addresses: [GRPCNIOTransportCore.SocketAddress] = []
        var firstError: (any Error)?
        for entry in entries {
            switch entry.hostKind {
            case .ipv4:
                addresses.append(.ipv4(host: entry.host, port: entry.port))
            case .ipv6:
                addresses.append(.ipv6(host: entry.host, port: entry.port))
            case .name:
                do {
                    addresses += try await Self.lookUp(entry)
                } catch let error as CancellationError {
                    throw error
                } catch {
                    firstError = firstError ?? error
                }
            }
        }
        var seen = Set<GRPCNIOTransportCore.SocketAddress>()
        let distinct = addresses.filter { seen.insert($0).inserted }
        guard !distinct.isEmpty else {
            let names = entries.map(\.description).joined(separator: ",")
            throw firstError ?? RPCError(code: .unavailable, message: "no address found for \(names)")
        }
        return NameResolutionResult(endpoints: distinct.map { Endpoint(addresses: [$0]) }, serviceConfig: nil)
    }

    /// Every address of `entry`'s name, from the transport's own DNS resolver.
    static func lookUp(_ entry: HostAndPort) async throws -> [GRPCNIOTransportCore.SocketAddress] {
        let dns = NameResolvers.DNS().resolver(for: ResolvableTargets.DNS(host: entry.host, port: entry.port))
        var results = dns.names.makeAsyncIterator()
        guard let result = try await results.next() else { return [] }
        return result.endpoints.flatMap(\.addresses)
    }

    /// Endless: each `next()` resolves again (the channel pulls only when it needs to).
    struct Resolutions: AsyncSequence, Sendable {
        typealias Element = NameResolutionResult
        typealias Failure = any Error

        let entries: [HostAndPort]

        func makeAsyncIterator() -> Iterator {
            Iterator(entries: self.entries)
        }

        struct Iterator: AsyncIteratorProtocol {
            typealias Element = NameResolutionResult
            typealias Failure = any Error

            let entries: [HostAndPort]

            mutating func next() async throws -> NameResolutionResult? {
                try await PeerTargetResolver.resolve(self.entries)
            }
        }
    }
}
