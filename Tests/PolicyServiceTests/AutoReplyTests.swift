import Foundation
import GRPCCore
import InboxAPI
import SwiftProtobuf
import TestSupport
import Testing

@testable import PolicyService

@Suite("policy-service: automatic replies")
struct AutoReplyTests {
    /// Monday to Friday 09:00–17:00, Paris time.
    static let officeHours = Inbox_V1_BusinessHours.with {
        $0.timeZone = "Europe/Paris"
        $0.windows = (1...5).map { day in
            .with {
                $0.weekday = Inbox_V1_Weekday(rawValue: day)!
                $0.start = "09:00"
                $0.end = "17:00"
            }
        }
    }

    static func utc(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    func rule(_ harness: PolicyHarness, _ organization: String, _ configure: (inout Inbox_V1_AutoReplyRule) -> Void)
        async throws -> Inbox_V1_AutoReplyRule
    {
        var rule = Inbox_V1_AutoReplyRule.with {
            $0.name = "rule"
            $0.replyText = "We will answer soon."
        }
        configure(&rule)
        return try await harness.client.createAutoReplyRule(
            .with { $0.rule = rule }, metadata: PolicyHarness.metadata(.admin, organization))
    }

    func evaluate(
        _ harness: PolicyHarness, _ organization: String, at date: Date, conversation: String = "c-1",
        _ configure: (inout Inbox_V1_AutoReplyCandidate) -> Void = { _ in }
    ) async throws -> Inbox_V1_AutoReplyDecision {
        harness.clock.set(date)
        var candidate = Inbox_V1_AutoReplyCandidate.with {
            $0.organizationID = organization
            $0.conversationID = conversation
            $0.platform = .facebook
            $0.conversationKind = .directMessage
            $0.text = "Bonjour"
            $0.eventType = .message
            $0.receivedAt = Google_Protobuf_Timestamp(date: date)
        }
        configure(&candidate)
        let response = try await harness.client.evaluateAutoReply(
            .with { $0.candidates = [candidate] }, metadata: PolicyHarness.metadata(.service))
        return try #require(response.decisions.first)
    }

    /// Paris moved from UTC+1 to UTC+2 on Sunday 28 March 2027: 07:30 UTC is 08:30 before the
    /// change and 09:30 after it.
    @Test func businessHoursFollowTheWallClockAcrossADSTChange() async throws {
        try await PolicyHarness.with { harness in
            let organization = try await harness.organization().id
            _ = try await self.rule(harness, organization) {
                $0.outsideBusinessHours = Self.officeHours
                $0.cooldown = .init(seconds: 0)
            }
            let cases: [(String, Bool)] = [
                ("2027-03-22T07:30:00Z", true),  // Monday 08:30 CET: closed
                ("2027-03-22T08:30:00Z", false),  // Monday 09:30 CET: open
                ("2027-03-29T06:30:00Z", true),  // Monday 08:30 CEST: closed
                ("2027-03-29T07:30:00Z", false),  // Monday 09:30 CEST: open
                ("2027-03-29T15:01:00Z", true),  // Monday 17:01 CEST: closed
                ("2027-03-27T12:00:00Z", true),  // Saturday: closed
            ]
            for (index, (instant, replies)) in cases.enumerated() {
                let decision = try await self.evaluate(
                    harness, organization, at: Self.utc(instant), conversation: "c-\(index)")
                #expect(decision.reply == replies, "\(instant): \(decision.reason)")
            }
        }
    }

    @Test func aWindowAcrossMidnightCoversTheNextMorning() async throws {
        try await PolicyHarness.with { harness in
            let organization = try await harness.organization().id
            _ = try await self.rule(harness, organization) {
                $0.outsideBusinessHours = .with {
                    $0.timeZone = "UTC"
                    $0.windows = [
                        .with {
                            $0.weekday = .friday
                            $0.start = "22:00"
                            $0.end = "02:00"
                        }
                    ]
                }
            }
            // Saturday 01:00 UTC is inside Friday's night window: no automatic reply.
            #expect(
                try await self.evaluate(harness, organization, at: Self.utc("2027-04-03T01:00:00Z"), conversation: "a")
                    .reply == false)
            #expect(
                try await self.evaluate(harness, organization, at: Self.utc("2027-04-03T02:00:00Z"), conversation: "b")
                    .reply == true)
        }
    }

    @Test func oneReplyPerCooldownAndNeverToEchoesOrNonMessages() async throws {
        try await PolicyHarness.with { harness in
            let organization = try await harness.organization().id
            _ = try await self.rule(harness, organization) {
                $0.noAgentOnline = .init()
                $0.cooldown = .init(seconds: 3600)
            }
            let start = Self.utc("2027-05-03T10:00:00Z")
            let none: (inout Inbox_V1_AutoReplyCandidate) -> Void = { $0.agentPresence = .noneOnline }
            #expect(try await self.evaluate(harness, organization, at: start, none).reply == true)
            // Policy remembers the reply even when the caller does not say it.
            #expect(
                try await self.evaluate(harness, organization, at: start.addingTimeInterval(3599), none).reply == false)
            #expect(
                try await self.evaluate(harness, organization, at: start.addingTimeInterval(3601), none).reply == true)
            // Unknown presence never fires "no agent online"; agents online neither.
            #expect(try await self.evaluate(harness, organization, at: start, conversation: "c-2").reply == false)
            #expect(
                try await self.evaluate(harness, organization, at: start, conversation: "c-3") {
                    $0.agentPresence = .someOnline
                }.reply == false)
            // Echoes, our own messages coming back, and anything but a new message: never.
            for configure in [
                { (c: inout Inbox_V1_AutoReplyCandidate) in
                    c.agentPresence = .noneOnline
                    c.isEcho = true
                },
                { (c: inout Inbox_V1_AutoReplyCandidate) in
                    c.agentPresence = .noneOnline
                    c.eventType = .messageDeleted
                },
                { (c: inout Inbox_V1_AutoReplyCandidate) in
                    c.agentPresence = .noneOnline
                    c.eventType = .deliveryStatus
                },
            ] {
                #expect(
                    try await self.evaluate(harness, organization, at: start, conversation: "c-4", configure).reply
                        == false)
            }
        }
    }

    /// Presence reported by assignment-service decides when the caller does not say.
    @Test func reportedPresenceDecidesWhenTheCallerDoesNotSay() async throws {
        try await PolicyHarness.with { harness in
            let organization = try await harness.organization().id
            _ = try await self.rule(harness, organization) {
                $0.noAgentOnline = .init()
                $0.cooldown = .init(seconds: 0)
            }
            let at = Self.utc("2027-05-03T10:00:00Z")
            let service = try await PolicyHarness.metadata(.service)
            func report(_ online: Int32, _ observed: String) async throws {
                _ = try await harness.client.recordAgentPresence(
                    .with {
                        $0.reports = [
                            .with {
                                $0.organizationID = organization
                                $0.agentsOnline = online
                                $0.observedAt = Google_Protobuf_Timestamp(date: Self.utc(observed))
                            }
                        ]
                    }, metadata: service)
            }
            #expect(try await self.evaluate(harness, organization, at: at, conversation: "a").reply == false)
            try await report(0, "2027-05-03T09:00:00Z")
            #expect(try await self.evaluate(harness, organization, at: at, conversation: "b").reply == true)
            try await report(3, "2027-05-03T09:30:00Z")
            #expect(try await self.evaluate(harness, organization, at: at, conversation: "c").reply == false)
            // An older report arriving late changes nothing.
            try await report(0, "2027-05-03T08:00:00Z")
            #expect(try await self.evaluate(harness, organization, at: at, conversation: "d").reply == false)
            let negative = await refusal { try await report(-1, "2027-05-03T10:00:00Z") }
            #expect(negative?.field == "reports[0].agents_online")
        }
    }

    @Test func keywordsMatchWithoutCaseOrAccentsAndPublicCommentsNeedTheirKind() async throws {
        try await PolicyHarness.with { harness in
            let organization = try await harness.organization().id
            let rule = try await self.rule(harness, organization) {
                $0.keywords = .with { $0.keywords = ["remboursement"] }
                $0.replyText = "Voici notre politique de remboursement."
            }
            let at = Self.utc("2027-05-03T10:00:00Z")
            let dm = try await self.evaluate(harness, organization, at: at, conversation: "dm") {
                $0.text = "Je veux un REMBOURSÉMENT svp"
            }
            #expect(dm.reply == true)
            #expect(dm.ruleID == rule.id)
            #expect(dm.text == "Voici notre politique de remboursement.")
            #expect(
                try await self.evaluate(harness, organization, at: at, conversation: "dm2") { $0.text = "merci" }.reply
                    == false)
            // A public comment is never answered unless the rule lists its kind.
            let comment: (inout Inbox_V1_AutoReplyCandidate) -> Void = {
                $0.text = "remboursement ?"
                $0.conversationKind = .comment
            }
            #expect(
                try await self.evaluate(harness, organization, at: at, conversation: "post-1", comment).reply == false)
            _ = try await harness.client.updateAutoReplyRule(
                .with {
                    $0.rule = .with {
                        $0.id = rule.id
                        $0.kinds = [.directMessage, .comment]
                    }
                    $0.updateMask = .with { $0.paths = ["kinds"] }
                }, metadata: PolicyHarness.metadata(.admin, organization))
            #expect(
                try await self.evaluate(harness, organization, at: at, conversation: "post-2", comment).reply == true)
        }
    }

    @Test func badRulesAreRefusedNamingTheField() async throws {
        try await PolicyHarness.with { harness in
            let organization = try await harness.organization().id
            let window = { (day: Inbox_V1_Weekday, start: String, end: String) in
                Inbox_V1_BusinessHoursWindow.with {
                    $0.weekday = day
                    $0.start = start
                    $0.end = end
                }
            }
            let cases: [((inout Inbox_V1_AutoReplyRule) -> Void, String)] = [
                (
                    {
                        $0.replyText = ""
                        $0.noAgentOnline = .init()
                    }, "rule.reply_text"
                ),
                (
                    {
                        $0.name = ""
                        $0.noAgentOnline = .init()
                    }, "rule.name"
                ),
                ({ _ in }, "rule.trigger"),
                ({ $0.keywords = .with { $0.keywords = [] } }, "rule.keywords"),
                (
                    {
                        $0.noAgentOnline = .init()
                        $0.platforms = [Inbox_V1_Platform(rawValue: 77)!]
                    }, "rule.platforms[0]"
                ),
                (
                    {
                        $0.outsideBusinessHours = .with {
                            $0.timeZone = "Europe/Paris"
                            $0.windows = [window(.monday, "09:00", "12:00"), window(.monday, "11:00", "14:00")]
                        }
                    }, "rule.outside_business_hours"
                ),
                (
                    {
                        $0.outsideBusinessHours = .with {
                            $0.timeZone = "Europe/Paris"
                            $0.windows = [window(.monday, "09:00", "09:00")]
                        }
                    }, "rule.outside_business_hours"
                ),
                (
                    {
                        $0.outsideBusinessHours = .with {
                            $0.timeZone = "Nowhere/Land"
                            $0.windows = [window(.monday, "09:00", "17:00")]
                        }
                    }, "rule.outside_business_hours"
                ),
                (
                    {
                        $0.outsideBusinessHours = .with {
                            $0.timeZone = "UTC"
                            $0.windows = [window(.monday, "9h", "17:00")]
                        }
                    }, "rule.outside_business_hours.windows[0].start"
                ),
                (
                    {
                        $0.outsideBusinessHours = .with {
                            $0.timeZone = "UTC"
                            $0.windows = [window(.unspecified, "09:00", "17:00")]
                        }
                    }, "rule.outside_business_hours.windows[0].weekday"
                ),
            ]
            for (configure, field) in cases {
                let error = await refusal { _ = try await self.rule(harness, organization, configure) }
                #expect(error?.code == .invalidArgument, "\(field)")
                #expect(error?.field == field)
            }
            // A Sunday-night window that runs into Monday overlaps Monday's early window.
            let wrapping = await refusal {
                _ = try await self.rule(harness, organization) {
                    $0.outsideBusinessHours = .with {
                        $0.timeZone = "UTC"
                        $0.windows = [window(.sunday, "22:00", "02:00"), window(.monday, "01:00", "03:00")]
                    }
                }
            }
            #expect(wrapping?.field == "rule.outside_business_hours")
        }
    }
}
