import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

@Suite("channel-gateway: the inbound pipeline")
struct InboundPipelineTests {
    static let now = Int64(Date().timeIntervalSince1970 * 1000)

    static func messenger(page: String, mid: String, text: String = "Bonjour") -> WireJSON {
        WebhookPayloads.messengerText(pageID: page, senderPSID: "psid-\(mid)", mid: mid, text: text, timestamp: now)
    }

    static func signed(_ payload: WireJSON, _ harness: GatewayHarness, path: String = "/webhooks/facebook")
        -> SignedWebhook
    {
        MetaWebhookSigner.signed(payload, url: harness.url(path), appSecret: GatewayHarness.metaSecret)
    }

    @Test func aSignedMessengerMessageIsCommittedThenRelayedOnce() async throws {
        try await GatewayHarness.with { h in
            let channel = try await h.connectPage("111000111")
            let reply = try await h.post(Self.signed(Self.messenger(page: "111000111", mid: "m_1"), h))
            #expect(reply.status == 200)
            let delivered = try await h.eventually { try await h.states()["delivered"] == 1 }
            #expect(delivered)
            let received = h.peers.received
            #expect(received.count == 1)
            let event = try #require(received.first)
            #expect(event.organizationID == GatewayHarness.organization)
            #expect(event.channelID == channel.id)
            #expect(event.platformEventID == "m_1")
            #expect(event.text == "Bonjour")
            #expect(event.type == .message && event.kind == .directMessage)
            let stored = try await h.count("SELECT count(*) FROM inbound_deliveries")
            #expect(stored == 1)
        }
    }
}
