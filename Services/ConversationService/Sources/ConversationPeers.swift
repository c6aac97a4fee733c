import GRPCCore
import InboxAPI
import InboxKit

/// The services conversation-service calls (DESIGN.md §1): policy-service (CheckReply,
/// RecordActivity, EvaluateAutoReply), assignment-service (RouteConversation) and the gateway
/// (DeliverMessage). Generated clients: over HTTP/2 with this service's token in production,
/// over the in-process transport to stand-ins in the tests.
struct ConversationPeers: Sendable {
    var policy: any Inbox_V1_PolicyService.ClientProtocol
    var assignment: any Inbox_V1_AssignmentService.ClientProtocol
    var gateway: any Inbox_V1_ChannelGatewayService.ClientProtocol

    init(
        policy: any Inbox_V1_PolicyService.ClientProtocol,
        assignment: any Inbox_V1_AssignmentService.ClientProtocol,
        gateway: any Inbox_V1_ChannelGatewayService.ClientProtocol
    ) {
        self.policy = policy
        self.assignment = assignment
        self.gateway = gateway
    }

    init(_ peers: PeerClients) {
        self.init(policy: peers.policy, assignment: peers.assignment, gateway: peers.gateway)
    }
}
