import Foundation
import InboxAPI
import Testing

@testable import ChannelGateway

/// Telegram Business chats on the way in: the connection is captured, the chat is a thread of its
/// own (not the bot's chat with the same id), the business account's side is ours.
@Suite("Telegram Business webhooks")
struct TelegramBusinessWebhookTests {
    let adapter = TelegramWebhookAdapter()
    let secrets = TelegramWebhookSecrets(secretToken: "tg_secret-123")

    func events(_ json: String) throws -> [InboundEvent] {
        let request = WebhookRequest(
            method: "POST", path: "/",
            headers: [.init(name: "X-Telegram-Bot-Api-Secret-Token", value: "tg_secret-123")],
            body: Array(json.utf8))
        return try adapter.handle(request, secrets: secrets, now: TestSigning.now).events
    }

    /// A customer's message in a connected business account's private chat (Bot API
    /// `business_message`: a Message with `business_connection_id`).
    static let customerMessage = #"""
        {"update_id":912345690,
         "business_message":{"business_connection_id":"BCfakeConnection1","message_id":88,
           "from":{"id":123456789,"is_bot":false,"first_name":"Ana","username":"ana_li"},
           "chat":{"id":123456789,"first_name":"Ana","username":"ana_li","type":"private"},
           "date":1790003200,"text":"Is the blue one back?",
           "reply_to_message":{"message_id":87,"from":{"id":5550001,"is_bot":false,"first_name":"Shop"},
             "chat":{"id":123456789,"type":"private"},"date":1790003100,"text":"Hello!"}}}
        """#

    @Test("a business_message keeps its connection and gets a thread and message ids of its own")
    func customerMessageInBusinessChat() throws {
        let event = try #require(try events(Self.customerMessage).first)
        #expect(event.kind == .directMessage)
        #expect(event.businessConnectionID == "BCfakeConnection1")
        #expect(event.threadKey == "123456789@BCfakeConnection1")
        #expect(event.messageID == "123456789@BCfakeConnection1:88")
        #expect(event.repliesToMessageID == "123456789@BCfakeConnection1:87")
        #expect(event.author?.platformID == "123456789")
        #expect(!event.isOwn)
        // The same ids in the bot's own chat are another thread and other messages.
        let botChat = Self.customerMessage
            .replacingOccurrences(
                of: #""business_message":{"business_connection_id":"BCfakeConnection1","#, with: #""message":{"#)
        let own = try #require(try events(botChat).first)
        #expect(own.businessConnectionID == nil)
        #expect(own.threadKey == "123456789")
        #expect(own.messageID == "123456789:88")
        #expect(own.threadKey != event.threadKey)

        let proto = event.proto(id: UUID(), organizationID: "org-1", channelID: UUID(), receivedAt: TestSigning.now)
        #expect(proto.businessConnectionID == "BCfakeConnection1")
        #expect(proto.threadKey == "123456789@BCfakeConnection1")
        let plain = own.proto(id: UUID(), organizationID: "org-1", channelID: UUID(), receivedAt: TestSigning.now)
        #expect(plain.businessConnectionID.isEmpty)
    }

    @Test("a message the business account sent in its chat is ours, in the same thread; its edit too")
    func businessAccountsOwnMessage() throws {
        let owner = #"""
            {"update_id":912345691,
             "business_message":{"business_connection_id":"BCfakeConnection1","message_id":89,
               "from":{"id":5550001,"is_bot":false,"first_name":"Shop"},
               "chat":{"id":123456789,"first_name":"Ana","type":"private"},
               "date":1790003260,"text":"Yes, since Monday."}}
            """#
        let event = try #require(try events(owner).first)
        #expect(event.isOwn)
        #expect(event.threadKey == "123456789@BCfakeConnection1")
        #expect(event.messageID == "123456789@BCfakeConnection1:89")
        let edited =
            owner
            .replacingOccurrences(of: "912345691", with: "912345692")
            .replacingOccurrences(
                of: #""business_message":{"#, with: #""edited_business_message":{"edit_date":1790003300,"#)
        let edit = try #require(try events(edited).first)
        #expect(edit.kind == .edit)
        #expect(edit.messageID == "123456789@BCfakeConnection1:89")
        #expect(edit.businessConnectionID == "BCfakeConnection1")
    }
}
