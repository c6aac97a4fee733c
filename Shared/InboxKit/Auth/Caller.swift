/// Who is calling, as their verified bearer token says (DESIGN.md §4).
public struct Caller: Sendable, Equatable {
    public enum Role: String, Sendable, Codable, CaseIterable {
        /// Runs the installation: may create and list organisations.
        case `operator`
        /// Administers one organisation.
        case admin
        /// Works in one organisation's inbox.
        case agent
        /// Another Social Inbox service; acts for the organisation named in the request.
        case service
    }

    public let role: Role
    /// The organisation the token is scoped to (nil for operators and services).
    public let organizationID: String?
    /// The agent id (agents, and admins who also answer).
    public let agentID: String?
    /// The token's subject: an agent id, a service name, an operator's name.
    public let subject: String

    public init(role: Role, organizationID: String?, agentID: String?, subject: String) {
        self.role = role
        self.organizationID = organizationID
        self.agentID = agentID
        self.subject = subject
    }

    /// The caller of the RPC being served, bound by ``AuthenticationInterceptor``.
    @TaskLocal public static var current: Caller?

    /// The authenticated caller, or UNAUTHENTICATED when none is bound.
    public static func authenticated() throws(DomainError) -> Caller {
        guard let caller = Self.current else {
            throw .unauthenticated("a bearer token is required", reason: .tokenMissing)
        }
        return caller
    }

    /// Refuses callers whose role is not among `roles`.
    public func require(_ roles: Role...) throws(DomainError) {
        guard roles.contains(self.role) else {
            throw .permissionDenied("this call needs the role \(roles.map(\.rawValue).joined(separator: " or "))")
        }
    }

    /// The organisation a call acts on: the token's own for admins and agents (a different
    /// `requested` one is refused), the `requested` one for services and operators (required).
    public func organization(requested: String) throws(DomainError) -> String {
        switch self.role {
        case .admin, .agent:
            guard let own = self.organizationID else { throw .unauthenticated("the token names no organisation") }
            if !requested.isEmpty, requested != own {
                throw .permissionDenied(
                    "the token's organisation does not match organization_id", reason: .organizationMismatch)
            }
            return own
        case .service, .operator:
            guard !requested.isEmpty else {
                throw .invalidArgument(
                    "organization_id is required for this caller", reason: .organizationRequired,
                    field: "organization_id")
            }
            return requested
        }
    }
}
