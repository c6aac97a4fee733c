/// The four services: their names, default ports, schemas and database roles (DESIGN.md §1, §6).
public enum InboxService: String, Sendable, CaseIterable, Codable {
    case channelGateway = "channel-gateway"
    case conversationService = "conversation-service"
    case assignmentService = "assignment-service"
    case policyService = "policy-service"

    public var defaultGRPCPort: Int {
        switch self {
        case .channelGateway: 50051
        case .conversationService: 50052
        case .assignmentService: 50053
        case .policyService: 50054
        }
    }

    /// Where `/metrics` is served (`METRICS_PORT`), for Prometheus.
    public var defaultMetricsPort: Int {
        switch self {
        case .channelGateway: 9091
        case .conversationService: 9092
        case .assignmentService: 9093
        case .policyService: 9094
        }
    }

    /// The PostgreSQL schema the service owns.
    public var schema: String {
        switch self {
        case .channelGateway: "gateway"
        case .conversationService: "conversations"
        case .assignmentService: "assignment"
        case .policyService: "policy"
        }
    }

    /// The PostgreSQL role that owns ``schema`` (deploy/sql/init.sql creates it).
    public var databaseRole: String { "inbox_\(self.schema)" }

    /// The variable other services read to reach this one.
    public var addressVariable: String {
        switch self {
        case .channelGateway: "CHANNEL_GATEWAY_ADDR"
        case .conversationService: "CONVERSATION_SERVICE_ADDR"
        case .assignmentService: "ASSIGNMENT_SERVICE_ADDR"
        case .policyService: "POLICY_SERVICE_ADDR"
        }
    }

    /// The services this one calls (DESIGN.md §1).
    public var peers: [InboxService] {
        switch self {
        case .channelGateway: [.conversationService, .policyService]
        case .conversationService: [.policyService, .channelGateway, .assignmentService]
        case .assignmentService: [.policyService, .conversationService]
        case .policyService: []
        }
    }

    /// The fully qualified name of its gRPC service, as health checks name it.
    public var grpcServiceName: String {
        switch self {
        case .channelGateway: "inbox.v1.ChannelGatewayService"
        case .conversationService: "inbox.v1.ConversationService"
        case .assignmentService: "inbox.v1.AssignmentService"
        case .policyService: "inbox.v1.PolicyService"
        }
    }
}
