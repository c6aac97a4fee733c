import Foundation
import InboxAPI
import InboxKit
import Logging
import TestSupport
import Testing

@testable import ChannelGateway

@Suite("ChannelGateway: schema and v1 surface")
struct ChannelGatewayFoundationTests {
    @Test func migrationsApplyToItsOwnSchemaAsItsOwnRole() async throws {
        try await FoundationChecks.migrationsApplyOnce(.channelGateway, GatewayMigrations.all)
    }

    @Test func everyRPCNeedsATokenAndAnswersUnimplementedUntilBuilt() async throws {
        try await ChannelHarness.with { harness in
            let outcomes = try await FoundationChecks.everyMethodNeedsAToken(
                harness.rpc, Inbox_V1_ChannelGatewayService.Method.descriptors)
            let built: Set<String> = [
                "ConnectChannel", "GetChannel", "ListChannels", "DisconnectChannel", "RotateChannelCredentials",
                "GetChannelHealth", "ListInboundEvents", "ReplayInboundEvents", "ReleaseHeldEvents",
            ]
            for (method, outcome) in outcomes {
                if built.contains(method) {
                    #expect(outcome != .unimplemented, "\(method)")
                } else {
                    #expect(outcome == .unimplemented, "\(method)")
                }
            }
        }
    }
}
