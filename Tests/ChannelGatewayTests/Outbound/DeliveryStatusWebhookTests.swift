import Foundation
import InboxAPI
import InboxKit
import TestSupport
import Testing

@testable import ChannelGateway

/// The platforms' status webhooks move the gateway's own deliveries forward (the relay's round,
/// ``DeliveryRepository/applyPlatformStatuses(_:now:on:)``), so GetDelivery tells what the
/// platform told: a fake WhatsApp posts its signed `statuses[]` to the channel's real endpoint.
@Suite("outbound: status webhooks move the gateway's deliveries forward")
struct DeliveryStatusWebhookTests {
    @Test("delivered then read: DELIVERED, READ; a stale sent or a failed after read moves nothing")
    func forwardOnly() async throws {
        try await Self.withWhatsApp { h, graph, channel in
            let queued = try await h.deliver(SendCase.whatsAppText.request(on: channel))
            let sent = try await h.settled(queued.id)
            #expect(sent.state == .sent)
            let wamid = sent.platformMessageID

            let delivered = try await graph.postStatus("delivered", of: wamid)
            #expect(delivered == 200)
            let afterDelivered = try await Self.state(h, queued.id, becomes: .delivered)
            #expect(afterDelivered == .delivered)
            let read = try await graph.postStatus("read", of: wamid)
            #expect(read == 200)
            let afterRead = try await Self.state(h, queued.id, becomes: .read)
            #expect(afterRead == .read)

            // Out of order, and a failure after the customer read it: both relayed, neither applies.
            let stale = try await graph.postStatus("sent", of: wamid)
            #expect(stale == 200)
            let late = try await graph.postStatus("failed", of: wamid, errorCode: 131_047)
            #expect(late == 200)
            let relayed = try await h.eventually {
                try await h.count(
                    """
                    SELECT count(*) FROM inbound_events WHERE state = 'delivered'
                        AND platform_event_id IN ('\(wamid):sent', '\(wamid):failed')
                    """) == 2
            }
            #expect(relayed)
            let after = try await h.delivery(queued.id)
            #expect(after.state == .read)
            #expect(after.failureReason == .unspecified)
            #expect(after.platformMessageID == wamid)
            // Every one still reached conversation-service, which applies them by its own rule.
            let relayedStatuses = Set(h.peers.received.filter { $0.hasDeliveryStatus }.map(\.deliveryStatus.state))
            #expect(relayedStatuses == [.delivered, .read, .sent, .failed])
        }
    }

    @Test("a failed status after the send was accepted (WhatsApp 131047) is FAILED with its reason")
    func failedAfterTheSend() async throws {
        try await Self.withWhatsApp { h, graph, channel in
            let queued = try await h.deliver(SendCase.whatsAppText.request(on: channel))
            let sent = try await h.settled(queued.id)
            #expect(sent.state == .sent)
            let failed = try await graph.postStatus("failed", of: sent.platformMessageID, errorCode: 131_047)
            #expect(failed == 200)
            let afterFailed = try await Self.state(h, queued.id, becomes: .failed)
            #expect(afterFailed == .failed)
            let delivery = try await h.delivery(queued.id)
            #expect(delivery.failureReason == .outsideWindow)
            #expect(delivery.failureDetail.contains("131047"), "\(delivery.failureDetail)")
            #expect(delivery.platformMessageID == sent.platformMessageID)

            // Nothing moves a delivery out of FAILED.
            let read = try await graph.postStatus("read", of: sent.platformMessageID)
            #expect(read == 200)
            let relayed = try await h.eventually {
                try await h.count(
                    """
                    SELECT count(*) FROM inbound_events WHERE state = 'delivered'
                        AND platform_event_id = '\(sent.platformMessageID):read'
                    """) == 1
            }
            #expect(relayed)
            let afterRead = try await h.delivery(queued.id)
            #expect(afterRead.state == .failed)
            let health = try await h.health(channel)
            #expect(health.failedDeliveries == 1)
            #expect(health.sentDeliveries == 0)
        }
    }

