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
        subcommands: [MintToken.self, CheckHealth.self]
    )
}

struct MintToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a bearer token, signed with TOKEN_SIGNING_KEY from the environment."
    )

    @Option(help: "operator, admin, agent or service.")
    var role: String

    @Option(help: "The organisation id (required for admin and agent).")
    var organization: String?

    @Option(help: "The agent id (required for agent).")
    var agent: String?

    @Option(help: "The token's subject (default: the agent id, or the role).")
    var subject: String?

    @Option(help: "Hours until the token expires.")
    var hours: Int = 24

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
        guard (1...(24 * 366)).contains(self.hours) else {
            throw ValidationError("--hours must be from 1 to \(24 * 366)")
        }
    }

    func run() async throws {
        let environment = Environment.process
        let key = try environment.string("TOKEN_SIGNING_KEY")
        guard key.utf8.count >= ServiceConfiguration.minimumSigningKeyLength else {
            throw ConfigurationError(variable: "TOKEN_SIGNING_KEY", problem: "must be at least 32 characters")
        }
        let role = Caller.Role(rawValue: self.role)!
        let caller = Caller(
            role: role,
            organizationID: self.organization,
            agentID: self.agent,
            subject: self.subject ?? self.agent ?? role.rawValue
        )
        let authority = await TokenAuthority(signingKey: key)
        print(try await authority.mint(caller, lifetime: .seconds(self.hours * 3600)))
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
