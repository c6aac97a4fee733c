import AsyncHTTPClient
import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import NIOCore
import NIOHTTP1
import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

/// Bad input at the HTTP edge gets a clear answer and leaves nothing behind; the operations on
/// the inbound log (hold, reject, dead letters, replay, release, list, health) do what they say.
@Suite("channel-gateway: the HTTP edge and the inbound log's operations")
struct InboundEdgeTests {
    typealias P = InboundPipelineTests

    /// Nothing of a refused request is stored anywhere.
    static func nothingStored(_ h: GatewayHarness) async throws -> Bool {
        let events = try await h.count("SELECT count(*) FROM inbound_events")
        let deliveries = try await h.count("SELECT count(*) FROM inbound_deliveries")
        return events == 0 && deliveries == 0
    }

    @Test func unknownPlatformsChannelsAndEndpointsAre404() async throws {
        try await GatewayHarness.with { h in
            let body = Array("{}".utf8)
            #expect(try await h.post("/webhooks/myspace", body: body).status == 404)
            #expect(try await h.post("/webhooks/facebook/\(UUID().uuidString)", body: body).status == 404)
            #expect(try await h.post("/webhooks/facebook/not-a-channel", body: body).status == 404)
            // Telegram has one URL per bot: there is no shared Telegram endpoint.
            #expect(try await h.post("/webhooks/telegram", body: body).status == 404)
            // A channel's id under another platform's path.
            let page = try await h.connectPage("111")
            #expect(try await h.post("/webhooks/x/\(page.id)", body: body).status == 404)
            // A disconnected channel has no endpoint any more.
            _ = try await h.client.disconnectChannel(.with { $0.channelID = page.id }, metadata: GatewayHarness.admin())
            let webhook = MetaWebhookSigner.signed(
                P.messenger(page: "111", mid: "m_1"), url: h.url("/webhooks/facebook/\(page.id)"),
                appSecret: GatewayHarness.metaSecret)
            #expect(try await h.post(webhook).status == 404)
            #expect(try await Self.nothingStored(h))
        }
    }

    @Test func otherMethodsAre405() async throws {
        try await GatewayHarness.with { h in
            for method in [HTTPMethod.PUT, .DELETE, .PATCH] {
                let reply = try await h.post("/webhooks/facebook", body: [], method: method)
                #expect(reply.status == 405)
            }
        }
    }

