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

    @Test func malformedMessagesNameTheField() {
        let noBody = envelope(messages: message(type: "text", #""text":{}"#))
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(TestSigning.metaPost(noBody), secrets: TestSigning.metaSecrets, now: TestSigning.now)
            } == .missingField("entry[0].changes[0].value.messages[0].text.body"))
        let badTimestamp = envelope(messages: message(type: "text", #""text":{"body":"x"}"#))
            .replacingOccurrences(of: "\"1749416400\"", with: "\"soon\"")
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(
                    TestSigning.metaPost(badTimestamp), secrets: TestSigning.metaSecrets, now: TestSigning.now)
            }
                == .invalidValue(
                    "entry[0].changes[0].value.messages[0].timestamp", reason: "soon is not a 64-bit integer"))
        let huge = envelope(messages: message(type: "text", #""text":{"body":"x"}"#))
            .replacingOccurrences(of: "\"1749416400\"", with: "123456789012345678901234567890")
        #expect(
            webhookError { () throws(WebhookError) in
                try adapter.handle(TestSigning.metaPost(huge), secrets: TestSigning.metaSecrets, now: TestSigning.now)
            }?.httpStatus == 400)
    }
}
