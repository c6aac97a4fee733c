import GRPCCore
import InboxAPI
import InboxKit
import Logging
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Every ``InboundSettings/heldRecheckInterval``: asks policy-service again for the HELD events'
/// organisations (an inbox activated since is released into it; an organisation whose plan no
/// longer allows the platform has its events REJECTED), and routes UNROUTED rows whose account
/// now has a channel (connecting a channel routes its own at once; this catches a connection
/// made while another replica was storing UNROUTED rows). Idempotent, so every replica may run it.
struct InboundMaintenance: Service {
    let log: InboundLog
    let peers: GatewayPeers
    let settings: InboundSettings
    let relaySignal: WorkSignal
    let logger: Logger
    let now: @Sendable () -> Date

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.settings.heldRecheckInterval)
                guard !Task.isCancelled else { break }
                await self.round()
            }
        }
    }

    func round() async {
        do {
            let released = try await self.recheckHeld()
            let routed = try await self.log.reroute()
            if released + routed > 0 {
                self.logger.info(
                    "inbound events released or routed", metadata: ["released": "\(released)", "routed": "\(routed)"])
                self.relaySignal.wake()
            }
        } catch {
            self.logger.warning(
                "the inbound maintenance round failed; it runs again later",
                metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// Releases the HELD events whose organisation policy now delivers to; returns how many.
    func recheckHeld() async throws -> Int {
        let scopes = try await self.log.heldScopes()
        guard !scopes.isEmpty else { return 0 }
        var released = 0
        var start = 0
        while start < scopes.count {
            let chunk = scopes[start..<min(start + 500, scopes.count)]
            let response = try await self.peers.policy.checkIngest(
                .with {
                    $0.queries = chunk.map { scope in
                        .with {
                            $0.organizationID = scope.organizationID
                            $0.platform = scope.platform.proto
                            $0.channelID = scope.channelID.text
                        }
                    }
                })
            for (scope, verdict) in zip(chunk, response.verdicts) where verdict.decision == .deliver {
                released += try await self.log.releaseHeld(
                    organizationID: scope.organizationID, channelID: scope.channelID, now: self.now())
            }
            start += 500
        }
        return released
    }
}