    @Test("a status names a delivery by its channel: the same id on another channel moves nothing")
    func scopedByChannel() async throws {
        try await Self.withWhatsApp { h, _, channel in
            let queued = try await h.deliver(SendCase.whatsAppText.request(on: channel))
            let sent = try await h.settled(queued.id)
            #expect(sent.state == .sent)
            // The same wamid reported on another phone number's channel (its own endpoint and account).
            let other = try await h.connectOutbound(.whatsapp, account: "106540352242999")
            let payload = WebhookPayloads.whatsAppStatus(
                wabaID: "102290129340398", phoneNumberID: "106540352242999", messageID: sent.platformMessageID,
                status: "read", recipientID: "16505551234", timestamp: Int64(Date().timeIntervalSince1970))
            let posted = try await h.post(
                MetaWebhookSigner.signed(payload, url: h.url(other.webhookPath), appSecret: GatewayHarness.metaSecret))
            #expect(posted.status == 200)
            let relayed = try await h.eventually {
                try await h.count(
                    "SELECT count(*) FROM inbound_events WHERE state = 'delivered' AND channel_id = '\(other.id)'")
                    == 1
            }
            #expect(relayed)
            let unchanged = try await h.delivery(queued.id)
            #expect(unchanged.state == .sent)
        }
    }

    // MARK: Pure

    @Test("forward only: SENT → DELIVERED → READ, FAILED from SENT or DELIVERED, never after READ, never out of FAILED")
    func canMove() {
        let moves = OutboundDeliveryState.allCases.flatMap { from in
            OutboundDeliveryState.allCases.filter { from.canMove(to: $0) }.map { "\(from.rawValue)>\($0.rawValue)" }
        }
        #expect(
            Set(moves) == ["sent>delivered", "sent>read", "sent>failed", "delivered>read", "delivered>failed"])
    }

    @Test("a batch's statuses of one message fold to what applying them in order gives")
    func folded() {
        let channel = UUID()
        func status(_ id: String, _ state: OutboundDeliveryState) -> ReportedDeliveryStatus {
            ReportedDeliveryStatus(
                organizationID: "org", channelID: channel, platformMessageID: id, state: state,
                failureReason: state == .failed ? .outsideWindow : nil, failureDetail: nil)
        }
        let folded = ReportedDeliveryStatus.folded([
            status("a", .read), status("b", .delivered), status("a", .delivered), status("a", .failed),
            status("b", .failed), status("c", .failed), status("c", .read), status("b", .read),
        ])
        #expect(folded.map(\.platformMessageID) == ["a", "b", "c"])
        // a: read, then nothing goes back or fails after it; b: failed, and stays; c: failed first.
        #expect(folded.map(\.state) == [.read, .failed, .failed])
        #expect(folded[1].failureReason == .outsideWindow)
    }

    // MARK: Helpers

    /// A gateway whose WhatsApp API is the fake, the fake posting its webhooks to the channel's endpoint.
    static func withWhatsApp(
        _ body: (GatewayHarness, MetaGraphFake, Inbox_V1_Channel) async throws -> Void
    ) async throws {
        try await DeliveryTests.withGateway(.whatsapp) { h, fake in
            let graph = try #require(fake.fake as? MetaGraphFake)
            let channel = try await h.connectOutbound(.whatsapp)
            graph.deliverStatusWebhooks(
                to: WebhookTarget(url: h.url(channel.webhookPath), secret: GatewayHarness.metaSecret),
                using: WebhookPoster(client: h.http))
            try await body(h, graph, channel)
        }
    }

    /// The delivery's state once it is `expected`, or as it is after 10 s.
    static func state(_ h: GatewayHarness, _ id: String, becomes expected: Inbox_V1_DeliveryState) async throws
        -> Inbox_V1_DeliveryState
    {
        var latest = try await h.delivery(id).state
        _ = try await h.eventually {
            latest = try await h.delivery(id).state
            return latest == expected
        }
        return latest
    }
}
