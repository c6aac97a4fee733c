import Foundation
import Testing

@testable import AssignmentService

/// The hand-written stored form of an explanation reads back, through the `Codable` conformance
/// that `GetAssignment` and the history use, as the same explanation.
@Suite("assignment-service: an explanation's stored JSON reads back whole")
struct RoutingExplanationJSONTests {
    @Test func everyFieldAndAwkwardTextSurviveTheRoundTrip() throws {
        let explanations = [
            RoutingExplanation(
                ruleID: UUID(), ruleName: "VIP \"gold\" \\ rule", teamID: UUID(),
                candidates: [
                    RoutingCandidate(
                        agentID: "agent-1", availability: .online, openConversations: 3, load: 4, capacity: 5,
                        weight: 2, eligible: false, note: "full: 4 + 2 > 5\nnext line\ttab \u{1} é 日本 🎉"),
                    RoutingCandidate(
                        agentID: "agent-2", availability: .away, openConversations: 0, load: 0, capacity: 1,
                        weight: 1, eligible: true, note: ""),
                ],
                summary: "Rule 'x' chose the team; agent-2 was next in turn."),
            RoutingExplanation(ruleID: nil, ruleName: "", teamID: nil, candidates: [], summary: "queued\r\n"),
        ]
        for explanation in explanations {
            let text = explanation.jsonText
            let decoded = try JSONDecoder().decode(RoutingExplanation.self, from: Data(text.utf8))
            #expect(decoded == explanation, "\(text)")
        }
    }
}
