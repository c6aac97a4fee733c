import InboxAPI

/// One number of the summary: what the demo sent, what the inbox or the gateway reports, and
/// whether they agree (with the detail that says where they do not).
struct DemoCheck: Sendable {
    var name: String
    var sent: Int
    var reported: Int
    var ok: Bool
    var note: String
}

/// The summary's numbers, each computed from what was sent (the plan and the replies' outcomes)
/// and from what the services report (``InboxReport``), never one from the other.
enum DemoVerdict {
    static func checks(traffic: DemoTraffic, replies: [SentReply], report: InboxReport, fakesBefore: FakeRequestTally)
        -> [DemoCheck]
    {
        let messages = report.allMessages
        let inbound = messages.filter { $0.direction == .inbound }
        let outbound = messages.filter { $0.direction == .outbound }
        var checks: [DemoCheck] = []

        // Conversations, by platform and kind.
        var listed: [ConversationShape: Int] = [:]
        for conversation in report.conversations {
            guard let platform = DemoPlatform(proto: conversation.platform) else { continue }
            listed[ConversationShape(platform: platform, kind: conversation.kind), default: 0] += 1
        }
        let expected = traffic.expectedConversations
        let shapes = Set(expected.keys).union(listed.keys).sorted()
        let wrongShapes = shapes.filter { expected[$0, default: 0] != listed[$0, default: 0] }.map {
            "\($0.platform.title) \($0.kind.title): sent \(expected[$0, default: 0]), listed \(listed[$0, default: 0])"
        }
        checks.append(
            DemoCheck(
                name: "conversations", sent: traffic.expectedConversationCount, reported: report.conversations.count,
                ok: wrongShapes.isEmpty && traffic.expectedConversationCount == report.conversations.count,
                note: wrongShapes.isEmpty ? "every platform and kind as sent" : wrongShapes.joined(separator: "; ")))
        checks.append(
            Self.count(
                "customer messages", sent: traffic.total(\.customerMessages), reported: inbound.count,
                note: "edits and deletions change a message, re-deliveries add none"))

        // The gateway's inbound log, per channel.
        let followed = { (platform: DemoPlatform) in
            replies.filter { $0.plan.platform == platform && $0.followed }.count
        }
        checks.append(
            Self.perPlatform(
                "events accepted", report: report, value: \.acceptedEvents,
                expected: { traffic.total(\.newEvents, on: $0) + followed($0) },
                note: "webhooks, visitor messages, and the status, echo and receipt after the replies"))
        checks.append(
            Self.perPlatform(
                "duplicates absorbed", report: report, value: \.duplicateEvents,
                expected: { traffic.total(\.repeated, on: $0) }, note: "exact re-deliveries: answered 200, stored once")
        )
        var hidden = Self.perPlatform(
            "hidden by platform rule", report: report, value: \.hiddenEvents,
            expected: { traffic.total(\.hidden, on: $0) }, note: "")
        let hiddenMessages = inbound.filter(\.hiddenByPlatformRule).count
        hidden.ok = hidden.ok && report.hiddenInbound == hidden.sent && hiddenMessages == hidden.sent
        hidden.note =
            "gateway: \(report.hiddenInbound) in the inbound log; inbox: \(hiddenMessages) placeholders without content"
            + (hidden.note.isEmpty ? "" : "; " + hidden.note)
        checks.append(hidden)
        checks.append(
            Self.count(
                "edits", sent: traffic.total(\.edits), reported: inbound.filter(\.edited).count,
                note: "the earlier text kept in the message's history"))
        checks.append(
            Self.count(
                "deletions", sent: traffic.total(\.deletions), reported: inbound.filter(\.deleted).count,
                note: "the message kept, marked deleted"))

        // Replies.
        let accepted = replies.filter { $0.message != nil }
        let echoes = replies.filter { $0.plan.follow == .messengerEcho && $0.followed }
        let echoConversations = Set(echoes.map(\.conversation.id))
        let echoedOutbound = outbound.filter { echoConversations.contains($0.conversationID) }.count
        var echo = Self.count(
            "echoes reconciled", sent: echoes.count, reported: report.inboundStates[.echo, default: 0],
            note: "gateway state ECHO; the conversation kept \(echoedOutbound) outbound message(s)")
        echo.ok = echo.ok && echoedOutbound == echoes.count
        checks.append(echo)

        let sentStates: Set<Inbox_V1_DeliveryState> = [.sent, .delivered, .read]
        let sentMessages = outbound.filter { sentStates.contains($0.deliveryState) }.count
        let fakeEndpoints: [DemoPlatform: (String, String)] = [
            .whatsapp: ("whatsapp", "POST messages"), .facebook: ("facebook", "POST messages"),
            .telegram: ("telegram", "POST sendMessage"),
        ]
        var fakeSends = 0
        var expectedFakeSends = 0
        for (platform, (fake, endpoint)) in fakeEndpoints {
            fakeSends += report.fakeRequests.requests(fake, endpoint) - fakesBefore.requests(fake, endpoint)
            expectedFakeSends += accepted.filter { $0.plan.platform == platform }.count
        }
        let webChatReplies = accepted.filter { $0.plan.platform == .webChat }.count
        let gatewaySent = report.counterTotal(\.sentDeliveries)
        checks.append(
            DemoCheck(
                name: "replies sent", sent: accepted.count, reported: sentMessages,
                ok: sentMessages == accepted.count && gatewaySent == accepted.count && fakeSends == expectedFakeSends
                    && report.transcriptReplies == webChatReplies,
                note: "gateway deliveries \(gatewaySent); the fakes received \(fakeSends) sends, the web chat "
                    + "transcript \(report.transcriptReplies)"))
        let confirmed = replies.filter {
            ($0.plan.follow == .whatsAppDelivered || $0.plan.follow == .webChatReceipt) && $0.followed
        }
        checks.append(
            Self.count(
                "delivered", sent: confirmed.count,
                reported: outbound.filter { $0.deliveryState == .delivered || $0.deliveryState == .read }.count,
                note: "from the WhatsApp status webhook and the widget's receipt"))

        let refused = replies.filter { $0.refusal != nil }
        let refusedAsPlanned = replies.allSatisfy { ($0.refusal != nil) == $0.plan.refused }
        let refusedConversations = Set(refused.map(\.conversation.id))
        let storedForRefused = outbound.filter { refusedConversations.contains($0.conversationID) }.count
        checks.append(
            DemoCheck(
                name: "refused by policy", sent: replies.filter(\.plan.refused).count, reported: refused.count,
                ok: refusedAsPlanned && storedForRefused == 0,
                note: (refused.map { "\($0.plan.platform.title) \($0.refusal?.refusalReason ?? "")" }
                    + [storedForRefused == 0 ? "nothing stored or sent" : "\(storedForRefused) message(s) stored"])
                    .joined(separator: "; ")))

        let stuck =
            report.counterTotal(\.pendingEvents) + report.counterTotal(\.deadLetteredEvents)
            + report.counterTotal(\.unparsedEvents) + report.counterTotal(\.rejectedEvents)
            + report.counterTotal(\.heldEvents)
        let failed = report.counterTotal(\.failedDeliveries)
        checks.append(
            Self.count(
                "lost or stuck", sent: 0, reported: stuck + failed,
                note: "pending, dead-lettered, unparsed, rejected or held events, and failed deliveries"))
        return checks
    }

    private static func count(_ name: String, sent: Int, reported: Int, note: String) -> DemoCheck {
        DemoCheck(name: name, sent: sent, reported: reported, ok: sent == reported, note: note)
    }

    /// A health counter summed over the channels; it agrees only if every channel's does.
    private static func perPlatform(
        _ name: String, report: InboxReport, value: (Inbox_V1_ChannelHealth) -> Int64,
        expected: (DemoPlatform) -> Int, note: String
    ) -> DemoCheck {
        var sent = 0
        var reported = 0
        var wrong: [String] = []
        for platform in DemoPlatform.allCases {
            let want = expected(platform)
            let got = report.counter(platform, value)
            sent += want
            reported += got
            if want != got { wrong.append("\(platform.title) sent \(want), reported \(got)") }
        }
        return DemoCheck(
            name: name, sent: sent, reported: reported, ok: wrong.isEmpty,
            note: wrong.isEmpty ? note : wrong.joined(separator: "; "))
    }
}
