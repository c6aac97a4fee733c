import Foundation
import Testing

@testable import ChannelGateway

@Suite("WhatsApp webhooks")
struct WhatsAppWebhookTests {
    let adapter = WhatsAppWebhookAdapter()

    func handle(_ json: String) throws(WebhookError) -> [InboundEvent] {
        try adapter.handle(TestSigning.metaPost(json), secrets: TestSigning.metaSecrets, now: TestSigning.now).events
    }

    func envelope(
        messages: String,
        contacts: String =
            #"[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234","user_id":"user.9373795779eb6441"}]"#
    ) -> String {
        #"""
        {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{
          "messaging_product":"whatsapp",
          "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
          "contacts":\#(contacts),
          "messages":\#(messages)}}]}]}
        """#
    }

    func message(type: String, _ content: String) -> String {
        #"[{"from":"16505551234","id":"wamid.X\#(type)","timestamp":"1749416400","type":"\#(type)",\#(content)}]"#
    }

    @Test func textMessage() throws {
        let json = envelope(
            messages: #"""
                [{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                  "timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"},
                  "context":{"from":"15550783881","id":"wamid.PREVIOUS_OUTBOUND"}}]
                """#)
        let event = try #require(try handle(json).first)
        #expect(event.accountID == "106540352242922")
        #expect(event.kind == .directMessage)
        #expect(event.eventID == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=")
        #expect(event.threadKey == "user.9373795779eb6441")
        #expect(event.author?.platformID == "user.9373795779eb6441")
        #expect(event.author?.displayName == "Sheena Nelson")
        #expect(event.text == "Does it come in another color?")
        #expect(event.repliesToMessageID == "wamid.PREVIOUS_OUTBOUND")
        #expect(event.occurredAt == unixDate(1_749_416_383))
    }

    @Test func usernameUserWithEmptyFromKeysOnUserID() throws {
        let json = envelope(
            messages: message(type: "text", #""text":{"body":"hi"}"#).replacingOccurrences(
                of: #""from":"16505551234""#, with: #""from":"""#),
            contacts: #"[{"profile":{"name":"Anon"},"wa_id":"","user_id":"user.abc"}]"#)
        #expect(try handle(json).first?.threadKey == "user.abc")
        let phoneOnly = envelope(
            messages: message(type: "text", #""text":{"body":"hi"}"#),
            contacts: #"[{"profile":{"name":"Old"},"wa_id":"16505551234"}]"#)
        #expect(try handle(phoneOnly).first?.threadKey == "16505551234")
    }

    @Test func mediaMessages() throws {
        let image = try #require(
            try handle(
                envelope(
                    messages: message(
                        type: "image",
                        #""image":{"caption":"This one","mime_type":"image/jpeg","sha256":"Zg2mT0Yk...=","id":"1908647269898587"}"#
                    ))
            ).first)
        #expect(image.text == "This one")
        #expect(
            image.attachments == [
                InboundAttachment(kind: .image, mimeType: "image/jpeg", platformMediaID: "1908647269898587")
            ])
        let cases: [(String, InboundAttachment.Kind)] = [
            ("audio", .audio), ("video", .video), ("document", .file), ("sticker", .sticker),
        ]
        for (type, kind) in cases {
            let json = envelope(
                messages: message(type: type, #""\#(type)":{"mime_type":"x/y","id":"77","filename":"a.pdf"}"#))
            let event = try #require(try handle(json).first)
            #expect(event.attachments.first?.kind == kind)
            #expect(event.attachments.first?.platformMediaID == "77")
        }
    }

    @Test func structuredMessages() throws {
        let location = try #require(
            try handle(
                envelope(
                    messages: message(
                        type: "location",
                        #""location":{"latitude":37.483307,"longitude":122.148981,"name":"Pablo Morales"}"#))
            ).first)
        #expect(
            location.attachments == [
                InboundAttachment(kind: .location, url: "geo:37.483307,122.148981", title: "Pablo Morales")
            ])
        let contacts = try #require(
            try handle(
                envelope(
                    messages: message(
                        type: "contacts", #""contacts":[{"name":{"formatted_name":"John Smith"},"phones":[]}]"#))
            ).first)
        #expect(contacts.attachments == [InboundAttachment(kind: .contact, title: "John Smith")])
        let interactive = try handle(
            envelope(
                messages: message(
                    type: "interactive",
                    #""interactive":{"type":"button_reply","button_reply":{"id":"b1","title":"Yes please"}}"#)))
        #expect(interactive.first?.text == "Yes please")
        let list = try handle(
            envelope(
                messages: message(
                    type: "interactive",
                    #""interactive":{"type":"list_reply","list_reply":{"id":"l1","title":"Blue","description":"d"}}"#)))
        #expect(list.first?.text == "Blue")
        let button = try handle(
            envelope(messages: message(type: "button", #""button":{"text":"Stop promos","payload":"P"}"#)))
        #expect(button.first?.text == "Stop promos")
        let reaction = try #require(
            try handle(
                envelope(messages: message(type: "reaction", #""reaction":{"message_id":"wamid.OUT1","emoji":"👍"}"#))
            ).first)
        #expect(reaction.kind == .reaction)
        #expect(reaction.text == "👍")
        #expect(reaction.repliesToMessageID == "wamid.OUT1")
        let order = try #require(
            try handle(
                envelope(
                    messages: message(
                        type: "order", #""order":{"catalog_id":"123","text":"my order","product_items":[]}"#))
            ).first)
        #expect(order.text == "my order")
        let system = try #require(
            try handle(
                envelope(
                    messages: message(
                        type: "system", #""system":{"body":"User changed number","type":"user_changed_number"}"#))
            ).first)
        #expect(system.kind == .accountEvent)
        let unsupported = try #require(
            try handle(
                envelope(
                    messages: message(
                        type: "unsupported", #""errors":[{"code":131051,"title":"Message type unknown"}]"#))
            ).first)
        #expect(unsupported.isUnsupported)
        let future = try #require(try handle(envelope(messages: message(type: "hologram", #""hologram":{}"#))).first)
        #expect(future.isUnsupported)
    }

    @Test func failedStatusCarriesError() throws {
        let json = #"""
            {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{
              "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
              "statuses":[{"id":"wamid.OUT1","status":"failed","timestamp":"1750030073","recipient_id":"16505551234",
                "errors":[{"code":131047,"title":"Re-engagement message",
                           "message":"Re-engagement message",
                           "error_data":{"details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}]},
                {"id":"wamid.OUT2","status":"read","timestamp":"1750030080","recipient_id":"16505551234",
                 "pricing":{"billable":false,"pricing_model":"PMP","type":"free_customer_service","category":"service"}}]}}]}]}
            """#
        let events = try handle(json)
        #expect(events.count == 2)
        let failed = try #require(events.first)
        #expect(failed.kind == .deliveryStatus)
        #expect(failed.eventID == "wamid.OUT1:failed")
        #expect(failed.deliveryStatus?.state == .failed)
        #expect(failed.deliveryStatus?.errorCode == "131047")
        #expect(failed.deliveryStatus?.errorText?.hasPrefix("Message failed to send") == true)
        #expect(failed.occurredAt == unixDate(1_750_030_073))
        #expect(events[1].deliveryStatus?.state == .read)
    }

    @Test func coexistenceEchoIsOwnOnCustomerThread() throws {
        let json = #"""
            {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"smb_message_echoes","value":{
              "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
              "message_echoes":[{"from":"15550783881","to":"16505551234","id":"wamid.ECHO1","timestamp":"1749416500","type":"text","text":{"body":"typed in the app"}}]}}]}]}
            """#
        let event = try #require(try handle(json).first)
        #expect(event.isOwn)
        #expect(event.threadKey == "16505551234")
        #expect(event.text == "typed in the app")
    }

    /// A message that does not parse is kept UNPARSED at its path, with the error naming the field;
    /// the messages and statuses beside it still become events.
    @Test func malformedMessageIsKeptBesideTheValidOnes() throws {
        let messages = #"""
            [{"from":"16505551234","id":"wamid.OK1","timestamp":"1749416400","type":"text","text":{"body":"first"}},
             {"from":"16505551234","id":"wamid.BAD","timestamp":"1749416401","type":"text","text":{}},
             {"from":"16505551234","id":"wamid.BAD2","timestamp":"soon","type":"text","text":{"body":"x"}},
             {"from":"16505551234","id":"wamid.OK2","timestamp":"1749416402","type":"text","text":{"body":"third"}}],
            "statuses":[{"id":"wamid.OUT1","status":"read"},
                        {"id":"wamid.OUT1","status":"delivered","timestamp":"1750030080","recipient_id":"16505551234"}]
            """#
        let outcome = try adapter.handle(
            TestSigning.metaPost(envelope(messages: messages)), secrets: TestSigning.metaSecrets, now: TestSigning.now)
        #expect(outcome.events.map(\.eventID) == ["wamid.OK1", "wamid.OK2", "wamid.OUT1:delivered"])
        #expect(
            outcome.unparsed.map(\.path) == [
                "entry[0].changes[0].value.messages[1]", "entry[0].changes[0].value.messages[2]",
                "entry[0].changes[0].value.statuses[0]",
            ])
        #expect(
            outcome.unparsed.map(\.error) == [
                .missingField("entry[0].changes[0].value.messages[1].text.body"),
                .invalidValue(
                    "entry[0].changes[0].value.messages[2].timestamp", reason: "soon is not a 64-bit integer"),
                .missingField("entry[0].changes[0].value.statuses[0].timestamp"),
            ])
        #expect(outcome.unparsed.allSatisfy { $0.accountID == "106540352242922" })
        #expect(
            outcome.unparsed.first?.rawText
                == #"{"from":"16505551234","id":"wamid.BAD","text":{},"timestamp":"1749416401","type":"text"}"#)
        #expect(outcome.unparsed.first?.errorDescription.contains("messages[1].text.body") == true)
        #expect(outcome.reply == .emptyOK)
    }

    @Test func changeWithoutMetadataIsKeptWholeAndOtherFieldsNeedNoValue() throws {
        let json = #"""
            {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[
              {"field":"account_update"},
              {"field":"messages","value":{"messages":[]}},
              {"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},
                "messages":[{"from":"16505551234","id":"wamid.OK","timestamp":"1749416400","type":"text","text":{"body":"hi"}}]}}]}]}
            """#
        let outcome = try adapter.handle(
            TestSigning.metaPost(json), secrets: TestSigning.metaSecrets, now: TestSigning.now)
        #expect(outcome.events.map(\.eventID) == ["wamid.OK"])
        #expect(outcome.unparsed.map(\.path) == ["entry[0].changes[1]"])
        #expect(outcome.unparsed.first?.error == .missingField("entry[0].changes[1].value.metadata"))
        #expect(outcome.unparsed.first?.accountID == nil)
    }

    @Test func editByTheCustomerIsAnEditOfTheOriginal() throws {
        let edit = #"""
            [{"from":"16505551234","id":"wamid.EDIT1","timestamp":"1749416500","type":"edit",
              "edit":{"original_message_id":"wamid.ORIG","message":{"type":"text","text":{"body":"Blue, not red"}}}}]
            """#
        let event = try #require(try handle(envelope(messages: edit)).first)
        #expect(event.kind == .edit)
        #expect(event.messageID == "wamid.ORIG")
        #expect(event.text == "Blue, not red")
        #expect(event.eventID == "edit:wamid.EDIT1:1749416500")
        #expect(event.threadKey == "user.9373795779eb6441")
        #expect(event.occurredAt == unixDate(1_749_416_500))
        #expect(!event.isUnsupported)
        // A second edit of the same message is another event, even if it reused the item id.
        let second = edit.replacingOccurrences(of: "1749416500", with: "1749416560")
        #expect(try handle(envelope(messages: second)).first?.eventID == "edit:wamid.EDIT1:1749416560")
        let caption = #"""
            [{"from":"16505551234","id":"wamid.EDIT2","timestamp":"1749416600","type":"edit",
              "edit":{"original_message_id":"wamid.IMG","message":{"type":"image","image":{"caption":"New caption","id":"1"}}}}]
            """#
        #expect(try handle(envelope(messages: caption)).first?.text == "New caption")
    }

    @Test func revokeByTheCustomerIsADeletion() throws {
        let revoke = #"""
            [{"from":"16505551234","id":"wamid.REV1","timestamp":"1749416700","type":"revoke",
              "revoke":{"original_message_id":"wamid.ORIG"}}]
            """#
        let event = try #require(try handle(envelope(messages: revoke)).first)
        #expect(event.kind == .deletion)
        #expect(event.messageID == "wamid.ORIG")
        #expect(event.eventID == "delete:wamid.ORIG")
        #expect(!event.isUnsupported)
        #expect(event.occurredAt == unixDate(1_749_416_700))
    }
}
