/// Whether an organisation's inbox is active (policy-service owns the answer): nothing is
/// assigned while it is deactivated.
protocol InboxStateSource: Sendable {
    func isActive(organizationID: String) async throws -> Bool
}
