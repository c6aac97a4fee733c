import GRPCCore
import InboxAPI
import InboxKit

/// Whether an organisation's plan includes a platform: policy-service's answer (the same
/// `CheckIngest` the relay asks), so connecting and receiving never disagree.
protocol PlanCheck: Sendable {
    /// Throws NOT_FOUND for an organisation policy does not know.
    func allows(organizationID: String, platform: Inbox_V1_Platform) async throws -> Bool
}

struct PolicyPlanCheck<Transport: ClientTransport>: PlanCheck {
    let policy: Inbox_V1_PolicyService.Client<Transport>

    func allows(organizationID: String, platform: Inbox_V1_Platform) async throws -> Bool {
        let response = try await self.policy.checkIngest(
            .with {
                $0.queries = [
                    .with {
                        $0.organizationID = organizationID
                        $0.platform = platform
                    }
                ]
            })
        guard let verdict = response.verdicts.first else {
            throw DomainError.unavailable("policy-service gave no answer; retry")
        }
        if verdict.decision == .reject, verdict.reasonCode == .resourceNotFound {
            throw DomainError.notFound("organization \(organizationID) not found", resource: "organization")
        }
        return !(verdict.decision == .reject && verdict.reasonCode == .planDoesNotAllowPlatform)
    }
}
