// gateway-bench: channel-gateway's inbound path under the issue's load (Benchmarks/run-gateway-bench
// starts policy-service, conversation-service and channel-gateway, release builds, on a private
// PostgreSQL with durable defaults, and drives the webhooks with wrk and wrk.lua beside this file).
// Not a test: it prepares what wrk sends, and reads the gateway's own view of the relay.
//
//   gateway-bench setup --policy 127.0.0.1:50054 --gateway 127.0.0.1:50051 --pages 10
//       [--app-secret S] [--first-page 990000000001]
//       creates org-gateway-bench (enterprise) at policy-service and connects one Facebook channel
//       per Page at the gateway, as the organisation's admin; prints the organisation id and the
//       Page ids, comma-separated, on one line
//   gateway-bench requests --app-secret S --pages 990000000001,990000000002 --count 200000
//       --out FILE [--prefix m_gb] [--senders 1000]
//       writes COUNT signed Messenger webhooks for wrk.lua, one a line: the hex HMAC-SHA256 of the
//       body under the app secret, a space, the body (one-line JSON); each with its own mid
//   gateway-bench health --gateway 127.0.0.1:50051 --organization <id>
//       GetChannelHealth of every channel of the organisation: accepted and pending events, relay lag
//   (TOKEN_SIGNING_KEY in the environment, as the services have it)
import ArgumentParser
import BenchSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import SwiftProtobuf

@main
struct GatewayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway-bench",
        abstract: "channel-gateway's inbound benchmark: channels, signed webhooks for wrk, relay health.",
        subcommands: [Setup.self, Requests.self, Health.self]
    )
}

struct Setup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Create an organisation at policy-service and connect N Facebook Pages at the gateway.",
        discussion: """
            Prints one line: the organisation id, a space, the Page ids comma-separated (what \
            `requests --pages` takes). The channels' signing secret is --app-secret too, so that the \
            webhooks verify whether the gateway checks the app's secret or the channel's.
            """
    )

    @Option(help: "host:port of policy-service's gRPC listener.")
    var policy: String

    @Option(help: "host:port of channel-gateway's gRPC listener.")
    var gateway: String

    @Option(help: "How many Facebook Pages (channels) to connect.")
    var pages: Int = 10

    @Option(help: "The first Page id; the others follow it.")
    var firstPage: Int = 990_000_000_001

    @Option(help: "The channels' signing secret (give the gateway's FACEBOOK_APP_SECRET).")
    var appSecret: String = "gateway-bench-app-secret"

    func validate() throws {
        guard HostAndPort(self.policy) != nil else { throw ValidationError("--policy must be host:port") }
        guard HostAndPort(self.gateway) != nil else { throw ValidationError("--gateway must be host:port") }
        guard (1...1000).contains(self.pages) else { throw ValidationError("--pages must be from 1 to 1000") }
        guard self.firstPage > 0 else { throw ValidationError("--first-page must be positive") }
        guard !self.appSecret.isEmpty else { throw ValidationError("--app-secret must not be empty") }
    }

    func run() async throws {
        let tokens = try await BenchTokens.fromEnvironment(subject: "gateway-bench")
        let policyAddress = HostAndPort(self.policy)!
        let gatewayAddress = HostAndPort(self.gateway)!
        let operatorToken = try await tokens.metadata(.operator)
        // The gateway asks policy whether the organisation's plan includes the platform, so the
        // organisation must exist there first.
        let organization: String = try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: policyAddress.host, port: policyAddress.port), transportSecurity: .plaintext)
        ) { client in
            let policy = Inbox_V1_PolicyService.Client(wrapping: client)
            let created = try await policy.createOrganization(
                .with {
                    $0.name = "org-gateway-bench"
                    $0.plan = .enterprise
                    $0.timeZone = "Europe/Paris"
                }, metadata: operatorToken)
            return created.id
        }
        let adminToken = try await tokens.metadata(.admin, organization: organization, agent: "bench-admin")
        let pageIDs = (0..<self.pages).map { String(self.firstPage + $0) }
        let secret = self.appSecret
        let channelIDs: [String] = try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: gatewayAddress.host, port: gatewayAddress.port), transportSecurity: .plaintext)
        ) { client in
            let gateway = Inbox_V1_ChannelGatewayService.Client(wrapping: client)
            var ids: [String] = []
            for page in pageIDs {
                let channel = try await gateway.connectChannel(
                    .with {
                        $0.platform = .facebook
                        $0.externalAccountID = page
                        $0.displayName = "Bench Page \(page)"
                        $0.credentials = .with {
                            $0.accessToken = "gateway-bench-page-token-\(page)"
                            $0.signingSecret = secret
                            $0.verifyToken = "gateway-bench-verify"
                        }
                        $0.idempotencyKey = "gateway-bench-\(page)"
                    }, metadata: adminToken)
                ids.append(channel.id)
            }
            return ids
        }
        FileHandle.standardError.write(
            Data("gateway-bench: \(channelIDs.count) Facebook channels: \(channelIDs.joined(separator: " "))\n".utf8))
        print("\(organization) \(pageIDs.joined(separator: ","))")
    }
}

struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "GetChannelHealth of every channel of an organisation (the gateway's view of the relay)."
    )

    @Option(help: "host:port of channel-gateway's gRPC listener.")
    var gateway: String

    @Option(help: "The organisation id (as setup printed it).")
    var organization: String

    func validate() throws {
        guard HostAndPort(self.gateway) != nil else { throw ValidationError("--gateway must be host:port") }
        guard !self.organization.isEmpty else { throw ValidationError("--organization must not be empty") }
    }

    func run() async throws {
        let tokens = try await BenchTokens.fromEnvironment(subject: "gateway-bench")
        let address = HostAndPort(self.gateway)!
        let adminToken = try await tokens.metadata(.admin, organization: self.organization, agent: "bench-admin")
        let lines: [String] = try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
        ) { client in
            let gateway = Inbox_V1_ChannelGatewayService.Client(wrapping: client)
            var channels: [Inbox_V1_Channel] = []
            var token = ""
            repeat {
                let page = try await gateway.listChannels(
                    .with {
                        $0.pageSize = 100
                        $0.pageToken = token
                    }, metadata: adminToken)
                channels += page.channels
                token = page.nextPageToken
            } while !token.isEmpty
            var lines: [String] = []
            var accepted: Int64 = 0
            var duplicates: Int64 = 0
            var pending: Int64 = 0
            var deadLettered: Int64 = 0
            var maxLag = 0.0
            for channel in channels {
                let health = try await gateway.getChannelHealth(
                    .with { $0.channelID = channel.id }, metadata: adminToken)
                let lag = Double(health.relayLag.seconds) + Double(health.relayLag.nanos) / 1e9
                accepted += health.acceptedEvents
                duplicates += health.duplicateEvents
                pending += health.pendingEvents
                deadLettered += health.deadLetteredEvents
                maxLag = max(maxLag, lag)
                lines.append(
                    "  \(channel.externalAccountID) (\(channel.id)): accepted \(health.acceptedEvents), "
                        + "duplicates \(health.duplicateEvents), pending \(health.pendingEvents), "
                        + "dead-lettered \(health.deadLetteredEvents), relay lag "
                        + String(format: "%.3f", lag) + " s")
            }
            lines.insert(
                "GetChannelHealth of \(channels.count) channels: accepted \(accepted), duplicates \(duplicates), "
                    + "pending \(pending), dead-lettered \(deadLettered), largest relay lag "
                    + String(format: "%.3f", maxLag) + " s", at: 0)
            return lines
        }
        for line in lines { print(line) }
    }
}
