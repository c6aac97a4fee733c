import GRPCCore
import InboxAPI
import InboxKit

/// The outboxes' production sink: conversation-service's `SetAssignee` and policy-service's
/// `RecordAgentPresence`, with this process's service token.
struct PeerReadModelSink<Transport: ClientTransport>: ReadModelSink {
    let conversation: Inbox_V1_ConversationService.Client<Transport>
    let policy: Inbox_V1_PolicyService.Client<Transport>

    func setAssignees(_ items: [AssigneeUpdate]) async throws {
        let response = try await self.conversation.setAssignee(
            .with {
                $0.items = items.map { item in
                    .with {
                        $0.organizationID = item.organizationID
                        $0.conversationID = item.conversationID
                        $0.agentID = item.agentID ?? ""
                        $0.teamID = item.teamID?.uuidString.lowercased() ?? ""
                        $0.version = Int64(item.version)
                    }
                }
            })
        // INVALID items will not get better by retrying; NOT_FOUND conversations do not exist on
        // conversation-service's side (yet): both are logged by the caller's outcome, not retried.
        _ = response
    }

    func recordPresence(_ reports: [PresenceReport]) async throws {
        _ = try await self.policy.recordAgentPresence(
            .with {
                $0.reports = reports.map { report in
                    .with {
                        $0.organizationID = report.organizationID
                        $0.agentsOnline = Int32(report.agentsOnline)
                        $0.observedAt = .init(date: report.observedAt)
                    }
                }
            })
    }
}
