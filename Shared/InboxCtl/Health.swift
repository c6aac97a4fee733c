import ArgumentParser
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit

/// `inboxctl health`: one service's `grpc.health.v1` Check (deploy scripts wait on it).
struct CheckHealth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Ask a service's grpc.health.v1 Check; exit 0 when SERVING.",
        discussion: """
            Needs no token. `inboxctl channel health <id>` is a channel's health. With TLS between the services, \
            the --tls-* options (or the GRPC_TLS_* variables, as in a service's own container) apply; a \
            certificate without an IP SAN for 127.0.0.1 needs --tls-server-name.

            Examples:
              inboxctl health --addr 127.0.0.1:50052
              inboxctl health --addr 127.0.0.1:50051 --service liveness
              inboxctl health --addr 127.0.0.1:50054 --wait 60
              inboxctl health --addr 127.0.0.1:50054 --tls-ca ca.pem --tls-cert ops.pem --tls-key ops-key.pem
            """
    )

    @OptionGroup var global: GlobalOptions

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
        let tls = try self.global.clientTLS(environment: .process)
        let deadline = ContinuousClock.now + .seconds(self.wait)
        let status = try await withGRPCClient(transport: .http2NIOPosix(address: address, tls: tls)) { client in
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
