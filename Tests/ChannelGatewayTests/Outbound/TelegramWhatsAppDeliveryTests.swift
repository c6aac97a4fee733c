import Foundation
import InboxAPI
import Logging
import NIOCore
import PlatformJSON
import PostgresNIO
import SwiftProtobuf
import TestSupport
import Testing

@testable import ChannelGateway

/// Telegram Business replies, Telegram chat migration in the worker and WhatsApp templates with
/// named and header parameters, through DeliverMessage and the worker to the fakes over real HTTP.
@Suite("outbound: Telegram business chats and chat migration, WhatsApp template parameters")
struct TelegramWhatsAppDeliveryTests {
    static let logger = Logger(label: "telegram-whatsapp-delivery-test")

    // MARK: Telegram

    @Test("a reply into a Telegram Business chat goes to the customer's chat through the connection")
    func businessChatReply() async throws {
        try await DeliveryTests.withGateway(.telegram) { h, fake in
            let channel = try await h.connectOutbound(.telegram)
            // As conversation-service sends it for a business chat's conversation.
            let request = GatewayHarness.reply(on: channel) {
                $0.recipientID = "123456789"
                $0.threadKey = "123456789@BCfakeConnection1"
                $0.businessConnectionID = "BCfakeConnection1"
                $0.replyToPlatformID = "123456789@BCfakeConnection1:88"
            }
            let queued = try await h.deliver(request)
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .sent, "\(delivery.failureReason): \(delivery.failureDetail)")
            let sends = fake.fake.recorder.requests
            #expect(sends.count == 1)
            let body = bodyJSON(sends.first)
            #expect(body?["chat_id"] == 123_456_789)
            #expect(body?["business_connection_id"] == "BCfakeConnection1")
            #expect(body?["reply_parameters"]?["message_id"] == 88)
            // Recorded as the business chat's webhooks name its messages (TelegramThread).
            #expect(delivery.platformMessageID.hasPrefix("123456789@BCfakeConnection1:"))
        }
    }

    @Test("a bot's group chat is answered in the group, without a business connection")
    func groupReplyGoesToTheGroup() async throws {
        try await DeliveryTests.withGateway(.telegram) { h, fake in
            let channel = try await h.connectOutbound(.telegram)
            // conversation-service names the member who wrote first as the recipient.
            let request = GatewayHarness.reply(on: channel) {
                $0.recipientID = "123456789"
                $0.threadKey = "-4000001"
            }
            let delivery = try await h.settled(try await h.deliver(request).id)
            #expect(delivery.state == .sent)
            let body = bodyJSON(fake.fake.recorder.requests.first)
            #expect(body?["chat_id"] == -4_000_001)
            #expect(body?["business_connection_id"] == nil)
            #expect(delivery.platformMessageID.hasPrefix("-4000001:"))
        }
    }

    @Test(
        "a group that became a supergroup: refused once, sent to the new chat in the same try, SENT, the move reported")
    func migratedGroup() async throws {
        try await DeliveryTests.withGateway(.telegram) { h, fake in
            let telegram = try #require(fake.fake as? TelegramBotAPIFake)
            telegram.migrateChat(-4_000_001, to: -1_004_000_001)
            let channel = try await h.connectOutbound(.telegram)
            let request = GatewayHarness.reply(on: channel) {
                $0.recipientID = "123456789"
                $0.threadKey = "-4000001"
            }
            let queued = try await h.deliver(request)
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .sent, "\(delivery.failureReason): \(delivery.failureDetail)")
            #expect(delivery.attempts == 1)
            #expect(delivery.platformMessageID.hasPrefix("-1004000001:"))
            try await Task.sleep(for: .milliseconds(300))
            let chats = fake.fake.recorder.requests.compactMap { bodyJSON($0)?["chat_id"] }
            #expect(fake.fake.recorder.requests.count == 2)
            #expect(chats == [-4_000_001, -1_004_000_001])
            let kept = try await h.count(
                "SELECT count(*) FROM outbound_deliveries WHERE moved_to_thread_key = '-1004000001'")
            #expect(kept == 1)
            // conversation-service learns the new thread with the SENT and the new chat's message id.
            let reported = try await h.eventually {
                h.peers.deliveryStatus.received.contains {
                    $0.deliveryID == queued.id && $0.state == .sent && $0.movedToThreadKey == "-1004000001"
                        && $0.platformMessageID == delivery.platformMessageID
                }
            }
            #expect(reported)
        }
    }

    @Test("a delivery whose group moved on an earlier try goes straight to the new chat")
    func retryAfterMoveGoesToTheNewChat() async throws {
        try await DeliveryTests.withGateway(.telegram) { h, fake in
            let telegram = try #require(fake.fake as? TelegramBotAPIFake)
            telegram.migrateChat(-4_000_001, to: -1_004_000_001)
            let channel = try await h.connectOutbound(.telegram)
            let request = GatewayHarness.reply(on: channel) {
                $0.recipientID = "123456789"
                $0.threadKey = "-4000001"
            }
            let bytes: [UInt8] = try request.serializedBytes()
            let id = UUID()
            // As the worker leaves a delivery whose second send (to the supergroup) failed transiently.
            try await h.database.query(
                """
                INSERT INTO outbound_deliveries (id, organization_id, channel_id, platform, message_id,
                    idempotency_key, idempotency_fingerprint, request, state, attempts, next_attempt_at,
                    moved_to_thread_key)
                VALUES (\(id), \(GatewayHarness.organization), \(channel.id)::uuid, 'telegram', \(request.messageID),
                    \(request.idempotencyKey), 'fingerprint', \(ByteBuffer(bytes: bytes)), 'pending', 1, now(),
                    '-1004000001')
                """, logger: Self.logger)
            let delivery = try await h.settled(id.text)
            #expect(delivery.state == .sent, "\(delivery.failureReason): \(delivery.failureDetail)")
            #expect(delivery.attempts == 2)
            try await Task.sleep(for: .milliseconds(300))
            #expect(fake.fake.recorder.requests.count == 1)
            #expect(bodyJSON(fake.fake.recorder.requests.first)?["chat_id"] == -1_004_000_001)
            let reported = try await h.eventually {
                h.peers.deliveryStatus.received.contains {
                    $0.deliveryID == id.text && $0.movedToThreadKey == "-1004000001"
                }
            }
            #expect(reported)
        }
    }

    // MARK: WhatsApp

    @Test("a template with named body parameters and a header image reaches the fake in Meta's shape")
    func namedTemplateWithHeaderImage() async throws {
        try await DeliveryTests.withGateway(.whatsapp) { h, fake in
            let channel = try await h.connectOutbound(.whatsapp)
            let request = GatewayHarness.reply(on: channel, .template, text: "") {
                $0.recipientID = "16505551234"
                $0.template = .with {
                    $0.name = "order_shipped"
                    $0.languageCode = "en_US"
                    $0.namedBodyParameters = [
                        .with {
                            $0.parameterName = "order_id"
                            $0.text = "#1234"
                        },
                        .with {
                            $0.parameterName = "eta"
                            $0.text = "Friday"
                        },
                    ]
                    $0.header = .with { $0.image = .with { $0.link = "https://cdn.example.com/parcel.jpg" } }
                }
            }
            let delivery = try await h.settled(try await h.deliver(request).id)
            #expect(delivery.state == .sent, "\(delivery.failureReason): \(delivery.failureDetail)")
            let sends = fake.fake.recorder.requests.filter { $0.method == "POST" }
            #expect(sends.count == 1)
            let expected: WireJSON = [
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234",
                "type": "template",
                "template": [
                    "name": "order_shipped", "language": ["code": "en_US"],
                    "components": [
                        [
                            "type": "header",
                            "parameters": [["type": "image", "image": ["link": "https://cdn.example.com/parcel.jpg"]]],
                        ],
                        [
                            "type": "body",
                            "parameters": [
                                ["type": "text", "parameter_name": "order_id", "text": "#1234"],
                                ["type": "text", "parameter_name": "eta", "text": "Friday"],
                            ],
                        ],
                    ],
                ],
            ]
            #expect(bodyJSON(sends.first) == expected)
            #expect(sends.first?.path.hasSuffix("/\(OutboundFake.credentials.phoneNumberID)/messages") == true)
        }
    }

    @Test("malformed template parameters are INVALID_ARGUMENT naming the field, and nothing is queued")
    func invalidTemplateParameters() async throws {
        try await DeliveryTests.withGateway(.whatsapp) { h, fake in
            let channel = try await h.connectOutbound(.whatsapp)
            func template(_ configure: (inout Inbox_V1_Template) -> Void) -> Inbox_V1_DeliverMessageRequest {
                GatewayHarness.reply(on: channel, .template, text: "") {
                    $0.recipientID = "16505551234"
                    var value = Inbox_V1_Template.with {
                        $0.name = "order_shipped"
                        $0.languageCode = "en_US"
                    }
                    configure(&value)
                    $0.template = value
                }
            }
            func named(_ name: String, _ text: String) -> Inbox_V1_TemplateParameter {
                .with {
                    $0.parameterName = name
                    $0.text = text
                }
            }
            let cases: [(String, Inbox_V1_DeliverMessageRequest)] = [
                ("template.language_code", template { $0.languageCode = " " }),
                ("template.body_parameters[1]", template { $0.bodyParameters = ["#1", "  "] }),
                (
                    "template.named_body_parameters",
                    template {
                        $0.bodyParameters = ["#1"]
                        $0.namedBodyParameters = [named("eta", "Friday")]
                    }
                ),
                (
                    "template.named_body_parameters[0].parameter_name",
                    template { $0.namedBodyParameters = [named("Order-ID", "#1")] }
                ),
                ("template.named_body_parameters[0].text", template { $0.namedBodyParameters = [named("eta", "")] }),
                (
                    "template.named_body_parameters[1].parameter_name",
                    template { $0.namedBodyParameters = [named("eta", "Friday"), named("eta", "Monday")] }
                ),
                ("template.header", template { $0.header = Inbox_V1_TemplateHeader() }),
                ("template.header.image.link", template { $0.header = .with { $0.image = Inbox_V1_TemplateMedia() } }),
                (
                    "template.header.image.media_id",
                    template {
                        $0.header = .with {
                            $0.image = .with {
                                $0.link = "https://cdn.example.com/a.jpg"
                                $0.mediaID = "1908647269898587"
                            }
                        }
                    }
                ),
                (
                    "template.header.document.link",
                    template { $0.header = .with { $0.document = .with { $0.link = "ftp://files.example.com/a.pdf" } } }
                ),
                (
                    "template.header.video.filename",
                    template {
                        $0.header = .with {
                            $0.video = .with {
                                $0.mediaID = "1908647269898587"
                                $0.filename = "clip.mp4"
                            }
                        }
                    }
                ),
                (
                    "template.header.text.parameter_name",
                    template {
                        $0.namedBodyParameters = [named("eta", "Friday")]
                        $0.header = .with { $0.text = .with { $0.text = "Ana" } }
                    }
                ),
            ]
            for (field, request) in cases {
                let refused = await refusal { _ = try await h.deliver(request) }
                #expect(refused?.code == .invalidArgument, "\(field)")
                #expect(refused?.field == field, "\(field)")
            }
            let queued = try await h.count("SELECT count(*) FROM outbound_deliveries")
            #expect(queued == 0)
            #expect(fake.fake.recorder.requests.isEmpty)
        }
    }
}
