import GRPCCore
import InboxAPI
import Synchronization

/// conversation-service's RecordDeliveryStatus as the tests script it, and every update it received.
final class DeliveryStatusStandIn: Sendable {
    struct State {
        /// Every update received, in order (repeats included).
        var received: [Inbox_V1_DeliveryStatusUpdate] = []
        /// Calls made, the failed ones included.
        var calls = 0
        /// While true, RecordDeliveryStatus fails with UNAVAILABLE (conversation-service down).
        var down = false
        /// The outcome of each update; APPLIED when nil.
        var outcome: (@Sendable (Inbox_V1_DeliveryStatusUpdate) -> Inbox_V1_DeliveryStatusOutcome)?
    }

    let state = Mutex(State())

    func with<T>(_ body: (inout State) -> T) -> T { self.state.withLock { body(&$0) } }

    var received: [Inbox_V1_DeliveryStatusUpdate] { self.with { $0.received } }
}

extension GatewayPeerStandIns {
    /// One result per update, in order, as the real service answers.
    func recordDeliveryStatus(_ request: Inbox_V1_RecordDeliveryStatusRequest) async throws
        -> Inbox_V1_RecordDeliveryStatusResponse
    {
        let (down, outcome) = self.deliveryStatus.with { state in
            state.calls += 1
            return (state.down, state.outcome)
        }
        if down { throw RPCError(code: .unavailable, message: "stand-in: conversation-service is down") }
        self.deliveryStatus.with { $0.received += request.updates }
        return .with {
            $0.results = request.updates.map { update in
                let answer = outcome?(update) ?? .applied
                return .with {
                    $0.messageID = update.messageID
                    $0.outcome = answer
                    $0.state = update.state
                }
            }
        }
    }
}
