import Foundation
import Testing

@testable import ChannelGateway

@Suite("Telegram webhooks")
struct TelegramWebhookTests {
    let adapter = TelegramWebhookAdapter()
    let secrets = TelegramWebhookSecrets(secretToken: "tg_secret-123")

    func post(_ json: String, token: String? = "tg_secret-123") -> WebhookRequest {
        WebhookRequest(
            method: "POST", path: "/",
            headers: token.map { [.init(name: "X-Telegram-Bot-Api-Secret-Token", value: $0)] } ?? [],
            body: Array(json.utf8))
    }

    func handle(_ json: String) throws(WebhookError) -> [InboundEvent] {
        try adapter.handle(post(json), secrets: secrets, now: TestSigning.now).events
    }

    static let message = #"""
        {"update_id":912345678,
         "message":{"message_id":4711,
           "from":{"id":123456789,"is_bot":false,"first_name":"Ana","last_name":"Li","username":"ana_li","language_code":"en"},
           "chat":{"id":123456789,"first_name":"Ana","last_name":"Li","username":"ana_li","type":"private"},
           "date":1790003000,
           "text":"Where is my parcel?",
           "reply_to_message":{"message_id":4702,"from":{"id":7000000001,"is_bot":true,"first_name":"ShopBot","username":"shop_bot"},"chat":{"id":123456789,"type":"private"},"date":1790002900,"text":"Your order shipped."}}}
        """#

    @Test func textMessage() throws {
        let event = try #require(try handle(Self.message).first)
        #expect(event.platform == .telegram)
        #expect(event.accountID == nil)
        #expect(event.kind == .directMessage)
        #expect(event.eventID == "912345678")
        #expect(event.messageID == "123456789:4711")
        #expect(event.threadKey == "123456789")
        #expect(event.repliesToMessageID == "123456789:4702")
        #expect(event.author == InboundAuthor(platformID: "123456789", handle: "ana_li", displayName: "Ana Li"))
        #expect(event.text == "Where is my parcel?")
        #expect(event.occurredAt == unixDate(1_790_003_000))
    }

    @Test func editedMessageKeepsMessageIdentity() throws {
        let edited = Self.message
            .replacingOccurrences(of: "912345678", with: "912345679")
            .replacingOccurrences(of: #""message":{"#, with: #""edited_message":{"edit_date":1790003060,"#)
            .replacingOccurrences(of: "Where is my parcel?", with: "Where is my parcel #42?")
        let event = try #require(try handle(edited).first)
        #expect(event.kind == .edit)
        #expect(event.messageID == "123456789:4711")
        #expect(event.eventID == "912345679")
        #expect(event.text == "Where is my parcel #42?")
        #expect(event.occurredAt == unixDate(1_790_003_060))
    }

    @Test func mediaMessages() throws {
        let photo = #"""
            {"update_id":1,"message":{"message_id":5,"from":{"id":-1001,"is_bot":false,"first_name":"G"},"chat":{"id":-1001234,"type":"group"},
             "date":1790003100,"caption":"this one",
             "photo":[{"file_id":"small","file_unique_id":"a","width":90,"height":90,"file_size":1000},
                      {"file_id":"large","file_unique_id":"b","width":1280,"height":1280,"file_size":90000}]}}
            """#
        let event = try #require(try handle(photo).first)
        #expect(event.threadKey == "-1001234")
        #expect(event.text == "this one")
        #expect(event.attachments == [InboundAttachment(kind: .image, platformMediaID: "large")])
        let document = #"""
            {"update_id":2,"message":{"message_id":6,"chat":{"id":5,"type":"private"},"date":1790003101,
             "document":{"file_id":"doc1","file_unique_id":"d","file_name":"invoice.pdf","mime_type":"application/pdf"}}}
            """#
        #expect(
            try handle(document).first?.attachments == [
                InboundAttachment(
                    kind: .file, mimeType: "application/pdf", platformMediaID: "doc1", title: "invoice.pdf")
            ])
        let location =
            #"{"update_id":3,"message":{"message_id":7,"chat":{"id":5,"type":"private"},"date":1790003102,"location":{"latitude":52.52,"longitude":13.405}}}"#
        #expect(try handle(location).first?.attachments.first?.url == "geo:52.52,13.405")
        let poll =
            #"{"update_id":4,"message":{"message_id":8,"chat":{"id":5,"type":"private"},"date":1790003103,"poll":{"id":"1"}}}"#
        #expect(try handle(poll).first?.isUnsupported == true)
        let callback =
            #"{"update_id":5,"callback_query":{"id":"1","from":{"id":1,"is_bot":false,"first_name":"A"},"data":"x"}}"#
        #expect(try handle(callback).isEmpty)
    }

    @Test func secretTokenChecks() {
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(post(Self.message, token: "tg_secret-124"), secrets: secrets, now: TestSigning.now)
            } == .signatureMismatch("X-Telegram-Bot-Api-Secret-Token"))
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(post(Self.message, token: nil), secrets: secrets, now: TestSigning.now)
            } == .missingSignature("X-Telegram-Bot-Api-Secret-Token"))
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(post(Self.message), secrets: TelegramWebhookSecrets(), now: TestSigning.now)
            }?.httpStatus == 500)
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(WebhookRequest(method: "GET", path: "/"), secrets: secrets, now: TestSigning.now)
            } == .methodNotAllowed("GET"))
    }

    /// A JSON update that does not parse is accepted and kept whole as UNPARSED: Telegram would
    /// retry it and then give up on it.
    @Test func malformedUpdatesAreKeptUnparsed() throws {
        let cases: [(String, WebhookError)] = [
            (#"{"message":{}}"#, .missingField("update_id")),
            (
                #"{"update_id":1,"message":{"message_id":1,"chat":{"id":1},"date":"yesterday"}}"#,
                .invalidValue("message.date", reason: "yesterday is not a 64-bit integer")
            ),
            (#"{"update_id":1,"message":{"message_id":1,"date":1}}"#, .missingField("message.chat")),
        ]
        for (json, error) in cases {
            let outcome = try adapter.handle(post(json), secrets: secrets, now: TestSigning.now)
            #expect(outcome.events.isEmpty)
            let entry = try #require(outcome.unparsed.first)
            #expect(entry.error == error)
            #expect(entry.path == "(root)")
            #expect(entry.accountID == nil)
            // Re-serialised: the same value, members sorted by key.
            let reparsed = try RawJSON.parse(Array(entry.rawText.utf8))
            let original = try RawJSON.parse(Array(json.utf8))
            #expect(reparsed == original)
        }
        #expect(
            try adapter.handle(post(#"{"message":{}}"#), secrets: secrets, now: TestSigning.now).unparsed.first?
                .rawText == #"{"message":{}}"#)
    }

    @Test func bodyThatIsNotJSONIsRefused() {
        let error = webhookError { () throws(WebhookError) in
            try adapter.handle(post(#"{"update_id":1,"#), secrets: secrets, now: TestSigning.now)
        }
        #expect(error?.httpStatus == 400)
    }
}
