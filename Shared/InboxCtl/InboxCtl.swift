import ArgumentParser
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Operator commands: mint bearer tokens, check a service's health.
@main
struct InboxCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inboxctl",
        abstract: "Operator commands for Social Inbox.",
        subcommands: [MintToken.self, GenerateKeys.self, CheckHealth.self]
    )
}

struct MintToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a bearer token.",
        discussion: """
            Signs with TOKEN_PRIVATE_KEY (kid:<Ed25519 private key>, the issuer key whose public half the \
            services hold in TOKEN_PUBLIC_KEYS) or, for local runs, TOKEN_SIGNING_KEY (HS256). Lifetimes \
            are bounded: operator 12 h, admin and agent 7 days, service 1 day.
            """
    )

    @Option(help: "operator, admin, agent or service.")
    var role: String

    @Option(help: "The organisation id (required for admin and agent).")
    var organization: String?

    @Option(help: "The agent id (required for agent).")
    var agent: String?

    @Option(help: "The token's subject (default: the agent id, or the role).")
    var subject: String?

    @Option(help: "Hours until the token expires (operator at most 12, admin and agent 168, service 24).")
    var hours: Int = 8

    func validate() throws {
        guard let role = Caller.Role(rawValue: self.role) else {
            throw ValidationError(
                "--role must be one of \(Caller.Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if role == .admin || role == .agent, (self.organization ?? "").isEmpty {
            throw ValidationError("--organization is required for the role \(role.rawValue)")
        }
        if role == .agent, (self.agent ?? "").isEmpty {
            throw ValidationError("--agent is required for the role agent")
        }
        let maximum = Int(TokenAuthority.maximumLifetime(for: role).components.seconds / 3600)
        guard (1...maximum).contains(self.hours) else {
            throw ValidationError("--hours must be from 1 to \(maximum) for the role \(role.rawValue)")
        }
    }

    func run() async throws {
        let keys = try TokenKeys.load(
            from: .process, needsServiceKey: false, issuerPrivateKeyVariable: "TOKEN_PRIVATE_KEY")
        guard keys.signingKeyID != nil else {
            throw ConfigurationError(
                variable: "TOKEN_PRIVATE_KEY", problem: "is required to mint tokens (or TOKEN_SIGNING_KEY for HS256)")
        }
        let role = Caller.Role(rawValue: self.role)!
        let caller = Caller(
            role: role,
            organizationID: self.organization,
            agentID: self.agent,
            subject: self.subject ?? self.agent ?? role.rawValue
        )
        let authority = try await TokenAuthority(keys: keys)
        print(try await authority.mint(caller, lifetime: .seconds(self.hours * 3600)))
    }
}

struct GenerateKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Print a new Ed25519 key pair for tokens, as the environment variables take them.",
        discussion: """
            Run it twice: once for the issuer (keep TOKEN_PRIVATE_KEY with inboxctl only; give the \
            services TOKEN_PUBLIC_KEYS) and once for the services (SERVICE_TOKEN_KEY). To rotate, \
            generate a new pair with a new --kid and list both public keys until old tokens expire.
            """
    )

    @Option(help: "The key id (the JWT header's kid).")
    var kid: String

    func validate() throws {
        guard !self.kid.isEmpty,
            self.kid.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
        else {
            throw ValidationError("--kid must be letters, digits, '-', '_' or '.'")
        }
    }

    func run() async throws {
        let pair = TokenAuthority.newEd25519KeyPair()
        print("private \(self.kid):\(pair.privateKey)")
        print("public  \(self.kid):\(pair.publicKey)")
    }
}

struct CheckHealth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Ask a service's grpc.health.v1 Check; exit 0 when SERVING."
    )

    @Option(help: "host:port of the service's gRPC listener.")
    var addr: String

    @Option(help: "The service name to check (default: the overall status).")
    var service: String = ""

    @Option(help: "Keep asking for up to this many seconds until SERVING.")
    var wait: Int = 0

    func run() async throws {
        guard let address = HostAndPort(self.addr) else {
            throw ValidationError("--addr must be host:port")
        }
        let deadline = ContinuousClock.now + .seconds(self.wait)
        let status = try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
        ) { client in
            let health = Grpc_Health_V1_Health.Client(wrapping: client)
            var options = CallOptions.defaults
            options.timeout = .seconds(2)
            var last = "UNKNOWN"
            repeat {
                do {
                    let response = try await health.check(
                        .with { $0.service = self.service },
                        options: options
                    )
                    if response.status == .serving { return "SERVING" }
                    last = "\(response.status)"
                } catch let error as RPCError {
                    last = "\(error.code): \(error.message)"
                }
                if ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(250)) }
            } while ContinuousClock.now < deadline
            return last
        }
        print("\(self.addr) \(status)")
        if status != "SERVING" { throw ExitCode(1) }
    }
}
