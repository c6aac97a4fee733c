import GRPCCore
import InboxAPI
import InboxKit

/// The services the gateway calls (DESIGN.md §1): policy-service (CheckIngest) and
/// conversation-service (IngestEvents). Over HTTP/2 with the gateway's token in production, over
/// the in-process transport to stand-ins in the tests.
struct GatewayPeers: Sendable {
    var policy: any Inbox_V1_PolicyService.ClientProtocol
    var conversation: any Inbox_V1_ConversationService.ClientProtocol

    init(
        policy: any Inbox_V1_PolicyService.ClientProtocol,
        conversation: any Inbox_V1_ConversationService.ClientProtocol
    ) {
        self.policy = policy
        self.conversation = conversation
    }

    init(_ peers: PeerClients) {
        self.init(policy: peers.policy, conversation: peers.conversation)
    }
}