    @Test func anOversizedBodyIs413WithoutBeingStored() async throws {
        try await GatewayHarness.with(maxBodyBytes: 1024) { h in
            try await h.connectPage("111")
            let big = P.messenger(page: "111", mid: "m_big", text: String(repeating: "x", count: 4000))
            #expect(try await h.post(P.signed(big, h)).status == 413)
            // Without a Content-Length (chunked), the limit holds as the bytes come in.
            var request = HTTPClientRequest(url: h.url("/webhooks/facebook"))
            request.method = .POST
            let chunks = (0..<8).map { _ in ByteBuffer(repeating: UInt8(ascii: "a"), count: 512) }
            request.body = .stream(chunks.async, length: .unknown)
            let response = try await h.http.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 413)
            #expect(try await Self.nothingStored(h))
        }
    }

    @Test func aMalformedBodyCorrectlySignedIs400AndNothingIsStored() async throws {
        try await GatewayHarness.with { h in
            try await h.connectPage("111")
            let body = Array(#"{"object":"page","entry":[{"id":"111","messaging":["#.utf8)
            let reply = try await h.post(
                "/webhooks/facebook", body: body,
                headers: [
                    "content-type": "application/json",
                    "x-hub-signature-256": MetaWebhookSigner.signature(body, appSecret: GatewayHarness.metaSecret),
                ])
            #expect(reply.status == 400)
            #expect(try await Self.nothingStored(h))
        }
    }

    @Test func aBadSignatureIs401StoresNothingAndIsCounted() async throws {
        try await GatewayHarness.with { h in
            let page = try await h.connectPage("111")
            let forged = MetaWebhookSigner.signed(
                P.messenger(page: "111", mid: "m_forged"), url: h.url("/webhooks/facebook"), appSecret: "guess")
            #expect(try await h.post(forged).status == 401)
            var unsigned = forged
            unsigned.headers["x-hub-signature-256"] = nil
            #expect(try await h.post(unsigned).status == 401)
            // On the channel's own URL the channel is known: counted there, and its last error says why.
            let perChannel = MetaWebhookSigner.signed(
                P.messenger(page: "111", mid: "m_forged"), url: h.url("/webhooks/facebook/\(page.id)"),
                appSecret: "guess")
            #expect(try await h.post(perChannel).status == 401)
            #expect(try await Self.nothingStored(h))
            #expect(h.peers.received.isEmpty)
            let counted = try await h.eventually {
                let health = try await h.client.getChannelHealth(
                    .with { $0.channelID = page.id }, metadata: GatewayHarness.admin())
                return health.badSignatures == 1 && health.lastErrorReason == .badSignature
            }
            #expect(counted)
            let app = try await h.eventually {
                try await h.count(
                    "SELECT value FROM inbound_counters WHERE scope = 'app:facebook' AND name = 'bad_signature'") == 2
            }
            #expect(app)
        }
    }

    /// A signed delivery with one entry the parser cannot read: the other entry is delivered, the
    /// odd one kept UNPARSED with its raw text and the parser's error, and the POST answered 200.
    @Test func anEntryThatDoesNotParseIsKeptUnparsedBesideTheOthers() async throws {
        try await GatewayHarness.with { h in
            let page = try await h.connectPage("111")
            let body = Array(
                #"{"object":"page","entry":[{"id":"111","time":1790000000123,"messaging":[{"sender":{"id":"7001"},"recipient":{"id":"111"},"timestamp":1790000000100,"message":{"mid":"m_ok","text":"fine"}}]},{"id":"111","time":1790000000200,"messaging":[{"recipient":{"id":"111"},"timestamp":1790000000150,"message":{"mid":"m_odd","text":"no sender"}}]}]}"#
                    .utf8)
            let reply = try await h.post(
                "/webhooks/facebook", body: body,
                headers: [
                    "content-type": "application/json",
                    "x-hub-signature-256": MetaWebhookSigner.signature(body, appSecret: GatewayHarness.metaSecret),
                ])
            #expect(reply.status == 200)
            let settled = try await h.eventually { try await h.states() == ["delivered": 1, "unparsed": 1] }
            #expect(settled)
            let unparsed = try await h.client.listInboundEvents(
                .with {
                    $0.channelID = page.id
                    $0.states = [.unparsed]
                }, metadata: GatewayHarness.admin())
            let row = try #require(unparsed.events.first)
            #expect(row.event.text.contains("no sender"))
            #expect(row.lastError.contains("sender"))
            let health = try await h.client.getChannelHealth(
                .with { $0.channelID = page.id }, metadata: GatewayHarness.admin())
            #expect(health.unparsedEvents == 1)
            #expect(health.lastErrorReason == .unparsedEvents)
        }
    }

    /// HOLD keeps events HELD; they are checked again and released once policy delivers; REJECT
    /// keeps them REJECTED with the reason.
    @Test func heldEventsAreReleasedOnceTheInboxIsActiveAndRejectedOnesKeepTheReason() async throws {
        try await GatewayHarness.with { h in
            let page = try await h.connectPage("111")
            h.peers.with { $0.decisions[GatewayHarness.organization] = .hold }
            #expect(try await h.post(P.signed(P.messenger(page: "111", mid: "m_held"), h)).status == 200)
            let held = try await h.eventually { try await h.states() == ["held": 1] }
            #expect(held)
            // Released while still deactivated: back to HELD, nothing delivered.
            let released = try await h.client.releaseHeldEvents(
                .with { $0.channelID = page.id }, metadata: GatewayHarness.admin())
            #expect(released.released == 1)
            let heldAgain = try await h.eventually { try await h.states() == ["held": 1] }
            #expect(heldAgain)
            #expect(h.peers.received.isEmpty)
            // Activated: the periodic re-check releases it.
            h.peers.with { $0.decisions[GatewayHarness.organization] = .deliver }
            let delivered = try await h.eventually { try await h.states() == ["delivered": 1] }
            #expect(delivered)
            #expect(h.peers.received.map(\.platformEventID) == ["m_held"])

            h.peers.with { $0.decisions[GatewayHarness.organization] = .reject }
            #expect(try await h.post(P.signed(P.messenger(page: "111", mid: "m_rejected"), h)).status == 200)
            let rejected = try await h.eventually { try await h.states()["rejected"] == 1 }
            #expect(rejected)
            let list = try await h.client.listInboundEvents(
                .with { $0.states = [.rejected] }, metadata: GatewayHarness.admin())
            #expect(list.events.first?.lastError.contains("plan") == true)
        }
    }

    /// A failure that keeps being retryable ends DEAD_LETTERED after the bounded tries with the
    /// last error; a replay delivers it once the cause is gone. A final failure dead-letters at once.
    @Test func deadLettersAfterBoundedTriesAndReplay() async throws {
        var settings = GatewayHarness.fastSettings
        settings.maxAttempts = 3
        try await GatewayHarness.with(settings: settings) { h in
            let page = try await h.connectPage("111")
            h.peers.with { $0.failEvent = { $0.platformEventID == "m_final" ? false : true } }
            #expect(try await h.post(P.signed(P.messenger(page: "111", mid: "m_retry"), h)).status == 200)
            #expect(try await h.post(P.signed(P.messenger(page: "111", mid: "m_final"), h)).status == 200)
            let dead = try await h.eventually { try await h.states() == ["dead_lettered": 2] }
            #expect(dead)
            let attempts = try await h.count(
                "SELECT attempts FROM inbound_events WHERE platform_event_id = 'm_retry'")
            #expect(attempts == 3)
            #expect(try await h.count("SELECT attempts FROM inbound_events WHERE platform_event_id = 'm_final'") == 1)
            let list = try await h.client.listInboundEvents(
                .with { $0.states = [.deadLettered] }, metadata: GatewayHarness.admin())
            #expect(list.events.allSatisfy { $0.lastError.contains("stand-in: refused") })
            let health = try await h.client.getChannelHealth(
                .with { $0.channelID = page.id }, metadata: GatewayHarness.admin())
            #expect(health.deadLetteredEvents == 2)

            h.peers.with { $0.failEvent = nil }
            let replayed = try await h.client.replayInboundEvents(
                .with { $0.channelID = page.id }, metadata: GatewayHarness.admin())
            #expect(replayed.replayed == 2)
            let delivered = try await h.eventually { try await h.states() == ["delivered": 2] }
            #expect(delivered)
        }
    }

    @Test func listingPagesNewestFirstWithinTheCallersOrganisation() async throws {
        try await GatewayHarness.with { h in
            let page = try await h.connectPage("111")
            for index in 0..<5 {
                #expect(try await h.post(P.signed(P.messenger(page: "111", mid: "m_\(index)"), h)).status == 200)
            }
            var seen: [String] = []
            var token = ""
            repeat {
                let response = try await h.client.listInboundEvents(
                    .with {
                        $0.channelID = page.id
                        $0.pageSize = 2
                        $0.pageToken = token
                    }, metadata: GatewayHarness.admin())
                #expect(response.events.count <= 2)
                seen += response.events.map(\.event.platformEventID)
                token = response.nextPageToken
            } while !token.isEmpty
            #expect(seen == ["m_4", "m_3", "m_2", "m_1", "m_0"])
            // Another organisation's admin does not see this channel's events.
            await #expect(throws: RPCError.self) {
                _ = try await h.client.listInboundEvents(
                    .with { $0.channelID = page.id }, metadata: GatewayHarness.admin("org-other"))
            }
            let other = try await h.client.listInboundEvents(
                .with { _ in }, metadata: GatewayHarness.admin("org-other"))
            #expect(other.events.isEmpty)
            // Invalid arguments are refused with a reason.
            await #expect(throws: RPCError.self) {
                _ = try await h.client.listInboundEvents(
                    .with { $0.pageToken = "garbage" }, metadata: GatewayHarness.admin())
            }
            await #expect(throws: RPCError.self) {
                _ = try await h.client.replayInboundEvents(
                    .with { $0.eventIds = ["not-an-id"] }, metadata: GatewayHarness.admin())
            }
        }
    }

    @Test func healthReportsTheRelayLagWhileConversationServiceIsDown() async throws {
        try await GatewayHarness.with { h in
            let page = try await h.connectPage("111")
            h.peers.with { $0.conversationDown = true }
            #expect(try await h.post(P.signed(P.messenger(page: "111", mid: "m_lag"), h)).status == 200)
            try await Task.sleep(for: .milliseconds(300))
            let health = try await h.client.getChannelHealth(
                .with { $0.channelID = page.id }, metadata: GatewayHarness.admin())
            #expect(health.pendingEvents == 1)
            #expect(health.relayLag.seconds > 0 || health.relayLag.nanos >= 200_000_000)
            #expect(health.hasLastEventAt)
            #expect(health.acceptedEvents == 1)
            h.peers.with { $0.conversationDown = false }
            let drained = try await h.eventually {
                let health = try await h.client.getChannelHealth(
                    .with { $0.channelID = page.id }, metadata: GatewayHarness.admin())
                return health.pendingEvents == 0 && health.relayLag.seconds == 0 && health.relayLag.nanos == 0
            }
            #expect(drained)
        }
    }
}
