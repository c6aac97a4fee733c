#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A certificate chain and the private key of its leaf, as PEM files: what a server presents, and
/// what a client presents when the server asks for one (mutual TLS).
public struct TLSIdentity: Sendable, Equatable {
    /// The certificate chain, leaf first.
    public var certificateChainPath: String
    /// The leaf's unencrypted private key (PKCS#8, or the traditional RSA or EC form).
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}

/// How a gRPC client secures its connections (a service's peer clients, `inboxctl`): TLS that
/// verifies the server's certificate against ``certificateAuthorityPath`` (else the system's
/// trust roots) and the name in it against the host of the address it dials (else
/// ``serverName``), presenting ``identity`` when the server asks for a certificate.
public struct GRPCClientTLS: Sendable, Equatable {
    public var identity: TLSIdentity?
    /// A PEM bundle of the certificate authorities to trust; nil: the system's roots.
    public var certificateAuthorityPath: String?
    /// The name the server's certificate must carry, sent as the TLS server name (SNI); nil: the
    /// host of the address (an IP address is then checked against the certificate's IP SANs).
    public var serverName: String?

    public init(identity: TLSIdentity? = nil, certificateAuthorityPath: String? = nil, serverName: String? = nil) {
        self.identity = identity
        self.certificateAuthorityPath = certificateAuthorityPath
        self.serverName = serverName
    }
}

/// TLS between the services (README "TLS between services"), from `GRPC_TLS_CERT` (PEM chain),
/// `GRPC_TLS_KEY` (its PEM key), `GRPC_TLS_CA` (PEM CA bundle) and `GRPC_TLS_SERVER_NAME`:
///
/// - none set: plaintext HTTP/2 (h2c), the local default (`load` answers nil);
/// - certificate and key: the gRPC server speaks TLS only and asks for no client certificate;
///   the service's peer clients verify their peers against the system's trust roots;
/// - certificate, key and CA: mutual TLS. The server requires a client certificate signed by
///   the CA (any such certificate: the CA is the trust boundary, so it should sign the inbox's
///   services and its operators' clients only), and the peer clients verify their peers against
///   the CA and present the same certificate and key.
///
/// The one certificate is the service's identity both as a server and as a client, so it needs
/// both the serverAuth and clientAuth extended key usages (or none). The peer clients check the
/// name in each peer's certificate against the host of its `*_ADDR` (a DNS SAN for a name, an
/// IP SAN for an address), unless `GRPC_TLS_SERVER_NAME` names what every peer's certificate
/// carries instead. Bearer tokens are still required on every call: TLS says which machine
/// talks, the token who and for which organisation.
public struct GRPCTLSSettings: Sendable, Equatable {
    public var identity: TLSIdentity
    public var certificateAuthorityPath: String?
    public var serverName: String?

    public init(identity: TLSIdentity, certificateAuthorityPath: String? = nil, serverName: String? = nil) {
        self.identity = identity
        self.certificateAuthorityPath = certificateAuthorityPath
        self.serverName = serverName
    }

    /// Whether the server requires and verifies client certificates (`GRPC_TLS_CA` is set).
    public var isMutual: Bool { self.certificateAuthorityPath != nil }

    /// What the service's peer clients use.
    public var client: GRPCClientTLS {
        GRPCClientTLS(
            identity: self.identity, certificateAuthorityPath: self.certificateAuthorityPath,
            serverName: self.serverName)
    }

    /// The settings of a service, or nil for plaintext. A certificate without its key (or a key
    /// without its certificate), a CA or a server name without them, and a file that cannot be
    /// read or holds no PEM of its kind are ``ConfigurationError``s naming the variable.
    public static func load(from environment: Environment) throws -> GRPCTLSSettings? {
        let certificate = TLSSetting.read("GRPC_TLS_CERT", from: environment)
        let key = TLSSetting.read("GRPC_TLS_KEY", from: environment)
        let authority = TLSSetting.read("GRPC_TLS_CA", from: environment)
        let serverName = TLSSetting.read("GRPC_TLS_SERVER_NAME", from: environment)
        guard let identity = try TLSSetting.identity(certificate: certificate, key: key) else {
            if let authority {
                throw ConfigurationError(
                    variable: authority.name,
                    problem: "needs GRPC_TLS_CERT and GRPC_TLS_KEY too (mutual TLS takes all three, plaintext none)")
            }
            if let serverName {
                throw ConfigurationError(
                    variable: serverName.name, problem: "is only used with TLS (GRPC_TLS_CERT and GRPC_TLS_KEY)")
            }
            return nil
        }
        return GRPCTLSSettings(
            identity: identity,
            certificateAuthorityPath: try authority.map { try $0.checkedFile(holding: .certificate) },
            serverName: try serverName.map { try $0.checkedServerName() })
    }
}

