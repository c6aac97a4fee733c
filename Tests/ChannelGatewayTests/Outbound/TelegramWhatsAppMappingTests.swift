import Foundation
import InboxAPI
import InboxKit
import InboxRules
import PlatformJSON
import Testing

@testable import ChannelGateway

/// The pure mapping of Telegram chats (bot chats, groups, business chats) and WhatsApp template
/// parameters from DeliverMessageRequest to the platform's send.
@Suite("outbound mapping: Telegram chats, WhatsApp template parameters")
struct TelegramWhatsAppMappingTests {
    typealias Mapping = DeliveryMappingTests

    static func message(_ platform: Platform, _ request: Inbox_V1_DeliverMessageRequest) throws -> OutboundMessage {
        try request.outboundMessage(on: Mapping.channel(platform, "acct"), publicBaseURL: Mapping.base)
    }

    @Test("Telegram: a bot chat is its thread key, a business chat the customer's chat through its connection")
    func telegramChats() throws {
        let group = try Self.message(
            .telegram,
            Mapping.request(.directMessage) {
                $0.recipientID = "123456789"
                $0.threadKey = "-4000001"
            })
        #expect(group.kind == .telegramMessage(chatID: "-4000001"))
        #expect(group.businessConnectionID == nil)
        #expect(group.recordedPlatformMessageID("4802") == "-4000001:4802")

        let business = try Self.message(
            .telegram,
            Mapping.request(.directMessage) {
                $0.recipientID = "123456789"
                $0.threadKey = "123456789@BCfakeConnection1"
                $0.businessConnectionID = "BCfakeConnection1"
                $0.replyToPlatformID = "123456789@BCfakeConnection1:88"
            })
        #expect(business.kind == .telegramMessage(chatID: "123456789"))
        #expect(business.businessConnectionID == "BCfakeConnection1")
        #expect(business.quotedMessageID == "88")
        // Recorded as the business chat's webhooks name its messages.
        #expect(business.recordedPlatformMessageID("4802") == "123456789@BCfakeConnection1:4802")

        // Without a thread, or with one that is not a chat id, the recipient is the chat.
        let bare = try Self.message(.telegram, Mapping.request(.directMessage) { $0.recipientID = "123456789" })
        #expect(bare.kind == .telegramMessage(chatID: "123456789"))
        let odd = try Self.message(
            .telegram,
            Mapping.request(.directMessage) {
                $0.recipientID = "123456789"
                $0.threadKey = "not-a-chat"
            })
        #expect(odd.kind == .telegramMessage(chatID: "123456789"))
        // A business chat needs its customer.
        #expect(
            Mapping.refusedField(
                .telegram,
                Mapping.request(.directMessage) {
                    $0.threadKey = "123456789@BCfakeConnection1"
                    $0.businessConnectionID = "BCfakeConnection1"
                }) == "recipient_id")
    }

    @Test("business_connection_id is refused outside Telegram")
    func businessConnectionElsewhere() {
        #expect(
            Mapping.refusedField(
                .whatsapp,
                Mapping.request(.directMessage) {
                    $0.recipientID = "16505551234"
                    $0.businessConnectionID = "BCfakeConnection1"
                }) == "business_connection_id")
    }

    @Test("WhatsApp: named body parameters and each kind of header reach the adapter's template")
    func templateParameters() throws {
        let named = try Self.message(
            .whatsapp,
            Mapping.request(.template) {
                $0.recipientID = "16505551234"
                $0.template = .with {
                    $0.name = " order_shipped "
                    $0.languageCode = "en_US"
                    $0.namedBodyParameters = [
                        .with {
                            $0.parameterName = "order_id"
                            $0.text = "#1234"
                        }
                    ]
                    $0.header = .with {
                        $0.text = .with {
                            $0.parameterName = "first_name"
                            $0.text = "Ana"
                        }
                    }
                }
            })
        #expect(
            named.kind
                == .whatsAppTemplate(
                    to: "16505551234",
                    template: WhatsAppTemplate(
                        name: "order_shipped", languageCode: "en_US",
                        namedBodyParameters: [.init(name: "order_id", text: "#1234")],
                        header: .text("Ana", parameterName: "first_name"))))

        let headers: [(Inbox_V1_TemplateHeader, WhatsAppTemplate.Header)] = [
            (
                .with { $0.image = .with { $0.link = "https://cdn.example.com/a.jpg" } },
                .image(.link("https://cdn.example.com/a.jpg"))
            ),
            (.with { $0.video = .with { $0.mediaID = "1908647269898587" } }, .video(.id("1908647269898587"))),
            (
                .with {
                    $0.document = .with {
                        $0.mediaID = "1908647269898588"
                        $0.filename = "invoice.pdf"
                    }
                }, .document(.id("1908647269898588"), filename: "invoice.pdf")
            ),
            (.with { $0.text = .with { $0.text = "Ana" } }, .text("Ana")),
        ]
        for (header, expected) in headers {
            let message = try Self.message(
                .whatsapp,
                Mapping.request(.template) {
                    $0.recipientID = "16505551234"
                    $0.template = .with {
                        $0.name = "order_shipped"
                        $0.languageCode = "en_US"
                        $0.bodyParameters = ["#1234"]
                        $0.header = header
                    }
                })
            guard case .whatsAppTemplate(_, let template) = message.kind else {
                Issue.record("not a template: \(message.kind)")
                continue
            }
            #expect(template.header == expected)
            #expect(template.bodyParameters == ["#1234"])
        }
    }

    @Test("a document header by media id is sent as Meta's {id, filename}")
    func documentByMediaID() throws {
        let adapter = WhatsAppOutboundAdapter(endpoint: OutboundEndpoints.production[WhatsAppOutboundAdapter.api])
        let template = WhatsAppTemplate(
            name: "invoice", languageCode: "de", bodyParameters: ["#1234"],
            header: .document(.id("1908647269898588"), filename: "invoice.pdf"))
        let request = try adapter.request(
            for: outboundMessage(.whatsAppTemplate(to: "16505551234", template: template)),
            credentials: WhatsAppCredentials(phoneNumberID: "106540352242922", accessToken: "EAAfakeWABAToken"))
        let expected: WireJSON = [
            [
                "type": "header",
                "parameters": [
                    ["type": "document", "document": ["id": "1908647269898588", "filename": "invoice.pdf"]]
                ],
            ],
            ["type": "body", "parameters": [["type": "text", "text": "#1234"]]],
        ]
        #expect(bodyJSON(request.body)?["template"]?["components"] == expected)
    }

    @Test("TemplateRules accepts each well-formed template and names the field of a malformed one")
    func templateRules() {
        func field(_ configure: (inout Inbox_V1_Template) -> Void) -> String? {
            var template = Inbox_V1_Template.with {
                $0.name = "order_shipped"
                $0.languageCode = "en_US"
            }
            configure(&template)
            do {
                try TemplateRules.check(template)
                return nil
            } catch {
                #expect(error.code == .invalidArgument)
                return error.metadata["field"]
            }
        }
        #expect(field { _ in } == nil)
        #expect(field { $0.bodyParameters = ["#1", "Friday"] } == nil)
        #expect(
            field {
                $0.namedBodyParameters = [
                    .with {
                        $0.parameterName = "order_id_2"
                        $0.text = "#1"
                    }
                ]
                $0.header = .with {
                    $0.text = .with {
                        $0.parameterName = "first_name"
                        $0.text = "Ana"
                    }
                }
            } == nil)
        #expect(
            field { $0.header = .with { $0.document = .with { $0.link = "http://files.example.com/a.pdf" } } } == nil)
        #expect(field { $0.name = "" } == "template.name")
        #expect(field { $0.name = String(repeating: "n", count: 513) } == "template.name")
        #expect(field { $0.bodyParameters = Array(repeating: "x", count: 101) } == "template.body_parameters")
        #expect(field { $0.bodyParameters = [String(repeating: "x", count: 1025)] } == "template.body_parameters[0]")
        #expect(
            field {
                $0.bodyParameters = ["#1"]
                $0.header = .with {
                    $0.text = .with {
                        $0.parameterName = "first_name"
                        $0.text = "Ana"
                    }
                }
            } == "template.header.text.parameter_name")
        #expect(field { $0.header = .with { $0.text = .with { $0.text = " " } } } == "template.header.text.text")
        #expect(
            field {
                $0.header = .with { $0.image = .with { $0.mediaID = "1908 647" } }
            } == "template.header.image.media_id")
    }
}
