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

    /// The whole v1 surface is built: every RPC needs a token, none answers UNIMPLEMENTED.
    @Test func everyRPCNeedsATokenAndIsBuilt() async throws {
        try await ChannelHarness.with { harness in
            let outcomes = try await FoundationChecks.everyMethodNeedsAToken(
                harness.rpc, Inbox_V1_ChannelGatewayService.Method.descriptors)
            #expect(outcomes.count == Inbox_V1_ChannelGatewayService.Method.descriptors.count)
            for (method, outcome) in outcomes {
                #expect(outcome != .unimplemented, "\(method)")
            }
        }
    }
}
