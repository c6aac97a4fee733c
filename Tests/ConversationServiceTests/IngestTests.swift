import Foundation
import GRPCCore
import GRPCProtobuf
import InboxAPI
import InboxKit
import NIOCore
import PostgresNIO
import SwiftProtobuf
import TestSupport
import Testing

@testable import ConversationService

/// IngestEvents through the real RPC against PostgreSQL: every outcome, batches that mix good and
/// bad events, duplicates under concurrency, late events, echoes, reopening, opt-outs.
@Suite("conversation-service: ingesting events")
struct IngestTests {
    @Test func aNewMessageCreatesItsContactConversationAndMessage() async throws {
        try await ConversationHarness.with { h in
            let at = Date().addingTimeInterval(-60)
            let results = try await h.ingest([ConversationHarness.message("m1", text: "Bonjour, ma commande ?", at: at)]
            )
            #expect(results.count == 1)
            let result = try #require(results.first)
            #expect(result.eventID == "event-m1")
            #expect(result.outcome == .created)
            #expect(!result.hasError)

            let conversation = try await IngestStore.conversation(h, result.conversationID)
            #expect(try conversation["kind"].decode(String.self) == "direct_message")
            #expect(try conversation["platform"].decode(String.self) == "facebook")
            #expect(try conversation["thread_key"].decode(String.self) == "customer-1")
            #expect(try conversation["customer_platform_user_id"].decode(String?.self) == "customer-1")
            #expect(try conversation["account_platform_id"].decode(String.self) == "page-1")
            #expect(try conversation["status"].decode(String.self) == "open")
            #expect(try conversation["message_count"].decode(Int.self) == 1)
            #expect(try conversation["unread_count"].decode(Int.self) == 1)
            #expect(try conversation["preview"].decode(String.self) == "Bonjour, ma commande ?")
            #expect(try conversation["last_message_id"].decode(UUID?.self)?.text == result.messageID)
            #expect(IngestStore.near(try conversation["last_customer_message_at"].decode(Date?.self), at))
            #expect(IngestStore.near(try conversation["waiting_since"].decode(Date?.self), at))

            let contactID = try #require(try conversation["contact_id"].decode(UUID?.self))
            let contact = try #require(
                try await IngestStore.row(
                    h,
                    """
                    SELECT c.display_name, i.handle, c.search @@ plainto_tsquery('simple', 'customer') AS found
                    FROM contacts c JOIN contact_identities i ON i.organization_id = c.organization_id
                        AND i.contact_id = c.id
                    WHERE c.id = \(contactID)
                    """))
            #expect(try contact["display_name"].decode(String.self) == "Customer customer-1")
            #expect(try contact["handle"].decode(String.self) == "customer-1")
            #expect(try contact["found"].decode(Bool.self))

            let message = try await IngestStore.message(h, result.messageID)
            #expect(try message["direction"].decode(String.self) == "inbound")
            #expect(try message["body"].decode(String.self) == "Bonjour, ma commande ?")
            #expect(try message["event_id"].decode(String?.self) == "event-m1")
            #expect(IngestStore.near(try message["platform_time"].decode(Date.self), at))
            #expect(try await IngestStore.changeTypes(h) == ["conversation_created", "message_created"])

            let next = try await h.ingest([ConversationHarness.message("m2", text: "Numéro 42", at: at + 5)])
            #expect(next.first?.outcome == .created)
            #expect(next.first?.conversationID == result.conversationID)
            let after = try await IngestStore.conversation(h, result.conversationID)
            #expect(try after["message_count"].decode(Int.self) == 2)
            #expect(try after["unread_count"].decode(Int.self) == 2)
            #expect(try after["preview"].decode(String.self) == "Numéro 42")
        }
    }

    @Test func theSameMessageAgainIsADuplicateThatChangesNothing() async throws {
        try await ConversationHarness.with { h in
            let first = try #require(try await h.ingest([ConversationHarness.message("m1")]).first)
            let before = try await IngestStore.conversation(h, first.conversationID)
            let changes = try await IngestStore.count(h, "SELECT count(*) FROM changes")

            var again = ConversationHarness.message("m1", text: "un autre texte")
            again.author.displayName = "Someone Else"
            let second = try #require(try await h.ingest([again]).first)
            #expect(second.outcome == .duplicate)
            #expect(second.conversationID == first.conversationID)
            #expect(second.messageID == first.messageID)

            let after = try await IngestStore.conversation(h, first.conversationID)
            #expect(try after["updated_at"].decode(Date.self) == before["updated_at"].decode(Date.self))
            #expect(try after["message_count"].decode(Int.self) == 1)
            #expect(try after["unread_count"].decode(Int.self) == 1)
            let message = try await IngestStore.message(h, first.messageID)
            #expect(try message["body"].decode(String.self) == "Bonjour, ma commande ?")
            #expect(try await IngestStore.count(h, "SELECT count(*) FROM messages") == 1)
            #expect(
                try await IngestStore.count(h, "SELECT count(*) FROM contacts WHERE display_name = 'Someone Else'")
                    == 0)
            #expect(try await IngestStore.count(h, "SELECT count(*) FROM changes") == changes)
        }
    }

    @Test func aHiddenEventIsStoredAsAPlaceholderWithoutItsContent() async throws {
        try await ConversationHarness.with { h in
            let at = Date().addingTimeInterval(-30)
            let text = "regardez cette vidéo secrète"
            var comment = ConversationHarness.message(
                "comment-1", text: text, at: at, kind: .comment, threadKey: "post-1:comment-1")
            comment.parentPostID = "post-1"
            comment.attachments = [
                .with {
                    $0.type = .video
                    $0.url = "https://video.example/clip.mp4"
                }
            ]
            comment.flags.hiddenByPlatformRule = true
            comment.flags.hiddenReason = .videoAttachment
            let result = try #require(try await h.ingest([comment]).first)
            #expect(result.outcome == .hidden)

            let message = try await IngestStore.message(h, result.messageID)
            #expect(try message["body"].decode(String.self) == "")
            #expect(try message["attachments_text"].decode(String.self) == "[]")
            #expect(try message["hidden_reason"].decode(String?.self) == "video_attachment")
            let conversation = try await IngestStore.conversation(h, result.conversationID)
            #expect(try conversation["hidden_count"].decode(Int.self) == 1)
            #expect(try conversation["message_count"].decode(Int.self) == 1)
            #expect(try conversation["preview"].decode(String.self) == "")
            #expect(try conversation["kind"].decode(String.self) == "comment")
            #expect(try conversation["parent_post_id"].decode(String?.self) == "post-1")
            #expect(try conversation["comment_platform_message_id"].decode(String?.self) == "comment-1")
            #expect(IngestStore.near(try conversation["comment_created_at"].decode(Date?.self), at))
            #expect(
                try await IngestStore.count(
                    h,
                    """
                    SELECT count(*) FROM messages
                    WHERE body LIKE '%secrète%' OR attachments::text LIKE '%video.example%'
                    """) == 0)
        }
    }

    @Test func editsAndDeletionsKeepTheEarlierTextInTheHistory() async throws {
        try await ConversationHarness.with { h in
            let at = Date().addingTimeInterval(-600)
            let created = try #require(
                try await h.ingest([ConversationHarness.message("m1", text: "Bonjour", at: at)]).first)
            let edit = IngestStore.revision(.messageEdited, of: "m1", text: "Bonjour, commande 42", at: at + 60)
            #expect(try await h.ingest([edit]).first?.outcome == .updated)
            var message = try await IngestStore.message(h, created.messageID)
            #expect(try message["body"].decode(String.self) == "Bonjour, commande 42")
            #expect(try message["edited"].decode(Bool.self))
            #expect(try await IngestStore.history(h, created.messageID) == [.init("Bonjour", "edited")])
            let conversation = try await IngestStore.conversation(h, created.conversationID)
            #expect(try conversation["preview"].decode(String.self) == "Bonjour, commande 42")

            // An older edit arriving late only joins the history; its repeat changes nothing.
            let late = IngestStore.revision(.messageEdited, of: "m1", text: "Bonjour ?", at: at + 30)
            #expect(try await h.ingest([late]).first?.outcome == .updated)
            #expect(try await h.ingest([late]).first?.outcome == .duplicate)
            message = try await IngestStore.message(h, created.messageID)
            #expect(try message["body"].decode(String.self) == "Bonjour, commande 42")
            #expect(
                try await IngestStore.history(h, created.messageID) == [
                    .init("Bonjour", "edited"), .init("Bonjour ?", "edited"),
                ])

            let deletion = IngestStore.revision(.messageDeleted, of: "m1", at: at + 120)
            let deleted = try #require(try await h.ingest([deletion]).first)
            #expect(deleted.outcome == .updated)
            #expect(deleted.messageID == created.messageID)
            message = try await IngestStore.message(h, created.messageID)
            #expect(try message["deleted"].decode(Bool.self))
            #expect(try message["body"].decode(String.self) == "")
            #expect(
                try await IngestStore.history(h, created.messageID) == [
                    .init("Bonjour", "edited"), .init("Bonjour ?", "edited"), .init("Bonjour, commande 42", "deleted"),
                ])
            let emptied = try await IngestStore.conversation(h, created.conversationID)
            #expect(try emptied["preview"].decode(String.self) == "")
            #expect(try await h.ingest([deletion]).first?.outcome == .duplicate)
        }
    }

    @Test func anEditOrDeletionOfAnUnseenMessageIsStoredAndTheOriginalIsThenADuplicate() async throws {
        try await ConversationHarness.with { h in
            let at = Date().addingTimeInterval(-120)
            let edit = IngestStore.revision(.messageEdited, of: "m9", text: "version 2", at: at)
            let created = try #require(try await h.ingest([edit]).first)
            #expect(created.outcome == .created)
            var message = try await IngestStore.message(h, created.messageID)
            #expect(try message["body"].decode(String.self) == "version 2")
            #expect(try message["edited"].decode(Bool.self))

            let original = try #require(
                try await h.ingest([ConversationHarness.message("m9", text: "version 1", at: at - 60)]).first)
            #expect(original.outcome == .duplicate)
            #expect(original.messageID == created.messageID)
            message = try await IngestStore.message(h, created.messageID)
            #expect(try message["body"].decode(String.self) == "version 2")

            let deletion = IngestStore.revision(.messageDeleted, of: "m10", at: at)
            let placeholder = try #require(try await h.ingest([deletion]).first)
            #expect(placeholder.outcome == .created)
            message = try await IngestStore.message(h, placeholder.messageID)
            #expect(try message["deleted"].decode(Bool.self))
            #expect(try message["body"].decode(String.self) == "")
        }
    }

    @Test func anInvalidEventFailsAloneWhileTheOthersOfTheBatchApply() async throws {
        try await ConversationHarness.with { h in
            var noThread = ConversationHarness.message("m2")
            noThread.threadKey = ""
            var noPlatform = ConversationHarness.message("m3")
            noPlatform.platform = .unspecified
            var noTime = ConversationHarness.message("m4")
            noTime.clearOccurredAt()
            var noType = ConversationHarness.message("m5")
            noType.type = .unspecified
            var noMessageID = ConversationHarness.message("m6")
            noMessageID.platformMessageID = ""
            let results = try await h.ingest([
                ConversationHarness.message("m1"), noThread, noPlatform, noTime, noType, noMessageID,
                ConversationHarness.message("m7", from: "customer-2"),
            ])
            #expect(results.map(\.outcome) == [.created, .failed, .failed, .failed, .failed, .failed, .created])
            #expect(results.map(\.eventID) == (1...7).map { "event-m\($0)" })
            let fields = ["thread_key", "platform", "occurred_at", "type", "platform_message_id"]
            for (result, field) in zip(results[1...5], fields) {
                #expect(result.error.code == Int32(RPCError.Code.invalidArgument.rawValue))
                #expect(result.error.message.contains(field))
                #expect(!result.retryable)
                let info = try IngestStore.errorInfo(result.error)
                #expect(info?.reason == "FIELD_INVALID")
                #expect(info?.metadata["field"] == field)
            }
            #expect(try await IngestStore.count(h, "SELECT count(*) FROM messages") == 2)
        }
    }

    @Test func theSameBatchSentTwiceAtOnceStoresEachMessageOnce() async throws {
        try await ConversationHarness.with { h in
            let at = Date().addingTimeInterval(-300)
            let batch = (0..<10).flatMap { n in
                [
                    ConversationHarness.message("a\(n)", from: "c\(n)", text: "premier \(n)", at: at),
                    ConversationHarness.message("b\(n)", from: "c\(n)", text: "second \(n)", at: at + 1),
                ]
            }
            async let first = h.ingest(batch)
            async let second = h.ingest(batch)
            let (one, two) = try await (first, second)
            #expect(one.count == batch.count)
            #expect(two.count == batch.count)
            for (a, b) in zip(one, two) {
                #expect(Set([a.outcome, b.outcome]) == [.created, .duplicate])
                #expect(a.messageID == b.messageID)
                #expect(a.conversationID == b.conversationID)
            }
            #expect(try await IngestStore.count(h, "SELECT count(*) FROM messages") == 20)
            #expect(try await IngestStore.count(h, "SELECT count(*) FROM conversations WHERE message_count = 2") == 10)
            #expect(try await IngestStore.count(h, "SELECT count(*) FROM conversations") == 10)
            #expect(try await IngestStore.count(h, "SELECT count(*) FROM contact_identities") == 10)
            #expect(try await IngestStore.count(h, "SELECT count(*) FROM contacts") == 10)
        }
    }

    @Test func lateMessagesLandInPlatformTimeOrderAndNeverMoveTheConversationBack() async throws {
        try await ConversationHarness.with { h in
            let now = Date()
            let newer = try #require(
                try await h.ingest([ConversationHarness.message("m2", text: "deuxième", at: now - 60)]).first)
            let older = try #require(
                try await h.ingest([ConversationHarness.message("m1", text: "premier", at: now - 3600)]).first)
            #expect(older.outcome == .created)
            #expect(older.conversationID == newer.conversationID)

            let conversation = try await IngestStore.conversation(h, newer.conversationID)
            #expect(IngestStore.near(try conversation["last_customer_message_at"].decode(Date?.self), now - 60))
            #expect(IngestStore.near(try conversation["last_message_at"].decode(Date.self), now - 60))
            #expect(try conversation["preview"].decode(String.self) == "deuxième")
            #expect(try conversation["last_message_id"].decode(UUID?.self)?.text == newer.messageID)
            #expect(try conversation["message_count"].decode(Int.self) == 2)
            // The customer has waited since their first unanswered message.
            #expect(IngestStore.near(try conversation["waiting_since"].decode(Date?.self), now - 3600))
            #expect(try await IngestStore.bodies(h, newer.conversationID) == ["premier", "deuxième"])
        }
    }

    @Test func anEchoReconcilesWithOurMessageAndIsNeverACustomerMessage() async throws {
        try await ConversationHarness.with { h in
            let now = Date()
            let customer = try #require(try await h.ingest([ConversationHarness.message("m1", at: now - 120)]).first)
            let ours = UUID()
            try await h.database.query(
                """
                INSERT INTO messages (organization_id, id, conversation_id, channel_id, direction, platform_message_id,
                    body, platform_time, delivery_state, idempotency_key)
                VALUES (\(ConversationHarness.organization), \(ours), \(customer.conversationID)::uuid, 'channel-fb',
                    'outbound', 'out-1', 'Nous regardons.', \(now - 60), 'pending', 'reply-1')
                """)

            let echo = IngestStore.echo("out-1", text: "Nous regardons.", at: now - 60)
            let reconciled = try #require(try await h.ingest([echo]).first)
            #expect(reconciled.outcome == .updated)
            #expect(reconciled.messageID == ours.text)
            #expect(try await IngestStore.message(h, ours.text)["delivery_state"].decode(String?.self) == "sent")
            #expect(try await h.ingest([echo]).first?.outcome == .duplicate)

            let outside = IngestStore.echo("out-2", text: "Réponse depuis Facebook", at: now - 10)
            let stored = try #require(try await h.ingest([outside]).first)
            #expect(stored.outcome == .created)
            #expect(stored.conversationID == customer.conversationID)
            let message = try await IngestStore.message(h, stored.messageID)
            #expect(try message["direction"].decode(String.self) == "outbound")
            #expect(try message["origin"].decode(String.self) == "echo")
            #expect(try message["delivery_state"].decode(String?.self) == "sent")
            #expect(try message["body"].decode(String.self) == "Réponse depuis Facebook")

            let conversation = try await IngestStore.conversation(h, customer.conversationID)
            #expect(try conversation["unread_count"].decode(Int.self) == 1)
            #expect(try conversation["waiting_since"].decode(Date?.self) == nil)
            #expect(IngestStore.near(try conversation["last_team_reply_at"].decode(Date?.self), now - 10))
            #expect(IngestStore.near(try conversation["first_response_at"].decode(Date?.self), now - 10))
            #expect(IngestStore.near(try conversation["last_customer_message_at"].decode(Date?.self), now - 120))
            #expect(
                try await IngestStore.count(
                    h, "SELECT count(*) FROM contact_identities WHERE platform_user_id = 'page-1'")
                    == 0)
        }
    }

    @Test func aCustomerMessageReopensAResolvedConversationAndWakesASnoozedOne() async throws {
        try await ConversationHarness.with { h in
            let first = try #require(try await h.ingest([ConversationHarness.message("m1")]).first)
            try await h.database.query(
                "UPDATE conversations SET status = 'resolved' WHERE id = \(first.conversationID)::uuid")
            let reopened = try #require(try await h.ingest([ConversationHarness.message("m2")]).first)
            #expect(reopened.conversationID == first.conversationID)
            var conversation = try await IngestStore.conversation(h, first.conversationID)
            #expect(try conversation["status"].decode(String.self) == "open")
            #expect(try conversation["reopen_count"].decode(Int.self) == 1)

            try await h.database.query(
                """
                UPDATE conversations SET status = 'pending', snoozed_until = now() + interval '1 day'
                WHERE id = \(first.conversationID)::uuid
                """)
            _ = try await h.ingest([ConversationHarness.message("m3")])
            conversation = try await IngestStore.conversation(h, first.conversationID)
            #expect(try conversation["status"].decode(String.self) == "open")
            #expect(try conversation["snoozed_until"].decode(Date?.self) == nil)
            #expect(try conversation["reopen_count"].decode(Int.self) == 1)
        }
    }

    @Test func optingOutChangesTheCustomersReplyCapability() async throws {
        try await ConversationHarness.with { h in
            let phone = "+33611111111"
            let sms = ConversationHarness.message("sms-1", from: phone, channel: "channel-sms", platform: .twilioSms)
            let conversationID = try #require(try await h.ingest([sms]).first).conversationID

            let stop = IngestStore.optOut(phone, true)
            let stopped = try #require(try await h.ingest([stop]).first)
            #expect(stopped.outcome == .updated)
            #expect(stopped.conversationID == conversationID)
            let identity = try #require(
                try await IngestStore.row(
                    h, "SELECT opted_out, opted_out_at FROM contact_identities WHERE platform_user_id = \(phone)"))
            #expect(try identity["opted_out"].decode(Bool.self))
            #expect(try identity["opted_out_at"].decode(Date?.self) != nil)
            let snapshot = try #require(try await IngestStore.latestSnapshot(h, conversationID))
            #expect(snapshot.replyCapability.optedOut)
            #expect(snapshot.replyCapability.decision == .denied)
            #expect(try await h.ingest([stop]).first?.outcome == .duplicate)

            let start = try #require(try await h.ingest([IngestStore.optOut(phone, false)]).first)
            #expect(start.outcome == .updated)
            let resumed = try #require(try await IngestStore.latestSnapshot(h, conversationID))
            #expect(!resumed.replyCapability.optedOut)
            #expect(resumed.replyCapability.decision == .allowed)
        }
    }

    @Test func aContactActionOpensTheReplyWindowWithoutAMessage() async throws {
        try await ConversationHarness.with { h in
            let at = Date().addingTimeInterval(-300)
            let action = { (time: Date) in
                var event = ConversationHarness.message(
                    "", from: "wx-user", text: "", at: time, channel: "channel-wechat", platform: .wechat)
                event.type = .contactAction
                return event
            }
            let created = try #require(try await h.ingest([action(at)]).first)
            #expect(created.outcome == .created)
            #expect(created.messageID.isEmpty)
            var conversation = try await IngestStore.conversation(h, created.conversationID)
            #expect(try conversation["message_count"].decode(Int.self) == 0)
            #expect(try conversation["customer_platform_user_id"].decode(String?.self) == "wx-user")
            #expect(try conversation["contact_id"].decode(UUID?.self) != nil)
            #expect(IngestStore.near(try conversation["last_customer_message_at"].decode(Date?.self), at))

            #expect(try await h.ingest([action(at + 60)]).first?.outcome == .updated)
            #expect(try await h.ingest([action(at - 600)]).first?.outcome == .updated)
            conversation = try await IngestStore.conversation(h, created.conversationID)
            #expect(IngestStore.near(try conversation["last_customer_message_at"].decode(Date?.self), at + 60))
        }
    }

    @Test func reactionsAndVisibilityApplyToStoredMessagesAndWaitForUnknownOnes() async throws {
        try await ConversationHarness.with { h in
            let stored = try #require(try await h.ingest([ConversationHarness.message("m1")]).first)
            let react = { (target: String, removed: Bool) in
                var event = ConversationHarness.message(target)
                event.type = .reaction
                event.text = ""
                event.reaction = .with {
                    $0.reaction = "❤️"
                    $0.removed = removed
                }
                return event
            }
            let added = try #require(try await h.ingest([react("m1", false)]).first)
            #expect(added.outcome == .updated)
            #expect(added.messageID == stored.messageID)
            #expect(try await IngestStore.message(h, stored.messageID)["reaction"].decode(String?.self) == "❤️")
            #expect(try await h.ingest([react("m1", true)]).first?.outcome == .updated)
            #expect(try await IngestStore.message(h, stored.messageID)["reaction"].decode(String?.self) == nil)

            let unknown = try #require(try await h.ingest([react("m404", false)]).first)
            #expect(unknown.outcome == .failed)
            #expect(unknown.retryable)
            #expect(unknown.error.code == Int32(RPCError.Code.notFound.rawValue))

            let hide = { (target: String) in
                var event = ConversationHarness.message(target)
                event.type = .visibilityChanged
                event.visibilityChange = .with { $0.visibility = .hidden }
                return event
            }
            #expect(try await h.ingest([hide("m1")]).first?.outcome == .updated)
            #expect(try await IngestStore.message(h, stored.messageID)["visibility"].decode(String?.self) == "hidden")
            let missing = try #require(try await h.ingest([hide("m405")]).first)
            #expect(missing.outcome == .failed)
            #expect(missing.retryable)
        }
    }

    @Test func deliveryStatusesMoveOurMessageForwardOnly() async throws {
        try await ConversationHarness.with { h in
            let now = Date()
            let customer = try #require(try await h.ingest([ConversationHarness.message("m1", at: now - 120)]).first)
            let ours = UUID()
            try await h.database.query(
                """
                INSERT INTO messages (organization_id, id, conversation_id, channel_id, direction, platform_message_id,
                    body, platform_time, delivery_state, idempotency_key)
                VALUES (\(ConversationHarness.organization), \(ours), \(customer.conversationID)::uuid, 'channel-fb',
                    'outbound', 'out-7', 'Voici le suivi.', \(now - 60), 'pending', 'reply-7')
                """)
            let status = { (platformID: String) in
                var event = ConversationHarness.message("", at: now - 30)
                event.type = .deliveryStatus
                event.deliveryStatus = .with {
                    $0.platformMessageID = platformID
                    $0.state = .delivered
                }
                return event
            }
            let delivered = try #require(try await h.ingest([status("out-7")]).first)
            #expect(delivered.outcome == .updated)
            #expect(delivered.messageID == ours.text)
            #expect(try await IngestStore.message(h, ours.text)["delivery_state"].decode(String?.self) == "delivered")
            #expect(try await h.ingest([status("out-7")]).first?.outcome == .duplicate)
            let early = try #require(try await h.ingest([status("out-8")]).first)
            #expect(early.outcome == .failed)
            #expect(early.retryable)
        }
    }

    @Test func onlyAServiceMayIngest() async throws {
        try await ConversationHarness.with { h in
            let refused = await refusal {
                _ = try await h.client.ingestEvents(
                    .with { $0.events = [ConversationHarness.message("m1")] }, metadata: ConversationHarness.agent())
            }
            #expect(refused?.code == .permissionDenied)
            #expect(refused?.reason == "ROLE_NOT_ALLOWED")
            let stored = try await IngestStore.count(h, "SELECT count(*) FROM messages")
            #expect(stored == 0)
        }
    }

    @Test func organisationsNeverShareAThread() async throws {
        try await ConversationHarness.with { h in
            let results = try await h.ingest([
                ConversationHarness.message("m1"), ConversationHarness.message("m1", organization: "org-b"),
            ])
            #expect(results.map(\.outcome) == [.created, .created])
            #expect(results[0].conversationID != results[1].conversationID)
            #expect(results[0].messageID != results[1].messageID)
            #expect(try await IngestStore.count(h, "SELECT count(DISTINCT organization_id) FROM contacts") == 2)
        }
    }
}

