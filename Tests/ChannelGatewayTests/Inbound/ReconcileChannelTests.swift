import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

/// ReconcileChannel through the gRPC client, on a gateway whose scheduled pollers are off (as
/// `GatewayHarness` runs it): the on-demand poll must work without them.
@Suite("channel-gateway: ReconcileChannel")
struct ReconcileChannelTests {
    static let page = "111000111"
    static let customer = "7000000000000001"

    static func reconcile(
        _ h: GatewayHarness, _ channelID: String, organization: String = "", metadata: Metadata? = nil
    ) async throws -> Inbox_V1_ReconcileChannelResponse {
        let caller: Metadata
        if let metadata { caller = metadata } else { caller = try await GatewayHarness.admin() }
        return try await h.client.reconcileChannel(
            .with {
                $0.organizationID = organization
                $0.channelID = channelID
            }, metadata: caller)
    }

    @Test func aMessengerChannelReconciledOnDemandStoresWhatTheWebhookMissedOnce() async throws {
        let graph = try await MetaGraphFake.start(
            .facebook, accountIDs: [Self.page], accessToken: "page-token-\(Self.page)")
        try await withFake(graph) { fake in
            var endpoints = OutboundEndpoints.production
            endpoints[FacebookOutboundAdapter.api] = PlatformEndpoint(baseURL: fake.baseURL, version: fake.version)
            try await GatewayHarness.with(outboundEndpoints: endpoints) { h in
                let channel = try await h.connectPage(Self.page)
                let now = Int64(Date().timeIntervalSince1970)
                for (id, age, from, to, text) in [
                    ("m_seen", Int64(900), Self.customer, Self.page, "Is my order shipped?"),
                    ("m_missed", 600, Self.customer, Self.page, "Hello? Anyone there?"),
                    ("m_reply", 300, Self.page, Self.customer, "Yes, shipped today."),
                ] {
                    fake.registerConversationMessage(
                        conversationID: "t_100",
                        FakeGraphMessage(
                            id: id, createdTime: now - age, fromID: from, fromName: from == Self.page ? "Acme" : "Jane",
                            toID: to, text: text))
                }
                // The webhook delivered the first message only.
                let webhook = MetaWebhookSigner.signed(
                    WebhookPayloads.messengerText(
                        pageID: Self.page, senderPSID: Self.customer, mid: "m_seen", text: "Is my order shipped?",
                        timestamp: (now - 900) * 1000),
                    url: h.url("/webhooks/facebook"), appSecret: GatewayHarness.metaSecret)
                #expect(try await h.post(webhook).status == 200)
                #expect(try await h.eventually { try await h.states(channel: channel.id)["delivered"] == 1 })

                let first = try await Self.reconcile(h, channel.id)
                #expect(first.outcome == .polled)
                // The missed message and the Page's own reply (an echo); not the delivered one.
                #expect(first.storedEvents == 2)
                #expect(first.poller.enabled)
                #expect(first.poller.hasLastPollAt)
                #expect(first.poller.lastError.isEmpty)
                let stored = try await h.stored().filter { $0.channel == channel.id }
                #expect(Set(stored.map(\.eventID)) == ["m_seen", "m_missed", "m_reply"])
                let relayed = try await h.eventually {
                    h.peers.received.contains { $0.platformEventID == "m_missed" }
                }
                #expect(relayed)
                let missed = try #require(h.peers.received.first { $0.platformEventID == "m_missed" })
                #expect(missed.text == "Hello? Anyone there?")
                #expect(missed.channelID == channel.id)

                // On demand again: the same conversation is read, nothing is stored twice.
                let second = try await Self.reconcile(h, channel.id)
                #expect(second.outcome == .polled)
                #expect(second.storedEvents == 0)
                #expect(
                    try await h.count(
                        "SELECT count(*) FROM inbound_events WHERE channel_id = '\(channel.id)'::uuid") == 3)
                #expect(h.peers.received.filter { $0.platformEventID == "m_missed" }.count == 1)
                let listed = fake.recorder.requests.filter { $0.path == "/\(fake.version)/\(Self.page)/conversations" }
                #expect(listed.count == 2)
                // GetChannelHealth shows the same poller.
                let health = try await h.client.getChannelHealth(
                    .with { $0.channelID = channel.id }, metadata: GatewayHarness.admin())
                #expect(health.poller.lastPollAt == second.poller.lastPollAt)
            }
        }
    }

    @Test func aChannelAnotherRoundIsPollingIsBusyAndNothingIsRead() async throws {
        try await GatewayHarness.with(outboundEndpoints: OutboundFake.nowhere) { h in
            let channel = try await h.connectPage(Self.page)
            let id = try #require(UUID(uuidString: channel.id))
            let pollers = h.parts.rpc.inbound.pollers
            let now = Date()
            #expect(try await pollers.provision(channelID: id, now: now) == 1)
            let held = try await pollers.claim(
                channelID: id, claimID: UUID(), now: now, until: now.addingTimeInterval(300))
            #expect(held != nil)

            let answer = try await Self.reconcile(h, channel.id)
            #expect(answer.outcome == .busy)
            #expect(answer.storedEvents == 0)
            #expect(answer.poller.enabled)
            #expect(try await h.count("SELECT count(*) FROM inbound_events") == 0)
        }
    }

    @Test func aTelegramChannelHasNoPoller() async throws {
        try await GatewayHarness.with(outboundEndpoints: OutboundFake.nowhere) { h in
            let channel = try await h.connectOutbound(.telegram)
            let answer = try await Self.reconcile(h, channel.id)
            #expect(answer.outcome == .notPolled)
            #expect(answer.storedEvents == 0)
            #expect(!answer.poller.enabled)
            #expect(!answer.poller.hasNextPollAt)
            #expect(try await h.count("SELECT count(*) FROM channel_pollers") == 0)

            // A disconnected channel is not polled either, though it had a poller.
            let page = try await h.connectPage(Self.page)
            let id = try #require(UUID(uuidString: page.id))
            #expect(try await h.parts.rpc.inbound.pollers.provision(channelID: id, now: Date()) == 1)
            _ = try await h.client.disconnectChannel(.with { $0.channelID = page.id }, metadata: GatewayHarness.admin())
            let disconnected = try await Self.reconcile(h, page.id)
            #expect(disconnected.outcome == .notPolled)
        }
    }

    @Test func aMalformedChannelIDIsInvalidAndAnotherOrganisationsChannelIsNotFound() async throws {
        try await GatewayHarness.with(outboundEndpoints: OutboundFake.nowhere) { h in
            for id in ["", "not-a-channel"] {
                let refused = await refusal { _ = try await Self.reconcile(h, id) }
                #expect(refused?.code == .invalidArgument, "\(id)")
                #expect(refused?.field == "channel_id", "\(id)")
            }
            let theirs = try await h.connectPage("222000222", organization: "org-big")
            let asAdmin = await refusal { _ = try await Self.reconcile(h, theirs.id) }
            #expect(asAdmin?.code == .notFound)
            #expect(asAdmin?.reason == "RESOURCE_NOT_FOUND")
            // A service names the organisation: the wrong one does not find it either.
            let asService = await refusal {
                _ = try await Self.reconcile(
                    h, theirs.id, organization: GatewayHarness.organization,
                    metadata: try await TestTokens.metadata(.service, organization: nil))
            }
            #expect(asService?.code == .notFound)
            let unknown = await refusal { _ = try await Self.reconcile(h, UUID().uuidString) }
            #expect(unknown?.code == .notFound)

            // The roles of ReleaseHeldEvents: an agent may not; a service must name the organisation.
            let asAgent = await refusal {
                _ = try await Self.reconcile(
                    h, theirs.id,
                    metadata: try await TestTokens.metadata(.agent, organization: "org-big"))
            }
            #expect(asAgent?.code == .permissionDenied)
            let unnamed = await refusal {
                _ = try await Self.reconcile(
                    h, theirs.id, metadata: try await TestTokens.metadata(.service, organization: nil))
            }
            #expect(unnamed?.reason == "ORGANIZATION_REQUIRED")
            // Nothing was polled for any of them.
            #expect(try await h.count("SELECT count(*) FROM channel_pollers") == 0)
        }
    }
}
