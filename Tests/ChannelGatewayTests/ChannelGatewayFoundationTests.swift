import InboxAPI
import TestSupport
import Testing

@testable import ChannelGateway

@Suite("ChannelGateway: schema and v1 surface")
struct ChannelGatewayFoundationTests {
    @Test func migrationsApplyToItsOwnSchemaAsItsOwnRole() async throws {
        try await FoundationChecks.migrationsApplyOnce(.channelGateway, GatewayMigrations.all)
    }

    @Test func everyRPCNeedsATokenAndAnswersUnimplementedUntilBuilt() async throws {
        let outcomes = try await FoundationChecks.everyMethodNeedsAToken(
            GatewayRPC(), Inbox_V1_ChannelGatewayService.Method.descriptors)
        #expect(outcomes.values.allSatisfy { $0 == .unimplemented })
    }
}