/// Reads what ingest stored, straight from the tables, and builds the events the tests send.
private enum IngestStore {
    struct HistoryEntry: Equatable, CustomStringConvertible {
        var text: String
        var change: String

        init(_ text: String, _ change: String) {
            self.text = text
            self.change = change
        }

        var description: String { "\(self.change): \(self.text)" }
    }

    static func row(_ h: ConversationHarness, _ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        for try await row in try await h.database.query(query) { return row.makeRandomAccess() }
        return nil
    }

    static func count(_ h: ConversationHarness, _ query: PostgresQuery) async throws -> Int {
        for try await count in try await h.database.query(query).decode(Int.self) { return count }
        return 0
    }

    static func conversation(_ h: ConversationHarness, _ id: String) async throws -> PostgresRandomAccessRow {
        try #require(try await Self.row(h, "SELECT * FROM conversations WHERE id = \(id)::uuid"))
    }

    static func message(_ h: ConversationHarness, _ id: String) async throws -> PostgresRandomAccessRow {
        try #require(
            try await Self.row(
                h,
                """
                SELECT *, attachments::text AS attachments_text, reactions->>'customer-1' AS reaction
                FROM messages WHERE id = \(id)::uuid
                """))
    }

    static func history(_ h: ConversationHarness, _ id: String) async throws -> [HistoryEntry] {
        let rows = try await h.database.query(
            """
            SELECT e->>'text', e->>'change' FROM messages, jsonb_array_elements(history) WITH ORDINALITY AS x(e, n)
            WHERE id = \(id)::uuid ORDER BY n
            """)
        var entries: [HistoryEntry] = []
        for try await (text, change) in rows.decode((String, String).self) { entries.append(.init(text, change)) }
        return entries
    }

    /// The texts of a conversation's messages in platform-time order (ListMessages' oldest-first order).
    static func bodies(_ h: ConversationHarness, _ conversationID: String) async throws -> [String] {
        let rows = try await h.database.query(
            "SELECT body FROM messages WHERE conversation_id = \(conversationID)::uuid ORDER BY platform_time, id")
        var bodies: [String] = []
        for try await body in rows.decode(String.self) { bodies.append(body) }
        return bodies
    }

    static func changeTypes(_ h: ConversationHarness) async throws -> [String] {
        var types: [String] = []
        for try await type in try await h.database.query("SELECT type FROM changes ORDER BY seq").decode(String.self) {
            types.append(type)
        }
        return types
    }

    /// The conversation as the change log's latest entry about it shows it (what a watcher receives).
    static func latestSnapshot(_ h: ConversationHarness, _ conversationID: String) async throws
        -> Inbox_V1_Conversation?
    {
        let rows = try await h.database.query(
            """
            SELECT conversation FROM changes WHERE conversation_id = \(conversationID)::uuid
            ORDER BY seq DESC LIMIT 1
            """)
        for try await bytes in rows.decode(ByteBuffer.self) {
            return try Inbox_V1_Conversation(serializedBytes: Array(bytes.readableBytesView))
        }
        return nil
    }

    static func errorInfo(_ status: Google_Rpc_Status) throws -> ErrorDetails.ErrorInfo? {
        let bytes: [UInt8] = try status.serializedBytes()
        return try GoogleRPCStatus(serializedBytes: bytes).details.first?.errorInfo
    }

    static func near(_ date: Date?, _ expected: Date) -> Bool {
        guard let date else { return false }
        return abs(date.timeIntervalSince(expected)) < 0.001
    }

    /// An edit or deletion of a customer-1 message on Facebook.
    static func revision(_ type: Inbox_V1_EventType, of platformID: String, text: String = "", at time: Date)
        -> Inbox_V1_InboundEvent
    {
        var event = ConversationHarness.message(platformID, text: text, at: time)
        event.type = type
        event.id = "event-\(platformID)-\(type)-\(time.timeIntervalSince1970)"
        return event
    }

    /// Our page's own message in customer-1's thread, coming back from Facebook.
    static func echo(_ platformID: String, text: String, at time: Date) -> Inbox_V1_InboundEvent {
        var event = ConversationHarness.message(platformID, text: text, at: time)
        event.author = .with {
            $0.platformUserID = "page-1"
            $0.displayName = "Our page"
        }
        event.flags.isEcho = true
        return event
    }

    /// An SMS STOP (or START) from `phone`.
    static func optOut(_ phone: String, _ optedOut: Bool) -> Inbox_V1_InboundEvent {
        var event = ConversationHarness.message(
            "", from: phone, text: optedOut ? "STOP" : "START", channel: "channel-sms", platform: .twilioSms)
        event.id = "event-opt-\(optedOut)"
        event.type = .optOut
        event.optOut = .with {
            $0.optedOut = optedOut
            $0.keyword = optedOut ? "STOP" : "START"
        }
        return event
    }
}
