import Foundation
import Testing

@testable import ChannelGateway

/// The inbound log keeps one event per (channel, event id): an id that two real events share drops
/// the second one, an id that changes on a re-delivery stores one event twice. For every platform
/// and kind: (a) a delivery and its retry (later, re-signed, in a re-stamped Meta batch) give the
/// same ids; (b) distinct real events — including the ones whose ids used to collide: a deletion
/// and the message it removes, two edits, hide → unhide → hide, a reaction repeated later,
/// delivered then read, two events one WeChat user causes in the same second — give the ids in the
/// table, all different.
@Suite("Dedup keys")
struct DedupKeyTests {
    /// One real event as first delivered and as the platform retries it.
    struct Delivery: Sendable {
        let original: WebhookRequest
        let retry: WebhookRequest
    }

    /// One platform and kind: distinct real events in order and the ids they must get.
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let platform: Platform
        let secrets: any WebhookSecrets
        let deliveries: [Delivery]
        let expectedIDs: [String]

        var description: String { name }
    }

    // MARK: Builders

    /// A signed Meta POST; the retry carries the same items in a batch Meta sent a minute later
    /// (`entry.time` is the batch's send time, not the event's).
    static func meta(_ json: String, entryTime: Int64? = nil) -> Delivery {
        var retried = json
        if let entryTime {
            retried = json.replacingOccurrences(of: #""time":\#(entryTime)"#, with: #""time":\#(entryTime + 60)"#)
        }
        return Delivery(original: TestSigning.metaPost(json), retry: TestSigning.metaPost(retried))
    }

    /// One `messaging[]` item from the customer at `timestamp` (ms).
    static func messaging(_ timestamp: Int64, _ event: String, instagram: Bool = false) -> Delivery {
        let account = instagram ? "17841400000000001" : "111000111"
        let item =
            #"{"sender":{"id":"7000000000000001"},"recipient":{"id":"\#(account)"},"timestamp":\#(timestamp),\#(event)}"#
        let object = instagram ? "instagram" : "page"
        return meta(
            #"{"object":"\#(object)","entry":[{"id":"\#(account)","time":1790000000999,"messaging":[\#(item)]}]}"#,
            entryTime: 1_790_000_000_999)
    }

    static func feed(_ value: String, field: String = "feed") -> Delivery {
        meta(
            #"{"object":"page","entry":[{"id":"111000111","time":1790000999,"changes":[{"field":"\#(field)","value":\#(value)}]}]}"#,
            entryTime: 1_790_000_999)
    }

    static func feedComment(verb: String, at time: Int64) -> Delivery {
        feed(
            #"""
            {"from":{"id":"7000000000000002","name":"Jane Doe"},"item":"comment","verb":"\#(verb)",
             "post_id":"111000111_222000222","comment_id":"222000222_333000333","parent_id":"111000111_222000222",
             "created_time":\#(time),"message":"Do you ship?",
             "post":{"id":"111000111_222000222","is_published":true,"promotion_status":"inactive"}}
            """#)
    }

    static func feedReaction(verb: String, at time: Int64) -> Delivery {
        feed(
            #"{"from":{"id":"7000000000000002"},"item":"reaction","verb":"\#(verb)","post_id":"111000111_222000222","reaction_type":"like","created_time":\#(time)}"#
        )
    }

    static func instagram(_ field: String, _ value: String) -> Delivery {
        meta(
            #"{"object":"instagram","entry":[{"id":"17841400000000001","time":1790001100,"changes":[{"field":"\#(field)","value":\#(value)}]}]}"#,
            entryTime: 1_790_001_100)
    }

    static func whatsApp(_ value: String) -> Delivery {
        meta(
            #"""
            {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{
              "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
              "contacts":[{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],\#(value)}}]}]}
            """#)
    }

    static func whatsAppStatus(_ status: String, at time: Int) -> Delivery {
        whatsApp(
            #""statuses":[{"id":"wamid.OUT1","status":"\#(status)","timestamp":"\#(time)","recipient_id":"16505551234"}]"#
        )
    }

    static func same(_ request: WebhookRequest) -> Delivery {
        Delivery(original: request, retry: request)
    }

    /// A `comment.update` for one comment; the retry is signed again, later.
    static func tiktok(_ action: String, millis: Int64?, createTime: Int64 = 1_790_002_000) -> Delivery {
        var content =
            #"{"comment_id":7247303576418566913,"video_id":7203946942097902849,"comment_type":"comment","comment_action":"\#(action)","unique_identifier":"user_7c2f""#
        if let millis { content += #","timestamp":\#(millis)"# }
        content += "}"
        let json = TikTokWebhookTests.envelope(content: content)
            .replacingOccurrences(of: #""create_time":1790002000"#, with: #""create_time":\#(createTime)"#)
        let tests = TikTokWebhookTests()
        return Delivery(original: tests.post(json), retry: tests.post(json, t: 1_790_002_080))
    }

    /// A WeChat push; the retry is signed again with a later timestamp.
    static func weChat(_ xml: String) -> Delivery {
        let tests = WeChatWebhookTests()
        return Delivery(original: tests.post(xml), retry: tests.post(xml, timestamp: "1790002050"))
    }

    static func twilio(_ body: String) -> Delivery {
        same(TwilioWebhookTests().post(body))
    }

    static func twilioStatus(_ status: String) -> Delivery {
        twilio(
            "MessageSid=SM9f0e&MessageStatus=\(status)&SmsSid=SM9f0e&SmsStatus=\(status)&AccountSid=AC1"
                + "&From=%2B12345678901&To=%2B11234567890&ApiVersion=2010-04-01")
    }

    static func linkedIn(_ action: String, id: String) -> Delivery {
        let tests = LinkedInWebhookTests()
        return same(tests.post(tests.envelope(LinkedInWebhookTests.notification(action: action, id: id))))
    }

    // MARK: The table

    static let cases: [Case] = [
        Case(
            name: "Messenger messages", platform: .facebook, secrets: TestSigning.metaSecrets,
            deliveries: [
                messaging(1_790_000_000_100, #""message":{"mid":"m_1","text":"Hi"}"#),
                messaging(1_790_000_000_200, #""message":{"mid":"m_2","text":"Hi"}"#),
            ],
            expectedIDs: ["m_1", "m_2"]),
        Case(
            name: "Messenger reactions: react, unreact, react again", platform: .facebook,
            secrets: TestSigning.metaSecrets,
            deliveries: [
                messaging(1_790_000_000_100, #""reaction":{"mid":"m_out","action":"react","emoji":"👍"}"#),
                messaging(1_790_000_000_200, #""reaction":{"mid":"m_out","action":"unreact"}"#),
                messaging(1_790_000_000_300, #""reaction":{"mid":"m_out","action":"react","emoji":"👍"}"#),
            ],
            expectedIDs: [
                "reaction:m_out:react:👍:1790000000100", "reaction:m_out:unreact::1790000000200",
                "reaction:m_out:react:👍:1790000000300",
            ]),
        Case(
            name: "Messenger delivered then read", platform: .facebook, secrets: TestSigning.metaSecrets,
            deliveries: [
                messaging(1_790_000_000_450, #""delivery":{"mids":["m_Out001"],"watermark":1790000000440}"#),
                messaging(1_790_000_000_460, #""read":{"watermark":1790000000455}"#),
            ],
            expectedIDs: ["delivery:m_Out001", "read:7000000000000001:1790000000455"]),
        Case(
            name: "Messenger postbacks: one button tapped twice, and one with a mid", platform: .facebook,
            secrets: TestSigning.metaSecrets,
            deliveries: [
                messaging(1_790_000_000_100, #""postback":{"title":"Track order","payload":"TRACK"}"#),
                messaging(1_790_000_000_200, #""postback":{"title":"Track order","payload":"TRACK"}"#),
                messaging(1_790_000_000_300, #""postback":{"mid":"m_pb1","title":"Track order","payload":"TRACK"}"#),
            ],
            expectedIDs: [
                "postback:7000000000000001:1790000000100", "postback:7000000000000001:1790000000200",
                "postback:m_pb1",
            ]),
        Case(
            name: "Facebook comment added, edited twice, removed", platform: .facebook,
            secrets: TestSigning.metaSecrets,
            deliveries: [
                feedComment(verb: "add", at: 1_790_000_095), feedComment(verb: "edited", at: 1_790_000_200),
                feedComment(verb: "edited", at: 1_790_000_300), feedComment(verb: "remove", at: 1_790_000_700),
            ],
            expectedIDs: [
                "222000222_333000333:add:1790000095", "222000222_333000333:edited:1790000200",
                "222000222_333000333:edited:1790000300", "222000222_333000333:remove:1790000700",
            ]),
        Case(
            name: "Facebook comment hidden, unhidden, hidden again", platform: .facebook,
            secrets: TestSigning.metaSecrets,
            deliveries: [
                feedComment(verb: "hide", at: 1_790_000_400), feedComment(verb: "unhide", at: 1_790_000_500),
                feedComment(verb: "hide", at: 1_790_000_600),
            ],
            expectedIDs: [
                "222000222_333000333:hide:1790000400", "222000222_333000333:unhide:1790000500",
                "222000222_333000333:hide:1790000600",
            ]),
        Case(
            name: "Facebook wall post and its edit", platform: .facebook, secrets: TestSigning.metaSecrets,
            deliveries: [
                feed(
                    #"{"from":{"id":"7000000000000005","name":"Visitor"},"item":"status","verb":"add","post_id":"111000111_777000777","created_time":1790000400,"message":"Open?"}"#
                ),
                feed(
                    #"{"from":{"id":"7000000000000005","name":"Visitor"},"item":"status","verb":"edited","post_id":"111000111_777000777","created_time":1790000450,"message":"Open today?"}"#
                ),
            ],
            expectedIDs: ["111000111_777000777:add:1790000400", "111000111_777000777:edited:1790000450"]),
        Case(
            name: "Facebook post reaction added, removed, added again", platform: .facebook,
            secrets: TestSigning.metaSecrets,
            deliveries: [
                feedReaction(verb: "add", at: 1_790_000_100), feedReaction(verb: "remove", at: 1_790_000_200),
                feedReaction(verb: "add", at: 1_790_000_300),
            ],
            expectedIDs: [
                "111000111_222000222:reaction:add:7000000000000002:1790000100",
                "111000111_222000222:reaction:remove:7000000000000002:1790000200",
                "111000111_222000222:reaction:add:7000000000000002:1790000300",
            ]),
        Case(
            name: "Facebook mention and its edit", platform: .facebook, secrets: TestSigning.metaSecrets,
            deliveries: [
                feed(
                    #"{"item":"post","verb":"add","post_id":"888000888_999000999","sender_id":"7000000000000006","created_time":1790000490,"message":"@MyShop"}"#,
                    field: "mention"),
                feed(
                    #"{"item":"post","verb":"edited","post_id":"888000888_999000999","sender_id":"7000000000000006","created_time":1790000590,"message":"@MyShop!"}"#,
                    field: "mention"),
            ],
            expectedIDs: [
                "mention:888000888_999000999:add:1790000490", "mention:888000888_999000999:edited:1790000590",
            ]),
        Case(
            name: "Instagram DM and its deletion", platform: .instagram, secrets: TestSigning.metaSecrets,
            deliveries: [
                messaging(1_790_001_000_400, #""message":{"mid":"m3","text":"oops"}"#, instagram: true),
                messaging(1_790_001_000_500, #""message":{"mid":"m3","is_deleted":true}"#, instagram: true),
            ],
            expectedIDs: ["m3", "delete:m3"]),
        Case(
            name: "Instagram DM edited twice, and an edit without num_edit", platform: .instagram,
            secrets: TestSigning.metaSecrets,
            deliveries: [
                messaging(
                    1_790_001_000_400, #""message_edit":{"mid":"m_in","text":"a","num_edit":1}"#, instagram: true),
                messaging(
                    1_790_001_000_450, #""message_edit":{"mid":"m_in","text":"b","num_edit":2}"#, instagram: true),
                messaging(1_790_001_000_500, #""message_edit":{"mid":"m_in","text":"c"}"#, instagram: true),
            ],
            expectedIDs: ["edit:m_in:1", "edit:m_in:2", "edit:m_in:at:1790001000500"]),
        Case(
            name: "Instagram reaction, repeated later", platform: .instagram, secrets: TestSigning.metaSecrets,
            deliveries: [
                messaging(
                    1_790_001_000_401, #""reaction":{"mid":"m_out","action":"react","reaction":"love","emoji":"👍"}"#,
                    instagram: true),
                messaging(
                    1_790_001_000_901, #""reaction":{"mid":"m_out","action":"react","reaction":"love","emoji":"👍"}"#,
                    instagram: true),
            ],
            expectedIDs: ["reaction:m_out:react:👍:1790001000401", "reaction:m_out:react:👍:1790001000901"]),
        Case(
            name: "Instagram comments and mentions", platform: .instagram, secrets: TestSigning.metaSecrets,
            deliveries: [
                instagram(
                    "comments",
                    #"{"from":{"id":"9100000000000002","username":"a"},"media":{"id":"18000000000000501"},"id":"17900000000000777","text":"hi"}"#
                ),
                instagram(
                    "comments",
                    #"{"from":{"id":"9100000000000002","username":"a"},"media":{"id":"18000000000000501"},"id":"17900000000000778","text":"hi"}"#
                ),
                instagram("mentions", #"{"media_id":"17918195224117851"}"#),
                instagram("mentions", #"{"comment_id":"17894227972186120","media_id":"17918195224117851"}"#),
            ],
            expectedIDs: [
                "17900000000000777", "17900000000000778", "mention:17918195224117851", "mention:17894227972186120",
            ]),
        Case(
            name: "WhatsApp message and reaction", platform: .whatsapp, secrets: TestSigning.metaSecrets,
            deliveries: [
                whatsApp(
                    #""messages":[{"from":"16505551234","id":"wamid.IN1","timestamp":"1749416400","type":"text","text":{"body":"Hi"}}]"#
                ),
                whatsApp(
                    #""messages":[{"from":"16505551234","id":"wamid.IN2","timestamp":"1749416410","type":"reaction","reaction":{"message_id":"wamid.OUT1","emoji":"👍"}}]"#
                ),
            ],
            expectedIDs: ["wamid.IN1", "wamid.IN2"]),
        Case(
            name: "WhatsApp message edited twice by the customer, then revoked", platform: .whatsapp,
            secrets: TestSigning.metaSecrets,
            deliveries: [
                whatsApp(
                    #""messages":[{"from":"16505551234","id":"wamid.IN1","timestamp":"1749416400","type":"text","text":{"body":"Red"}}]"#
                ),
                whatsApp(
                    #""messages":[{"from":"16505551234","id":"wamid.IN1","timestamp":"1749416460","type":"edit","edit":{"original_message_id":"wamid.IN1","message":{"type":"text","text":{"body":"Blue"}}}}]"#
                ),
                whatsApp(
                    #""messages":[{"from":"16505551234","id":"wamid.IN1","timestamp":"1749416520","type":"edit","edit":{"original_message_id":"wamid.IN1","message":{"type":"text","text":{"body":"Green"}}}}]"#
                ),
                whatsApp(
                    #""messages":[{"from":"16505551234","id":"wamid.REV","timestamp":"1749416580","type":"revoke","revoke":{"original_message_id":"wamid.IN1"}}]"#
                ),
            ],
            expectedIDs: ["wamid.IN1", "edit:wamid.IN1:1749416460", "edit:wamid.IN1:1749416520", "delete:wamid.IN1"]),
        Case(
            name: "WhatsApp statuses of one message: sent, delivered, read", platform: .whatsapp,
            secrets: TestSigning.metaSecrets,
            deliveries: [
                whatsAppStatus("sent", at: 1_750_030_000), whatsAppStatus("delivered", at: 1_750_030_005),
                whatsAppStatus("read", at: 1_750_030_060),
            ],
            expectedIDs: ["wamid.OUT1:sent", "wamid.OUT1:delivered", "wamid.OUT1:read"]),
        Case(
            name: "X DM, tweet and the tweet's deletion", platform: .x, secrets: XWebhookTests().secrets,
            deliveries: [
                same(XWebhookTests().post(XWebhookTests.directMessage)),
                same(XWebhookTests().post(XWebhookTests.mention)),
                same(
                    XWebhookTests().post(
                        #"{"for_user_id":"2244994945","tweet_delete_events":[{"status":{"id":"1770000000000000001","user_id":"3805104374"},"timestamp_ms":"1773748900000"}]}"#
                    )),
            ],
            expectedIDs: ["958501034212564996", "1770000000000000001", "delete:1770000000000000001"]),
        Case(
            name: "X access revoked, granted again and revoked again", platform: .x, secrets: XWebhookTests().secrets,
            deliveries: [
                same(XWebhookTests().post(XWebhookTests.revoke)),
                same(
                    XWebhookTests().post(
                        XWebhookTests.revoke.replacingOccurrences(
                            of: "2018-05-24T09:48:12", with: "2018-06-01T10:00:00"))),
            ],
            expectedIDs: [
                "revoke:63046977:13090192:2018-05-24T09:48:12+00:00",
                "revoke:63046977:13090192:2018-06-01T10:00:00+00:00",
            ]),
        Case(
            name: "LinkedIn comment, two edits, deletion", platform: .linkedin,
            secrets: LinkedInWebhookTests().secrets,
            deliveries: [
                linkedIn("COMMENT", id: "1"), linkedIn("COMMENT_EDIT", id: "2"), linkedIn("COMMENT_EDIT", id: "3"),
                linkedIn("COMMENT_DELETE", id: "4"),
            ],
            expectedIDs: ["1", "2", "3", "4"]),
        Case(
            name: "TikTok comment inserted, hidden, public, hidden again", platform: .tiktok,
            secrets: TikTokWebhookTests().secrets,
            deliveries: [
                tiktok("insert", millis: 1_687_394_416_109), tiktok("set_to_hidden", millis: 1_687_394_500_000),
                tiktok("set_to_public", millis: 1_687_394_600_000), tiktok("set_to_hidden", millis: 1_687_394_700_000),
                // Without `timestamp`, the envelope's create_time (s), in ms.
                tiktok("set_to_public", millis: nil, createTime: 1_790_002_000),
                tiktok("set_to_public", millis: nil, createTime: 1_790_002_060),
            ],
            expectedIDs: [
                "7247303576418566913:insert:1687394416109", "7247303576418566913:set_to_hidden:1687394500000",
                "7247303576418566913:set_to_public:1687394600000", "7247303576418566913:set_to_hidden:1687394700000",
                "7247303576418566913:set_to_public:1790002000000", "7247303576418566913:set_to_public:1790002060000",
            ]),
        Case(
            name: "Telegram message and its edit", platform: .telegram, secrets: TelegramWebhookTests().secrets,
            deliveries: [
                same(TelegramWebhookTests().post(TelegramWebhookTests.message)),
                same(
                    TelegramWebhookTests().post(
                        TelegramWebhookTests.message
                            .replacingOccurrences(of: "912345678", with: "912345679")
                            .replacingOccurrences(
                                of: #""message":{"#, with: #""edited_message":{"edit_date":1790003060,"#)
                    )),
            ],
            expectedIDs: ["912345678", "912345679"]),
        Case(
            name: "Twilio message, and one of ours sent then delivered", platform: .twilio,
            secrets: TwilioWebhookTests().secrets,
            deliveries: [twilio(TwilioWebhookTests.incoming), twilioStatus("sent"), twilioStatus("delivered")],
            expectedIDs: ["SM0123456789abcdef0123456789abcdef", "SM9f0e:sent", "SM9f0e:delivered"]),
        Case(
            name: "WeChat message, and three events of one user in one second", platform: .wechat,
            secrets: WeChatWebhookTests().plainSecrets,
            deliveries: [
                weChat(WeChatWebhookTests.text),
                weChat(WeChatWebhookTests().message("event", "<Event><![CDATA[subscribe]]></Event>", msgID: nil)),
                weChat(
                    WeChatWebhookTests().message(
                        "event", "<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[MENU_A]]></EventKey>", msgID: nil)),
                weChat(
                    WeChatWebhookTests().message(
                        "event", "<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[MENU_B]]></EventKey>", msgID: nil)),
            ],
            expectedIDs: [
                "6349323426230210995", "ogdotwSc_MmEEsJs9-ABZ1QL_4r4:1790004010:subscribe",
                "ogdotwSc_MmEEsJs9-ABZ1QL_4r4:1790004010:CLICK:MENU_A",
                "ogdotwSc_MmEEsJs9-ABZ1QL_4r4:1790004010:CLICK:MENU_B",
            ]),
    ]

    // MARK: Tests

    @Test(arguments: cases)
    func aRedeliveryRepeatsItsIDs(row: Case) throws {
        let adapter = try #require(WebhookAdapters.adapter(for: row.platform))
        for delivery in row.deliveries {
            let first = try adapter.handle(delivery.original, anySecrets: row.secrets, now: TestSigning.now).events
            let retried = try adapter.handle(
                delivery.retry, anySecrets: row.secrets, now: TestSigning.now.addingTimeInterval(60)
            ).events
            #expect(!first.isEmpty)
            #expect(first.map(\.eventID) == retried.map(\.eventID))
        }
    }

    @Test(arguments: cases)
    func distinctEventsGetDistinctIDs(row: Case) throws {
        let adapter = try #require(WebhookAdapters.adapter(for: row.platform))
        var ids: [String] = []
        for delivery in row.deliveries {
            ids += try adapter.handle(delivery.original, anySecrets: row.secrets, now: TestSigning.now).events
                .map(\.eventID)
        }
        #expect(ids == row.expectedIDs)
        #expect(Set(ids).count == ids.count)
    }

    /// Every platform has at least one row.
    @Test func everyPlatformIsCovered() {
        #expect(Set(Self.cases.map(\.platform)) == Set(Platform.social))
    }
}