extension GRPCClientTLS {
    /// `inboxctl`'s TLS: each of `--tls-cert`, `--tls-key`, `--tls-ca` and `--tls-server-name`
    /// (`options`, keyed by the variable they stand for) wins over its `GRPC_TLS_*` variable.
    /// Unlike a service, a client may trust a CA without presenting a certificate of its own, and
    /// `enabled` (`--tls`) asks for TLS with the system's roots and nothing else; nil: plaintext.
    public static func load(
        from environment: Environment, options: [String: (option: String, value: String?)] = [:],
        enabled: Bool = false
    ) throws -> GRPCClientTLS? {
        func read(_ variable: String) -> TLSSetting? {
            if let given = options[variable], let value = given.value, !value.isEmpty {
                return TLSSetting(value: value, name: given.option)
            }
            return TLSSetting.read(variable, from: environment)
        }
        let certificate = read("GRPC_TLS_CERT")
        let key = read("GRPC_TLS_KEY")
        let authority = read("GRPC_TLS_CA")
        let serverName = read("GRPC_TLS_SERVER_NAME")
        let identity = try TLSSetting.identity(certificate: certificate, key: key)
        guard enabled || identity != nil || authority != nil else {
            if let serverName {
                throw ConfigurationError(
                    variable: serverName.name,
                    problem: "is only used with TLS (--tls, --tls-ca or --tls-cert and --tls-key)")
            }
            return nil
        }
        return GRPCClientTLS(
            identity: identity,
            certificateAuthorityPath: try authority.map { try $0.checkedFile(holding: .certificate) },
            serverName: try serverName.map { try $0.checkedServerName() })
    }
}

/// One TLS setting and the name to blame when it is wrong: its variable, or the command-line
/// option that gave it.
struct TLSSetting {
    let value: String
    let name: String

    static func read(_ variable: String, from environment: Environment) -> TLSSetting? {
        environment.optionalString(variable).map { TLSSetting(value: $0, name: variable) }
    }

    /// The certificate and key as an identity: both or neither.
    static func identity(certificate: TLSSetting?, key: TLSSetting?) throws -> TLSIdentity? {
        switch (certificate, key) {
        case (nil, nil):
            return nil
        case (let certificate?, nil):
            throw ConfigurationError(
                variable: Self.counterpart(of: certificate, "GRPC_TLS_KEY", "--tls-key"),
                problem: "is required with \(certificate.name) (the PEM private key of its certificate)")
        case (nil, let key?):
            throw ConfigurationError(
                variable: Self.counterpart(of: key, "GRPC_TLS_CERT", "--tls-cert"),
                problem: "is required with \(key.name) (the PEM certificate chain of its key)")
        case (let certificate?, let key?):
            return TLSIdentity(
                certificateChainPath: try certificate.checkedFile(holding: .certificate),
                privateKeyPath: try key.checkedFile(holding: .privateKey))
        }
    }

    /// The missing half's name in the same form (variable or option) as the half that was given.
    private static func counterpart(of given: TLSSetting, _ variable: String, _ option: String) -> String {
        given.name.hasPrefix("--") ? option : variable
    }

    enum Contents {
        case certificate
        case privateKey
    }

    /// The path, once the file reads and holds a PEM block of its kind. The transport parses the
    /// files only when it connects or listens, where a mistake would be a vaguer error; this
    /// catches the usual ones (a wrong path, the key where the certificate goes) at start-up.
    func checkedFile(holding contents: Contents) throws -> String {
        guard let data = FileManager.default.contents(atPath: self.value) else {
            throw ConfigurationError(
                variable: self.name, problem: "cannot be read: \(self.value) (no such file, or not readable)")
        }
        let text = String(decoding: data, as: UTF8.self)
        switch contents {
        case .certificate:
            guard text.contains("-----BEGIN CERTIFICATE-----") else {
                throw ConfigurationError(
                    variable: self.name, problem: "\(self.value) holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                )
            }
        case .privateKey:
            guard !text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") else {
                throw ConfigurationError(
                    variable: self.name,
                    problem: "\(self.value) is an encrypted key; give the unencrypted key and protect the file instead")
            }
            guard text.contains("-----BEGIN"), text.contains("PRIVATE KEY-----") else {
                throw ConfigurationError(
                    variable: self.name, problem: "\(self.value) holds no PEM private key (-----BEGIN PRIVATE KEY-----)"
                )
            }
        }
        return self.value
    }

    /// A DNS name: an IP address cannot be a TLS server name, and one is verified from the
    /// address dialled anyway.
    func checkedServerName() throws -> String {
        let name = self.value
        guard name.utf8.allSatisfy(Self.isNameByte), !name.hasPrefix("."), !name.hasSuffix("."),
            name.utf8.count <= 253, IPLiteral(name) == nil
        else {
            throw ConfigurationError(
                variable: self.name, problem: "must be a DNS name such as policy-service.internal, got '\(name)'")
        }
        return name
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }
}

/// An IP address written as text: IPv4 dotted quads, IPv6 (anything with a colon, brackets
/// already removed by ``HostAndPort``). Everything else is a name to resolve.
enum IPLiteral: Equatable {
    case v4
    case v6

    init?(_ host: String) {
        if host.contains(":") {
            self = .v6
            return
        }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        let quad =
            parts.count == 4
            && parts.allSatisfy { part in
                (1...3).contains(part.utf8.count) && part.utf8.allSatisfy { (48...57).contains($0) }
                    && (Int(part) ?? 256) <= 255
            }
        guard quad else { return nil }
        self = .v4
    }
}
