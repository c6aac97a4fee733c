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

/// SendReply through the RPCs against PostgreSQL: what is stored, what the gateway stand-in
/// receives (once), what policy refuses and how, idempotency under concurrent retries, and a
/// gateway or policy-service that is down.
@Suite("conversation-service: SendReply and the delivery hand-off")
struct ReplyTests {
    @Test func anAllowedReplyIsStoredPendingAndHandedToTheGatewayOnce() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let message = try await ReplyFixtures.send(
                h, ReplyFixtures.text(conversationID, "  Votre commande part demain.\n", key: "reply-1"))
            #expect(message.direction == .outbound)
            #expect(message.deliveryState == .pending)
            #expect(message.text == "Votre commande part demain.")
            #expect(message.conversationID == conversationID)
            #expect(message.organizationID == ConversationHarness.organization)
            #expect(message.idempotencyKey == "reply-1")
            #expect(message.sendKind == .directMessage)
            #expect(message.agentID == "agent-1")
            #expect(message.author.platformUserID == "page-1")
            #expect(!message.automatic)
            let stored = try await ReplyFixtures.stored(h, message.id)
            #expect(stored.state == "pending")

            #expect(try await h.eventually { h.peers.deliveries.count == 1 })
            let delivery = try #require(h.peers.deliveries.first)
            #expect(delivery.organizationID == ConversationHarness.organization)
            #expect(delivery.messageID == message.id)
            #expect(delivery.conversationID == conversationID)
            #expect(delivery.idempotencyKey == "reply-1")
            #expect(delivery.channelID == "channel-fb")
            #expect(delivery.platform == .facebook)
            #expect(delivery.conversationKind == .directMessage)
            #expect(delivery.sendKind == .directMessage)
            #expect(delivery.recipientID == "customer-1")
            #expect(delivery.threadKey == "customer-1")
            #expect(delivery.text == "Votre commande part demain.")
            #expect(delivery.tag == .unspecified)
            #expect(!delivery.automatic)
            // The hand-off row is removed once the gateway took it: nothing can be handed over again.
            #expect(try await ReplyFixtures.outboxDrains(h))
            #expect(h.peers.deliveries.count == 1)
        }
    }

    @Test func tenConcurrentRetriesOfOneKeyStoreAndSendOneMessage() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let request = ReplyFixtures.text(conversationID, key: "retry-storm")
            let metadata = try await ConversationHarness.agent()
            let client = h.client
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await client.sendReply(request, metadata: metadata).id }
                }
                var ids: [String] = []
                for try await id in group { ids.append(id) }
                return ids
            }
            #expect(ids.count == 10)
            #expect(Set(ids).count == 1)
            let stored = try await ReplyFixtures.count(
                h, "SELECT count(*) FROM messages WHERE idempotency_key = 'retry-storm'")
            #expect(stored == 1)
            #expect(try await ReplyFixtures.conversationRow(h, conversationID).messageCount == 2)
            #expect(try await ReplyFixtures.outboxDrains(h))
            #expect(h.peers.deliveries.map(\.messageID) == [ids[0]])
        }
    }

    @Test func aKeyReusedForAnotherReplyIsRefusedAndTheFirstReplyStands() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let first = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, "Oui, demain.", key: "k-1"))
            let reused = await refusal {
                _ = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, "Non, lundi.", key: "k-1"))
            }
            #expect(reused?.code == .alreadyExists)
            #expect(reused?.reason == "IDEMPOTENCY_KEY_REUSED")
            #expect(reused?.field == "idempotency_key")
            let again = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, "Oui, demain.", key: "k-1"))
            #expect(again.id == first.id)
            #expect(again.text == "Oui, demain.")
            #expect(try await ReplyFixtures.outboundCount(h) == 1)
        }
    }

    @Test func badRequestsAreRefusedNamingTheFieldBeforePolicyIsAsked() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            func text(_ value: String = "Bonjour", key: String = "bad") -> Inbox_V1_SendReplyRequest {
                ReplyFixtures.text(conversationID, value, key: key)
            }
            var noContent = text()
            noContent.content = nil
            var unnamedTemplate = text()
            unnamedTemplate.template = .with { $0.languageCode = "fr" }
            var tooManyAttachments = text()
            tooManyAttachments.attachments = (0..<11).map { index in
                .with {
                    $0.type = .image
                    $0.url = "https://cdn.example.com/\(index).png"
                }
            }
            var badConversation = text()
            badConversation.conversationID = "nope"
            var unknownConversation = text()
            unknownConversation.conversationID = UUID().text
            var badReplyTo = text()
            badReplyTo.replyToMessageID = "nope"
            var unknownReplyTo = text()
            unknownReplyTo.replyToMessageID = UUID().text
            let cases: [(String, Inbox_V1_SendReplyRequest, RPCError.Code, String)] = [
                ("no key", text(key: ""), .invalidArgument, "idempotency_key"),
                ("a key with a space", text(key: "a b"), .invalidArgument, "idempotency_key"),
                (
                    "a key of 129 characters", text(key: String(repeating: "k", count: 129)), .invalidArgument,
                    "idempotency_key"
                ),
                ("neither text nor template", noContent, .invalidArgument, "text"),
                ("a blank text", text(" \n\t "), .invalidArgument, "text"),
                ("a text over Facebook's 2000", text(String(repeating: "a", count: 2001)), .invalidArgument, "text"),
                ("a template without a name", unnamedTemplate, .invalidArgument, "template.name"),
                ("11 attachments", tooManyAttachments, .invalidArgument, "attachments"),
                ("a malformed conversation id", badConversation, .invalidArgument, "conversation_id"),
                ("a malformed reply_to_message_id", badReplyTo, .invalidArgument, "reply_to_message_id"),
                ("an unknown conversation", unknownConversation, .notFound, ""),
                ("a reply_to_message_id of no message here", unknownReplyTo, .notFound, ""),
            ]
            for (name, request, code, field) in cases {
                let refused = await refusal { _ = try await ReplyFixtures.send(h, request) }
                #expect(refused?.code == code, "\(name)")
                #expect(refused?.field == field, "\(name)")
                if code == .notFound { #expect(refused?.reason == "RESOURCE_NOT_FOUND", "\(name)") }
            }
            #expect(try await ReplyFixtures.outboundCount(h) == 0)
            #expect(!h.peers.with { $0.policyCalls }.contains("CheckReply"))

            // The limit itself is allowed.
            let longest = try await ReplyFixtures.send(h, text(String(repeating: "a", count: 2000), key: "longest"))
            #expect(longest.text.count == 2000)
        }
    }

    @Test func aGatewayThatIsDownDelaysTheSendButNeverLosesIt() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            h.peers.with { $0.failDeliveries = 3 }
            let message = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, key: "while-down"))
            #expect(message.deliveryState == .pending)
            #expect(try await h.eventually { h.peers.deliveries.count == 1 })
            #expect(h.peers.with { $0.failDeliveries } == 0)
            #expect(h.peers.deliveries.first?.messageID == message.id)
            #expect(try await ReplyFixtures.outboxDrains(h))
            #expect(h.peers.deliveries.count == 1)
        }
    }

    @Test func policyServiceDownRefusesWithUnavailableAndStoresNothing() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let request = ReplyFixtures.text(conversationID, key: "policy-down")
            h.peers.with { $0.failPolicy = 1_000 }
            let refused = await refusal { _ = try await ReplyFixtures.send(h, request) }
            h.peers.with { $0.failPolicy = 0 }
            #expect(refused?.code == .unavailable)
            #expect(refused?.reason == "DEPENDENCY_UNAVAILABLE")
            #expect(try await ReplyFixtures.outboundCount(h) == 0)
            #expect(try await ReplyFixtures.outboxCount(h) == 0)
            // The client's retry with its key goes through once policy answers.
            let message = try await ReplyFixtures.send(h, request)
            #expect(message.deliveryState == .pending)
            #expect(message.idempotencyKey == "policy-down")
        }
    }

    @Test func afterTheMessengerWindowAHumanReplyNeedsTheHumanAgentTag() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let wrote = try await ReplyFixtures.customerWrote(h, conversationID, ago: 2 * 86_400)
            let error = try await #require(throws: RPCError.self) {
                _ = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, key: "late-1"))
            }
            #expect(error.code == .failedPrecondition)
            let (reason, detail) = try ReplyFixtures.refusal(error)
            #expect(reason == "REPLY_REFUSED")
            #expect(detail.reason == .humanAgentTagRequired)
            #expect(!detail.message.isEmpty)
            #expect(abs(detail.windowEndsAt.date.timeIntervalSince(wrote.addingTimeInterval(86_400))) < 0.001)
            #expect(
                abs(detail.humanAgentWindowEndsAt.date.timeIntervalSince(wrote.addingTimeInterval(7 * 86_400))) < 0.001)
            #expect(try await ReplyFixtures.outboundCount(h) == 0)

            // The agent confirms the tag: the same words go out tagged HUMAN_AGENT.
            var tagged = ReplyFixtures.text(conversationID, key: "late-2")
            tagged.allowHumanAgentTag = true
            let message = try await ReplyFixtures.send(h, tagged)
            #expect(message.deliveryState == .pending)
            #expect(try await h.eventually { h.peers.deliveries.count == 1 })
            #expect(h.peers.deliveries.first?.tag == .humanAgent)
            #expect(h.peers.deliveries.first?.messageID == message.id)
        }
    }

    @Test func sevenDaysAfterTheCustomerNoTagHelps() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let wrote = try await ReplyFixtures.customerWrote(h, conversationID, ago: 8 * 86_400)
            var tagged = ReplyFixtures.text(conversationID, key: "too-late")
            tagged.allowHumanAgentTag = true
            let error = try await #require(throws: RPCError.self) { _ = try await ReplyFixtures.send(h, tagged) }
            #expect(error.code == .failedPrecondition)
            let (reason, detail) = try ReplyFixtures.refusal(error)
            #expect(reason == "REPLY_REFUSED")
            #expect(detail.reason == .windowClosed)
            #expect(
                abs(detail.humanAgentWindowEndsAt.date.timeIntervalSince(wrote.addingTimeInterval(7 * 86_400))) < 0.001)
            #expect(try await ReplyFixtures.outboundCount(h) == 0)
            #expect(try await ReplyFixtures.outboxCount(h) == 0)
        }
    }

    @Test func outsideWhatsAppsWindowOnlyATemplateGoesOut() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(
                h, ConversationHarness.message("wa-1", channel: "channel-wa", platform: .whatsapp))
            _ = try await ReplyFixtures.customerWrote(h, conversationID, ago: 2 * 86_400)
            let error = try await #require(throws: RPCError.self) {
                _ = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, key: "wa-text"))
            }
            #expect(try ReplyFixtures.refusal(error).detail.reason == .templateRequired)

            var request = ReplyFixtures.text(conversationID, key: "wa-template")
            request.template = .with {
                $0.name = "order_update"
                $0.languageCode = "fr"
                $0.bodyParameters = ["4711"]
            }
            let message = try await ReplyFixtures.send(h, request)
            #expect(message.sendKind == .template)
            #expect(message.template.name == "order_update")
            #expect(message.text.isEmpty)
            #expect(try await h.eventually { h.peers.deliveries.count == 1 })
            let delivery = try #require(h.peers.deliveries.first)
            #expect(delivery.sendKind == .template)
            #expect(delivery.template.bodyParameters == ["4711"])
            #expect(delivery.platform == .whatsapp)
            #expect(delivery.channelID == "channel-wa")
        }
    }

    @Test func aCommentGetsAPublicReplyUnderItAndOnePrivateReply() async throws {
        try await ConversationHarness.with { h in
            var comment = ConversationHarness.message("comment-1", kind: .comment, threadKey: "post-1/comment-1")
            comment.parentPostID = "post-1"
            let conversationID = try await ReplyFixtures.conversation(h, comment)
            try await h.database.query(
                """
                UPDATE conversations SET comment_created_at = \(Date()), comment_platform_message_id = 'comment-1'
                WHERE id = \(try ReplyFixtures.uuid(conversationID))
                """,
                logger: ReplyFixtures.logger)

            let publicReply = try await ReplyFixtures.send(
                h, ReplyFixtures.text(conversationID, "Merci !", key: "pub-1"))
            #expect(publicReply.sendKind == .publicReply)
            var privateRequest = ReplyFixtures.text(conversationID, "Je vous écris en privé.", key: "priv-1")
            privateRequest.sendKind = .privateReply
            let privateReply = try await ReplyFixtures.send(h, privateRequest)
            #expect(privateReply.sendKind == .privateReply)
            #expect(try await ReplyFixtures.conversationRow(h, conversationID).privateRepliesSent == 1)

            #expect(try await h.eventually { h.peers.deliveries.count == 2 })
            let deliveries = Dictionary(
                h.peers.deliveries.map { ($0.messageID, $0) }, uniquingKeysWith: { first, _ in first })
            let underComment = try #require(deliveries[publicReply.id])
            #expect(underComment.replyToPlatformID == "comment-1")
            #expect(underComment.conversationKind == .comment)
            #expect(underComment.parentPostID == "post-1")
            #expect(deliveries[privateReply.id]?.sendKind == .privateReply)
            #expect(deliveries[privateReply.id]?.parentCommentID == "comment-1")

            // Meta allows one private reply per comment.
            privateRequest.idempotencyKey = "priv-2"
            let error = try await #require(throws: RPCError.self) {
                _ = try await ReplyFixtures.send(h, privateRequest)
            }
            #expect(try ReplyFixtures.refusal(error).detail.reason == .privateReplyAlreadySent)
        }
    }

    @Test func aTeamReplyAnswersTheCustomerAndCountsAsActivity() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            #expect(try await ReplyFixtures.conversationRow(h, conversationID).waitingSince != nil)
            let first = try await ReplyFixtures.send(h, ReplyFixtures.text(conversationID, "Je regarde.", key: "sla-1"))
            let answered = try await ReplyFixtures.conversationRow(h, conversationID)
            #expect(answered.waitingSince == nil)
            let firstResponse = try #require(answered.firstResponseAt)
            #expect(answered.lastTeamReplyAt != nil)
            #expect(answered.messageCount == 2)
            #expect(answered.lastMessageID == first.id)

            let second = try await ReplyFixtures.send(
                h, ReplyFixtures.text(conversationID, "C'est parti.", key: "sla-2"))
            let later = try await ReplyFixtures.conversationRow(h, conversationID)
            #expect(later.firstResponseAt == firstResponse)
            #expect(later.messageCount == 3)
            #expect(later.lastMessageID == second.id)

            #expect(
                try await h.eventually {
                    h.peers.activity.contains {
                        $0.kind == .teamReply && $0.organizationID == ConversationHarness.organization
                            && $0.agentID == "agent-1"
                    }
                })
            // Both replies fall in one 5-minute bucket: reported once (the second queued nothing).
            try await Task.sleep(for: .milliseconds(300))
            let reported = h.peers.activity.filter { $0.kind == .teamReply }.count
            #expect(reported == 1)
        }
    }

    @Test func anotherOrganisationCannotReplyInThisOne() async throws {
        try await ConversationHarness.with { h in
            let conversationID = try await ReplyFixtures.conversation(h)
            let request = ReplyFixtures.text(conversationID, key: "shared-key")
            let mine = try await ReplyFixtures.send(h, request)
            // The same request from organisation B: neither its conversation nor its key is B's.
            let refused = await refusal {
                _ = try await h.client.sendReply(request, metadata: ConversationHarness.agent("agent-b", "org-b"))
            }
            #expect(refused?.code == .notFound)
            #expect(refused?.reason == "RESOURCE_NOT_FOUND")
            var fresh = request
            fresh.idempotencyKey = "b-only"
            let again = await refusal {
                _ = try await h.client.sendReply(fresh, metadata: ConversationHarness.agent("agent-b", "org-b"))
            }
            #expect(again?.code == .notFound)
            #expect(try await ReplyFixtures.outboundCount(h) == 1)
            let inB = try await ReplyFixtures.count(h, "SELECT count(*) FROM messages WHERE organization_id = 'org-b'")
            #expect(inB == 0)
            #expect(try await h.eventually { h.peers.deliveries.count == 1 })
            #expect(h.peers.deliveries.map(\.messageID) == [mine.id])
        }
    }
}

