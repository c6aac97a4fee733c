public import GRPCCore
public import GRPCNIOTransportHTTP2

extension GRPCTLSSettings {
    /// The gRPC server's side: TLS with the service's certificate; mutual, client certificates
    /// are required and their chain verified against the CA (not their names: any certificate
    /// the CA signed is let in, and the bearer token then says who calls).
    public var serverSecurity: HTTP2ServerTransport.Posix.TransportSecurity {
        let chain: [TLSConfig.CertificateSource] = [.file(path: self.identity.certificateChainPath, format: .pem)]
        let key: TLSConfig.PrivateKeySource = .file(path: self.identity.privateKeyPath, format: .pem)
        guard let authority = self.certificateAuthorityPath else {
            return .tls(certificateChain: chain, privateKey: key)
        }
        return .mTLS(certificateChain: chain, privateKey: key) { config in
            config.clientCertificateVerification = .noHostnameVerification
            config.trustRoots = .certificates([.file(path: authority, format: .pem)])
        }
    }
}

extension GRPCClientTLS {
    /// The client's side: the server's chain and name verified in full, this client's
    /// certificate presented when it has one and the server asks.
    public var transportSecurity: HTTP2ClientTransport.Posix.TransportSecurity {
        var chain: [TLSConfig.CertificateSource] = []
        var key: TLSConfig.PrivateKeySource?
        if let identity = self.identity {
            chain = [.file(path: identity.certificateChainPath, format: .pem)]
            key = .file(path: identity.privateKeyPath, format: .pem)
        }
        let roots: TLSConfig.TrustRootsSource =
            if let authority = self.certificateAuthorityPath {
                .certificates([.file(path: authority, format: .pem)])
            } else {
                .systemDefault
            }
        return .tls(
            HTTP2ClientTransport.Posix.TransportSecurity.TLS(
                certificateChain: chain, privateKey: key, serverCertificateVerification: .fullVerification,
                trustRoots: roots))
    }
}

extension ClientTransport where Self == HTTP2ClientTransport.Posix {
    /// A client transport to another service (or, for `inboxctl` and tests, to any of them):
    /// plaintext HTTP/2 (h2c) without `tls`, TLS with it.
    ///
    /// A host name is resolved through DNS, every address it has (a headless Kubernetes Service:
    /// one per pod) balanced by `serviceConfig`. An IP address is dialled as such: through DNS
    /// it would become the TLS server name (SNI), which cannot be an IP address, and
    /// grpc-swift-nio-transport 2.9 would fail every connection (its pull request 186 fixes
    /// that); dialled directly, no server name is sent and the certificate's IP SANs are checked
    /// against the address. `tls.serverName` replaces the host as the name sent and verified.
    public static func http2NIOPosix(
        address: HostAndPort, tls: GRPCClientTLS?, serviceConfig: ServiceConfig = ServiceConfig()
    ) throws -> Self {
        let target: any ResolvableTarget
        switch IPLiteral(address.host) {
        case .v4: target = .ipv4(address: address.host, port: address.port)
        case .v6: target = .ipv6(address: address.host, port: address.port)
        case nil: target = .dns(host: address.host, port: address.port)
        }
        let config = HTTP2ClientTransport.Posix.Config.defaults { config in
            if let serverName = tls?.serverName { config.http2.authority = serverName }
        }
        return try HTTP2ClientTransport.Posix(
            target: target, transportSecurity: tls?.transportSecurity ?? .plaintext, config: config,
            serviceConfig: serviceConfig)
    }
}
