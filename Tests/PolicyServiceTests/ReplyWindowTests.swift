import Foundation
import GRPCCore
import InboxAPI
import SwiftProtobuf
import TestSupport
import Testing

@testable import PolicyService

/// Every platform's reply window at its boundary — 1 s inside, 1 s outside — through CheckReply.
@Suite("policy-service: reply windows to the second")
struct ReplyWindowTests {
    static let day: TimeInterval = 86_400
    static let hour: TimeInterval = 3600

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var platform: Inbox_V1_Platform
        var kind: Inbox_V1_MessageKind = .directMessage
        var sendKind: Inbox_V1_SendKind = .unspecified
        /// Seconds since the customer's last message (or the comment, for private replies).
        var elapsed: TimeInterval
        var human = true
        var template = false
        var privateRepliesSent: Int32 = 0
        var optedOut = false
        var channel: Inbox_V1_ChannelStatus = .active
        var decision: Inbox_V1_ReplyDecision
        var reason: Inbox_V1_ReplyRefusalReason = .unspecified
        /// Expected window end, seconds after the customer's message.
        var windowEnd: TimeInterval?
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        // Messenger and Instagram: 24 h; then the human-agent tag up to 7 days, for people only.
        Case(
            name: "messenger 24h-1s", platform: .facebook, elapsed: 24 * hour - 1, decision: .allowed,
            windowEnd: 24 * hour),
        Case(
            name: "messenger 24h+1s human", platform: .facebook, elapsed: 24 * hour + 1, decision: .needsHumanAgentTag,
            reason: .humanAgentTagRequired, windowEnd: 24 * hour),
        Case(
            name: "messenger 24h+1s automatic", platform: .facebook, elapsed: 24 * hour + 1, human: false,
            decision: .denied, reason: .tagNotAllowed, windowEnd: 24 * hour),
        Case(
            name: "messenger 7d-1s human", platform: .facebook, elapsed: 7 * day - 1, decision: .needsHumanAgentTag,
            reason: .humanAgentTagRequired),
        Case(
            name: "messenger 7d+1s human", platform: .facebook, elapsed: 7 * day + 1, decision: .denied,
            reason: .windowClosed),
        Case(
            name: "instagram 24h-1s", platform: .instagram, elapsed: 24 * hour - 1, decision: .allowed,
            windowEnd: 24 * hour),
        Case(
            name: "instagram 24h+1s human", platform: .instagram, elapsed: 24 * hour + 1, decision: .needsHumanAgentTag,
            reason: .humanAgentTagRequired),
        Case(
            name: "instagram 7d+1s", platform: .instagram, elapsed: 7 * day + 1, decision: .denied,
            reason: .windowClosed),
        // WhatsApp: 24 h customer service window, then templates only.
        Case(
            name: "whatsapp 24h-1s", platform: .whatsapp, elapsed: 24 * hour - 1, decision: .allowed,
            windowEnd: 24 * hour),
        Case(
            name: "whatsapp 24h+1s text", platform: .whatsapp, elapsed: 24 * hour + 1, decision: .needsTemplate,
            reason: .templateRequired, windowEnd: 24 * hour),
        Case(
            name: "whatsapp 24h+1s template", platform: .whatsapp, elapsed: 24 * hour + 1, template: true,
            decision: .allowed),
        Case(
            name: "template elsewhere", platform: .facebook, elapsed: 60, template: true, decision: .denied,
            reason: .unsupported),
        // WeChat: 48 h.
        Case(
            name: "wechat 48h-1s", platform: .wechat, elapsed: 48 * hour - 1, decision: .allowed, windowEnd: 48 * hour),
        Case(
            name: "wechat 48h+1s", platform: .wechat, elapsed: 48 * hour + 1, decision: .denied, reason: .windowClosed,
            windowEnd: 48 * hour),
        // No window.
        Case(name: "x a year later", platform: .x, elapsed: 365 * day, decision: .allowed),
        Case(name: "telegram a year later", platform: .telegram, elapsed: 365 * day, decision: .allowed),
        Case(name: "linkedin a year later", platform: .linkedin, elapsed: 365 * day, decision: .allowed),
        Case(
            name: "tiktok comment a year later", platform: .tiktok, kind: .comment, elapsed: 365 * day,
            decision: .allowed),
        Case(name: "web chat a year later", platform: .webChat, elapsed: 365 * day, decision: .allowed),
        Case(
            name: "facebook public comment reply", platform: .facebook, kind: .comment, elapsed: 365 * day,
            decision: .allowed),
        Case(
            name: "instagram dark post public reply", platform: .instagram, kind: .darkPostComment, elapsed: 30 * day,
            decision: .allowed),
        // One private reply per comment, within 7 days of the comment.
        Case(
            name: "private reply 7d-1s", platform: .facebook, kind: .comment, sendKind: .privateReply,
            elapsed: 7 * day - 1, decision: .allowed, windowEnd: 7 * day),
        Case(
            name: "private reply 7d+1s", platform: .facebook, kind: .comment, sendKind: .privateReply,
            elapsed: 7 * day + 1, decision: .denied, reason: .privateReplyWindowClosed, windowEnd: 7 * day),
        Case(
            name: "private reply budget used", platform: .instagram, kind: .comment, sendKind: .privateReply,
            elapsed: 60, privateRepliesSent: 1, decision: .denied, reason: .privateReplyAlreadySent),
        Case(
            name: "private reply on a visitor post", platform: .facebook, kind: .wallPost, sendKind: .privateReply,
            elapsed: 60, decision: .allowed),
        Case(
            name: "private reply on X", platform: .x, kind: .post, sendKind: .privateReply, elapsed: 60,
            decision: .denied, reason: .unsupported),
        // SMS: STOP blocks until START; no window otherwise.
        Case(
            name: "sms after STOP", platform: .twilioSms, elapsed: 60, optedOut: true, decision: .denied,
            reason: .optedOut),
        Case(name: "sms after START", platform: .twilioSms, elapsed: 365 * day, decision: .allowed),
        // The channel's state comes first.
        Case(
            name: "token invalid", platform: .telegram, elapsed: 60, channel: .tokenInvalid, decision: .denied,
            reason: .channelTokenInvalid),
        Case(
            name: "disconnected", platform: .whatsapp, elapsed: 60, channel: .disconnected, decision: .denied,
            reason: .channelDisconnected),
    ]

    @Test(arguments: Self.cases)
    func windowBoundaries(_ testCase: Case) async throws {
        try await PolicyHarness.with { harness in
            let customerAt = harness.clock.now
            harness.clock.advance(by: testCase.elapsed)
            let response = try await harness.client.checkReply(
                .with {
                    $0.platform = testCase.platform
                    $0.conversationKind = testCase.kind
                    $0.sendKind = testCase.sendKind
                    $0.humanAuthored = testCase.human
                    $0.lastCustomerMessageAt = Google_Protobuf_Timestamp(date: customerAt)
                    $0.commentCreatedAt = Google_Protobuf_Timestamp(date: customerAt)
                    $0.privateRepliesSent = testCase.privateRepliesSent
                    $0.contactOptedOut = testCase.optedOut
                    $0.channelStatus = testCase.channel
                    if testCase.template {
                        $0.template = .with {
                            $0.name = "order_update"
                            $0.languageCode = "en"
                        }
                    }
                }, metadata: try await PolicyHarness.metadata(.agent, "org-test"))
            #expect(response.decision == testCase.decision)
            #expect(response.reason == testCase.reason)
            #expect(!response.message.isEmpty)
            if let end = testCase.windowEnd {
                #expect(response.windowEndsAt.date == customerAt.addingTimeInterval(end))
            }
            if testCase.decision == .needsHumanAgentTag {
                #expect(response.requiredTag == .humanAgent)
                #expect(response.humanAgentWindowEndsAt.date == customerAt.addingTimeInterval(7 * Self.day))
            }
        }
    }

    @Test func badInputNamesTheField() async throws {
        try await PolicyHarness.with { harness in
            let agent = try await PolicyHarness.metadata(.agent, "org-test")
            let cases: [(Inbox_V1_CheckReplyRequest, String)] = [
                (.with { $0.conversationKind = .directMessage }, "platform"),
                (.with { $0.platform = .facebook }, "conversation_kind"),
                (
                    .with {
                        $0.platform = Inbox_V1_Platform(rawValue: 99)!
                        $0.conversationKind = .comment
                    }, "platform"
                ),
                (
                    .with {
                        $0.platform = .facebook
                        $0.conversationKind = .comment
                        $0.privateRepliesSent = -1
                    },
                    "private_replies_sent"
                ),
            ]
            for (request, field) in cases {
                let error = await refusal { _ = try await harness.client.checkReply(request, metadata: agent) }
                #expect(error?.code == .invalidArgument)
                #expect(error?.field == field)
            }
        }
    }
}
