import Foundation
import GRPCCore
import GRPCProtobuf
import InboxAPI
import InboxKit
import Logging
import PostgresNIO
import SwiftProtobuf
import TestSupport
import Testing

@testable import ConversationService

/// RecordDeliveryStatus through the RPCs against PostgreSQL: states only move forward, FAILED is
/// final, watermarks move a thread, echoes merge into our message, malformed updates are INVALID
/// without failing the batch; and the hand-off's final refusals.
@Suite("conversation-service: delivery states")
struct DeliveryStatusTests {
    @Test func statesOnlyMoveForward() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let message = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, key: "fwd-1"))

            let sent = try await Self.record(h, [Self.update(message.id, .sent, platformID: "mid-1")])
            #expect(sent.map(\.outcome) == [.applied])
            #expect(sent.first?.state == .sent)
            #expect(sent.first?.messageID == message.id)
            #expect(sent.first?.messagesUpdated == 1)
            // Found by the platform's id on the channel, as a status webhook names it.
            let delivered = try await Self.record(h, [Self.update(.delivered, platformID: "mid-1")])
            #expect(delivered.map(\.outcome) == [.applied])
            #expect(delivered.first?.messageID == message.id)
            let late = try await Self.record(h, [Self.update(message.id, .sent)])
            #expect(late.map(\.outcome) == [.stale])
            #expect(late.first?.state == .delivered)
            let read = try await Self.record(h, [Self.update(message.id, .read)])
            #expect(read.map(\.outcome) == [.applied])
            // A message the customer read was delivered: a late failure does not undo it.
            let failed = try await Self.record(h, [Self.update(message.id, .failed)])
            #expect(failed.map(\.outcome) == [.stale])
            #expect(failed.first?.state == .read)

            let stored = try await ReplyFixtures.stored(h, message.id)
            #expect(stored.state == "read")
            #expect(stored.platformMessageID == "mid-1")
            #expect(stored.deliveryAt != nil)

            // Several updates of one batch apply in order.
            let other = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, "Autre.", key: "fwd-2"))
            let batch = try await Self.record(
                h,
                [
                    Self.update(other.id, .sent, platformID: "mid-2"), Self.update(other.id, .delivered),
                    Self.update(other.id, .sent),
                ])
            #expect(batch.map(\.outcome) == [.applied, .applied, .stale])
            #expect(batch.map(\.state) == [.sent, .delivered, .delivered])
        }
    }

    @Test func failedIsFinalAndKeepsItsReason() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let message = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, key: "fail-1"))
            var failure = Self.update(message.id, .failed)
            failure.failureReason = .outsideWindow
            failure.failureDetail = "(#10) This message is sent outside of allowed window."
            let failed = try await Self.record(h, [failure])
            #expect(failed.map(\.outcome) == [.applied])
            #expect(failed.first?.state == .failed)
            for state in [Inbox_V1_DeliveryState.sent, .delivered, .read, .failed] {
                let after = try await Self.record(h, [Self.update(message.id, state)])
                #expect(after.map(\.outcome) == [.stale], "\(state)")
                #expect(after.first?.state == .failed, "\(state)")
            }
            let stored = try await ReplyFixtures.stored(h, message.id)
            #expect(stored.state == "failed")
            #expect(stored.failureReason == "outside_window")
            #expect(stored.failureDetail == "(#10) This message is sent outside of allowed window.")
        }
    }

    @Test func aWatermarkMovesEveryMessageOfTheThreadSentUpToIt() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            var ids: [String] = []
            for index in 1...3 {
                let message = try await ReplyFixtures.send(
                    h, ReplyFixtures.text(conversationID, "Message \(index)", key: "wm-\(index)"))
                ids.append(message.id)
            }
            let watermark = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            for (id, offset) in zip(ids, [-30.0, -20.0, 3600.0]) {
                try await h.database.query(
                    """
                    UPDATE messages SET platform_time = \(watermark.addingTimeInterval(offset))
                    WHERE id = \(try ReplyFixtures.uuid(id))
                    """,
                    logger: ReplyFixtures.logger)
            }

            let delivered = try await Self.record(h, [Self.watermark(.delivered, at: watermark)])
            #expect(delivered.map(\.outcome) == [.applied])
            #expect(delivered.first?.messagesUpdated == 2)
            #expect(delivered.first?.messageID == ids[1])
            #expect(delivered.first?.state == .delivered)
            #expect(try await ReplyFixtures.stored(h, ids[0]).state == "delivered")
            #expect(try await ReplyFixtures.stored(h, ids[1]).state == "delivered")
            #expect(try await ReplyFixtures.stored(h, ids[2]).state == "pending")

            let again = try await Self.record(h, [Self.watermark(.delivered, at: watermark)])
            #expect(again.map(\.outcome) == [.stale])
            #expect(again.first?.messagesUpdated == 0)
            #expect(again.first?.state == .delivered)
            let read = try await Self.record(h, [Self.watermark(.read, at: watermark)])
            #expect(read.first?.messagesUpdated == 2)
            #expect(try await ReplyFixtures.stored(h, ids[0]).state == "read")

            var elsewhere = Self.watermark(.read, at: watermark)
            elsewhere.threadKey = "customer-nobody"
            #expect(try await Self.record(h, [elsewhere]).map(\.outcome) == [.notFound])
        }
    }

    @Test func updatesForNoMessageOfTheOrganisationAreNotFound() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let message = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, key: "nf-1"))
            _ = try await Self.record(h, [Self.update(message.id, .sent, platformID: "mid-nf")])
            let results = try await Self.record(
                h,
                [
                    Self.update(UUID().text, .delivered),
                    Self.update(.delivered, platformID: "mid-unknown"),
                    // Organisation B names A's message, by our id and by the platform's.
                    Self.update(message.id, .delivered, organization: "org-b"),
                    Self.update(.delivered, platformID: "mid-nf", organization: "org-b"),
                ])
            #expect(results.map(\.outcome) == [.notFound, .notFound, .notFound, .notFound])
            #expect(try await ReplyFixtures.stored(h, message.id).state == "sent")
        }
    }

    @Test func malformedUpdatesAreInvalidNamingTheFieldAndTheOthersApply() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let message = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, key: "inv-1"))
            var noThread = Self.watermark(.delivered, at: Date())
            noThread.threadKey = ""
            var noChannel = Self.update(.sent, platformID: "mid-x")
            noChannel.channelID = ""
            let cases: [(String, Inbox_V1_DeliveryStatusUpdate)] = [
                ("state", Self.update(message.id, .unspecified)),
                ("message_id", Self.update(.sent)),
                ("message_id", Self.update("not-an-id", .sent)),
                ("thread_key", noThread),
                ("channel_id", noChannel),
                ("organization_id", Self.update(message.id, .sent, organization: "")),
            ]
            let results = try await Self.record(h, cases.map { $0.1 } + [Self.update(message.id, .sent)])
            for (index, field) in cases.map({ $0.0 }).enumerated() {
                #expect(results[index].outcome == .invalid, "\(field)")
                #expect(results[index].error.code == Int32(RPCError.Code.invalidArgument.rawValue), "\(field)")
                #expect(try Self.field(results[index].error) == field)
            }
            #expect(results.last?.outcome == .applied)
            #expect(try await ReplyFixtures.stored(h, message.id).state == "sent")
        }
    }

    @Test func anEchoThatArrivedBeforeOurSentMergesIntoOurMessage() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let message = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, key: "echo-1"))
            let conversation = try ReplyFixtures.uuid(conversationID)
            // The platform's echo of this send, stored as our account's message before the gateway's SENT.
            let echo = UUID()
            try await h.database.query(
                """
                INSERT INTO messages (organization_id, id, conversation_id, channel_id, direction, platform_message_id,
                    body, platform_time, origin, delivery_state)
                VALUES (\(ConversationHarness.organization), \(echo), \(conversation), 'channel-fb', 'outbound',
                    'mid-echo', 'Votre commande part demain.', \(Date()), 'echo', 'sent')
                """,
                logger: ReplyFixtures.logger)
            try await h.database.query(
                """
                UPDATE conversations SET message_count = message_count + 1, last_message_id = \(echo)
                WHERE id = \(conversation)
                """,
                logger: ReplyFixtures.logger)
            #expect(try await ReplyFixtures.conversationRow(h, conversationID).messageCount == 3)

            let results = try await Self.record(h, [Self.update(message.id, .sent, platformID: "mid-echo")])
            #expect(results.map(\.outcome) == [.applied])
            #expect(results.first?.messageID == message.id)
            let echoes = try await ReplyFixtures.count(h, "SELECT count(*) FROM messages WHERE id = \(echo)")
            #expect(echoes == 0)
            #expect(try await ReplyFixtures.stored(h, message.id).platformMessageID == "mid-echo")
            let merged = try await ReplyFixtures.conversationRow(h, conversationID)
            #expect(merged.messageCount == 2)
            #expect(merged.lastMessageID == message.id)
        }
    }

    @Test func onlyServicesReportDeliveryStates() async throws {
        try await ConversationHarness.with { h in
            let refused = await refusal {
                _ = try await h.client.recordDeliveryStatus(
                    .with { $0.updates = [Self.update(UUID().text, .sent)] }, metadata: ConversationHarness.agent())
            }
            #expect(refused?.code == .permissionDenied)
            #expect(refused?.reason == "ROLE_NOT_ALLOWED")
        }
    }

    @Test func theGatewaysFinalRefusalsFailTheMessageWithAReasonAnAgentCanActOn() async throws {
        let disconnected = RPCError(
            DomainError.failedPrecondition("channel channel-fb is disconnected", reason: .channelDisconnected))
        #expect(
            DeliveryOutbox.answer(to: disconnected)
                == .refused(.channelDisconnected, detail: "channel channel-fb is disconnected"))
        let token = RPCError(DomainError.failedPrecondition("the page token expired", reason: .channelTokenInvalid))
        #expect(DeliveryOutbox.answer(to: token) == .refused(.tokenInvalid, detail: "the page token expired"))
        let invalid = RPCError(DomainError.invalidArgument("recipient_id is required", field: "recipient_id"))
        #expect(DeliveryOutbox.answer(to: invalid) == .refused(.invalidRequest, detail: "recipient_id is required"))
        for code in [RPCError.Code.unavailable, .deadlineExceeded, .resourceExhausted, .internalError, .unknown] {
            let answer = DeliveryOutbox.answer(to: RPCError(code: code, message: "down"))
            if case .retry = answer { continue }
            Issue.record("\(code) must be retried, not \(answer)")
        }
        #expect(DeliveryOutbox.retryDelay(attempts: 1, settings: ConversationSettings()) == .seconds(1))
        #expect(DeliveryOutbox.retryDelay(attempts: 4, settings: ConversationSettings()) == .seconds(8))
        #expect(DeliveryOutbox.retryDelay(attempts: 40, settings: ConversationSettings()) == .seconds(300))

        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            h.peers.with { $0.failDeliveries = 1_000_000 }
            let message = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, key: "refused-1"))
            let id = try ReplyFixtures.uuid(message.id)
            // While the gateway fails the row stays queued and is retried.
            #expect(
                try await h.eventually {
                    try await ReplyFixtures.count(
                        h, "SELECT count(*) FROM delivery_outbox WHERE message_id = \(id) AND attempts > 0") == 1
                })
            let outbox = DeliveryOutbox(
                repository: h.parts.rpc.repository, peers: h.parts.rpc.peers,
                settings: ConversationHarness.fastSettings,
                signals: h.parts.rpc.signals, logger: ReplyFixtures.logger, now: { Date() })
            try await outbox.markFailed(
                organizationID: ConversationHarness.organization, messageID: id, reason: .channelDisconnected,
                detail: "channel channel-fb is disconnected")

            let stored = try await ReplyFixtures.stored(h, message.id)
            #expect(stored.state == "failed")
            #expect(stored.failureReason == "channel_disconnected")
            #expect(stored.failureDetail == "channel channel-fb is disconnected")
            #expect(try await ReplyFixtures.outboxCount(h) == 0)
            let late = try await Self.record(h, [Self.update(message.id, .sent, platformID: "mid-late")])
            #expect(late.map(\.outcome) == [.stale])
            #expect(late.first?.state == .failed)
            #expect(h.peers.deliveries.isEmpty)
        }
    }

    // MARK: Helpers

    static func record(_ h: ConversationHarness, _ updates: [Inbox_V1_DeliveryStatusUpdate]) async throws
        -> [Inbox_V1_DeliveryStatusResult]
    {
        try await h.client.recordDeliveryStatus(
            .with { $0.updates = updates }, metadata: ConversationHarness.service()
        ).results
    }

    /// An update naming our message (and the platform's id, when given).
    static func update(
        _ messageID: String, _ state: Inbox_V1_DeliveryState, platformID: String = "",
        organization: String = ConversationHarness.organization
    ) -> Inbox_V1_DeliveryStatusUpdate {
        .with {
            $0.organizationID = organization
            $0.messageID = messageID
            $0.channelID = "channel-fb"
            $0.platformMessageID = platformID
            $0.state = state
            $0.occurredAt = .init(date: Date())
        }
    }

    /// An update naming only the platform's id on the channel.
    static func update(
        _ state: Inbox_V1_DeliveryState, platformID: String = "",
        organization: String = ConversationHarness.organization
    ) -> Inbox_V1_DeliveryStatusUpdate {
        self.update("", state, platformID: platformID, organization: organization)
    }

    /// Messenger's delivery or read watermark for the harness customer's thread.
    static func watermark(_ state: Inbox_V1_DeliveryState, at time: Date) -> Inbox_V1_DeliveryStatusUpdate {
        .with {
            $0.organizationID = ConversationHarness.organization
            $0.channelID = "channel-fb"
            $0.threadKey = "customer-1"
            $0.state = state
            $0.watermark = .init(date: time)
            $0.occurredAt = .init(date: Date())
        }
    }

    /// The field an item's INVALID status names.
    static func field(_ status: Google_Rpc_Status) throws -> String {
        let bytes: [UInt8] = try status.serializedBytes()
        return try GoogleRPCStatus(serializedBytes: bytes).details.first?.errorInfo?.metadata["field"] ?? ""
    }
}
