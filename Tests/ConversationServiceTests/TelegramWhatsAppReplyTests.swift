import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import ConversationService

/// Telegram Business chats and moved Telegram groups in conversation-service (the connection kept
/// and handed to the gateway; a conversation re-targeted by a delivery status), and WhatsApp
/// templates with named and header parameters through SendReply.
@Suite("conversation-service: Telegram business chats and moved groups, WhatsApp template parameters")
struct TelegramWhatsAppReplyTests {
    /// A customer's Telegram message as the gateway normalises it (TelegramThread's ids).
    static func telegram(
        _ messageID: String, chat: String, from customer: String = "123456789", connection: String? = nil
    ) -> Inbox_V1_InboundEvent {
        let thread = connection.map { "\(chat)@\($0)" } ?? chat
        var event = ConversationHarness.message(
            "\(thread):\(messageID)", from: customer, channel: "channel-tg", platform: .telegram, threadKey: thread)
        event.businessConnectionID = connection ?? ""
        return event
    }

    static func handOff(_ h: ConversationHarness, key: String) async throws -> Inbox_V1_DeliverMessageRequest {
        let handed = try await h.eventually { h.peers.deliveries.contains { $0.idempotencyKey == key } }
        try #require(handed, "no hand-off for \(key)")
        return try #require(h.peers.deliveries.first { $0.idempotencyKey == key })
    }

    static func conversation(_ h: ConversationHarness, _ id: String) async throws -> Inbox_V1_Conversation {
        try await h.client.getConversation(.with { $0.conversationID = id }, metadata: ConversationHarness.agent())
    }

    // MARK: Telegram

    @Test func aBusinessChatsReplyIsHandedOverWithItsConnection() async throws {
        try await ConversationHarness.with { h in
            let business = try await ReplyFixtures.conversation(
                h, Self.telegram("88", chat: "123456789", connection: "BCfakeConnection1"))
            // The same customer's chat with the bot itself is another conversation, without one.
            let botChat = try await ReplyFixtures.conversation(h, Self.telegram("88", chat: "123456789"))
            #expect(business != botChat)

            _ = try await ReplyFixtures.send(h, ReplyFixtures.text(business, "Yes, it is back.", key: "tg-business"))
            _ = try await ReplyFixtures.send(h, ReplyFixtures.text(botChat, "Hello from the bot.", key: "tg-bot"))
            let viaBusiness = try await Self.handOff(h, key: "tg-business")
            #expect(viaBusiness.platform == .telegram)
            #expect(viaBusiness.businessConnectionID == "BCfakeConnection1")
            #expect(viaBusiness.recipientID == "123456789")
            #expect(viaBusiness.threadKey == "123456789@BCfakeConnection1")
            let viaBot = try await Self.handOff(h, key: "tg-bot")
            #expect(viaBot.businessConnectionID.isEmpty)
            #expect(viaBot.threadKey == "123456789")
        }
    }