/// What the reply and delivery-status suites share: a conversation to answer, requests, and
/// reads of the stored rows.
enum ReplyFixtures {
    static let logger = Logger(label: "reply-tests")

    /// The conversation one customer message creates (a Facebook DM unless `event` says otherwise).
    static func conversation(
        _ h: ConversationHarness, _ event: Inbox_V1_InboundEvent = ConversationHarness.message("m1")
    ) async throws -> String {
        let results = try await h.ingest([event])
        let id = try #require(results.first?.conversationID)
        try #require(!id.isEmpty, "IngestEvents created no conversation")
        return id
    }

    static func text(_ conversationID: String, _ text: String = "Votre commande part demain.", key: String)
        -> Inbox_V1_SendReplyRequest
    {
        .with {
            $0.conversationID = conversationID
            $0.idempotencyKey = key
            $0.text = text
        }
    }

    static func send(_ h: ConversationHarness, _ request: Inbox_V1_SendReplyRequest) async throws -> Inbox_V1_Message {
        try await h.client.sendReply(request, metadata: ConversationHarness.agent())
    }

    /// Moves the customer's latest message `age` seconds into the past (whole seconds); returns when.
    static func customerWrote(_ h: ConversationHarness, _ conversationID: String, ago age: TimeInterval)
        async throws -> Date
    {
        let at = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - age).rounded(.down))
        try await h.database.query(
            "UPDATE conversations SET last_customer_message_at = \(at) WHERE id = \(try self.uuid(conversationID))",
            logger: self.logger)
        return at
    }

    /// The ReplyRefusal of a refused SendReply, with the ErrorInfo reason.
    static func refusal(_ error: RPCError) throws -> (reason: String, detail: Inbox_V1_ReplyRefusal) {
        let status = try #require(try error.unpackGoogleRPCStatus())
        let info = try #require(status.details.first?.errorInfo)
        let any = try #require(status.details.dropFirst().first?.any)
        let detail = try Inbox_V1_ReplyRefusal(unpackingAny: any)
        return (info.reason, detail)
    }

    static func uuid(_ text: String) throws -> UUID { try #require(UUID(uuidString: text)) }

    static func count(_ h: ConversationHarness, _ query: PostgresQuery) async throws -> Int {
        let rows = try await h.database.query(query, logger: self.logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// Whether every delivery hand-off is done (or refused) within the harness's patience.
    static func outboxDrains(_ h: ConversationHarness) async throws -> Bool {
        try await h.eventually { try await self.outboxCount(h) == 0 }
    }

    static func outboxCount(_ h: ConversationHarness) async throws -> Int {
        try await self.count(h, "SELECT count(*) FROM delivery_outbox")
    }

    static func outboundCount(_ h: ConversationHarness) async throws -> Int {
        try await self.count(h, "SELECT count(*) FROM messages WHERE direction = 'outbound'")
    }

    struct ConversationRow {
        var waitingSince: Date?
        var firstResponseAt: Date?
        var lastTeamReplyAt: Date?
        var messageCount: Int
        var lastMessageID: String?
        var privateRepliesSent: Int
    }

    static func conversationRow(_ h: ConversationHarness, _ id: String) async throws -> ConversationRow {
        let rows = try await h.database.query(
            """
            SELECT waiting_since, first_response_at, last_team_reply_at, message_count, last_message_id,
                private_replies_sent
            FROM conversations WHERE id = \(try self.uuid(id))
            """,
            logger: self.logger)
        for try await row in rows.decode((Date?, Date?, Date?, Int, UUID?, Int).self) {
            return ConversationRow(
                waitingSince: row.0, firstResponseAt: row.1, lastTeamReplyAt: row.2, messageCount: row.3,
                lastMessageID: row.4?.uuidString.lowercased(), privateRepliesSent: row.5)
        }
        throw TestDatabaseError("conversation \(id) is not stored")
    }

    struct MessageRow {
        var state: String?
        var platformMessageID: String?
        var failureReason: String?
        var failureDetail: String?
        var deliveryAt: Date?
    }

    static func stored(_ h: ConversationHarness, _ id: String) async throws -> MessageRow {
        let rows = try await h.database.query(
            """
            SELECT delivery_state, platform_message_id, failure_reason, failure_detail, delivery_at
            FROM messages WHERE id = \(try self.uuid(id))
            """,
            logger: self.logger)
        for try await row in rows.decode((String?, String?, String?, String?, Date?).self) {
            return MessageRow(
                state: row.0, platformMessageID: row.1, failureReason: row.2, failureDetail: row.3, deliveryAt: row.4)
        }
        throw TestDatabaseError("message \(id) is not stored")
    }
}