    @Test func aGroupMovedToASupergroupIsRetargetedByTheDeliveryStatus() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h, Self.telegram("5", chat: "-4000001"))
            let message = try await ReplyFixtures.send(
                h, ReplyFixtures.text(conversationID, "Hello group", key: "tg-group-1"))

            var sent = DeliveryStatusTests.update(message.id, .sent, platformID: "-1004000001:4801")
            sent.channelID = "channel-tg"
            sent.movedToThreadKey = "-1004000001"
            let results = try await DeliveryStatusTests.record(h, [sent])
            #expect(results.map(\.outcome) == [.applied])
            let moved = try await Self.conversation(h, conversationID)
            #expect(moved.threadKey == "-1004000001")
            let stored = try await ReplyFixtures.stored(h, message.id)
            #expect(stored.platformMessageID == "-1004000001:4801")
            #expect(stored.state == "sent")

            // The supergroup's messages join it, and the next reply is handed over for the new chat.
            let later = try await h.ingest([Self.telegram("6", chat: "-1004000001", from: "987654321")])
            #expect(later.first?.conversationID == conversationID)
            _ = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, "Welcome back", key: "tg-group-2"))
            let next = try await Self.handOff(h, key: "tg-group-2")
            #expect(next.threadKey == "-1004000001")

            // Reported again (a repeated status), nothing changes.
            let again = try await DeliveryStatusTests.record(h, [sent])
            #expect(again.map(\.outcome) == [.stale])
            let still = try await Self.conversation(h, conversationID)
            #expect(still.threadKey == "-1004000001")
        }
    }

    @Test func aMoveToAThreadThatHasAConversationKeepsBoth() async throws {
        try await ConversationHarness.with { h in
            let old = try await ReplyFixtures.conversation(h, Self.telegram("5", chat: "-4000002"))
            let supergroup = try await ReplyFixtures.conversation(h, Self.telegram("1", chat: "-1004000002"))
            let message = try await ReplyFixtures.send(h, ReplyFixtures.text(old, "Hello group", key: "tg-group-3"))
            var sent = DeliveryStatusTests.update(message.id, .sent, platformID: "-1004000002:4801")
            sent.channelID = "channel-tg"
            sent.movedToThreadKey = "-1004000002"
            let results = try await DeliveryStatusTests.record(h, [sent])
            #expect(results.map(\.outcome) == [.applied])
            let kept = try await Self.conversation(h, old)
            #expect(kept.threadKey == "-4000002")
            let other = try await Self.conversation(h, supergroup)
            #expect(other.threadKey == "-1004000002")
        }
    }

    @Test func aMoveBesideAWatermarkIsInvalid() async throws {
        try await ConversationHarness.with { h in
            _ = try await ReplyFixtures.conversation(h)
            var update = DeliveryStatusTests.watermark(.delivered, at: Date())
            update.movedToThreadKey = "-1004000001"
            var tooLong = DeliveryStatusTests.update(UUID().text, .sent)
            tooLong.movedToThreadKey = String(repeating: "1", count: 1025)
            let results = try await DeliveryStatusTests.record(h, [update, tooLong])
            #expect(results.map(\.outcome) == [.invalid, .invalid])
            let fields = try results.map { try DeliveryStatusTests.field($0.error) }
            #expect(fields == ["moved_to_thread_key", "moved_to_thread_key"])
        }
    }

    // MARK: WhatsApp templates

    static func whatsAppConversation(_ h: ConversationHarness) async throws -> String {
        let conversationID = try await ReplyFixtures.conversation(
            h, ConversationHarness.message("wa-1", channel: "channel-wa", platform: .whatsapp))
        _ = try await ReplyFixtures.customerWrote(h, conversationID, ago: 2 * 86_400)
        return conversationID
    }

    static func named(_ name: String, _ text: String) -> Inbox_V1_TemplateParameter {
        .with {
            $0.parameterName = name
            $0.text = text
        }
    }

    @Test func namedAndHeaderParametersArePassedToTheGateway() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await Self.whatsAppConversation(h)
            let template = Inbox_V1_Template.with {
                $0.name = "order_shipped"
                $0.languageCode = "en_US"
                $0.namedBodyParameters = [Self.named("order_id", "#1234"), Self.named("eta", "Friday")]
                $0.header = .with {
                    $0.image = .with { $0.link = "https://cdn.example.com/parcel.jpg" }
                }
            }
            var request = ReplyFixtures.text(conversationID, key: "wa-named")
            request.template = template
            let message = try await ReplyFixtures.send(h, request)
            #expect(message.sendKind == .template)
            #expect(message.template == template)
            let delivery = try await Self.handOff(h, key: "wa-named")
            #expect(delivery.sendKind == .template)
            #expect(delivery.template == template)
            #expect(delivery.template.header.image.link == "https://cdn.example.com/parcel.jpg")
        }
    }

    @Test func malformedTemplateParametersAreRefusedNamingTheFieldAndNothingIsStored() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await Self.whatsAppConversation(h)
            func reply(_ configure: (inout Inbox_V1_Template) -> Void) -> Inbox_V1_SendReplyRequest {
                var value = Inbox_V1_Template.with {
                    $0.name = "order_shipped"
                    $0.languageCode = "en_US"
                }
                configure(&value)
                var request = ReplyFixtures.text(conversationID, key: "wa-bad")
                request.template = value
                return request
            }
            let cases: [(String, Inbox_V1_SendReplyRequest)] = [
                ("template.language_code", reply { $0.languageCode = "" }),
                (
                    "template.named_body_parameters",
                    reply {
                        $0.bodyParameters = ["#1"]
                        $0.namedBodyParameters = [Self.named("eta", "Friday")]
                    }
                ),
                (
                    "template.named_body_parameters[0].parameter_name",
                    reply { $0.namedBodyParameters = [Self.named("ETA", "Friday")] }
                ),
                (
                    "template.header.document.media_id",
                    reply {
                        $0.header = .with {
                            $0.document = .with {
                                $0.link = "https://cdn.example.com/a.pdf"
                                $0.mediaID = "1908647269898587"
                            }
                        }
                    }
                ),
            ]
            for (field, request) in cases {
                let refused = await refusal { _ = try await ReplyFixtures.send(h, request) }
                #expect(refused?.code == .invalidArgument, "\(field)")
                #expect(refused?.field == field, "\(field)")
            }
            let outbound = try await ReplyFixtures.outboundCount(h)
            #expect(outbound == 0)
            let outbox = try await ReplyFixtures.outboxCount(h)
            #expect(outbox == 0)
        }
    }
}
