import InboxAPI
import Synchronization

/// What the organisation's WatchConversations said about each reply: when its MESSAGE_UPDATED
/// with delivery state SENT (or FAILED) arrived here, the first one counting; and which replies the
/// load still waits for. A SENT may arrive before SendReply's answer does, so outcomes are kept for
/// any message id, and a reply is only awaited when no outcome is known for it yet.
final class ReplyOutcomes: Sendable {
    /// A reply's final state as the watch told it.
    struct Outcome: Sendable {
        var arrived: ContinuousClock.Instant
        var sent: Bool
        /// For FAILED: the reason and the detail.
        var failure: String
    }

    private struct State {
        var outcomes: [String: Outcome] = [:]
        var awaited: Set<String> = []
    }

    private let state = Mutex(State())

    /// Takes a watched message event: SENT and FAILED are outcomes, other states are not.
    func record(_ message: Inbox_V1_Message, at arrived: ContinuousClock.Instant) {
        let sent: Bool
        switch message.deliveryState {
        case .sent: sent = true
        case .failed: sent = false
        default: return
        }
        let failure = sent ? "" : "\(message.failureReason): \(message.failureDetail)"
        self.state.withLock { state in
            guard state.outcomes[message.id] == nil else { return }
            state.outcomes[message.id] = Outcome(arrived: arrived, sent: sent, failure: failure)
            state.awaited.remove(message.id)
        }
    }

    /// A reply SendReply accepted: awaited until its outcome arrives (unless it already has).
    func expect(_ messageID: String) {
        self.state.withLock { state in
            if state.outcomes[messageID] == nil { state.awaited.insert(messageID) }
        }
    }

    /// No longer waits for these (probe replies sent before the watch was live).
    func forget(_ messageIDs: [String]) {
        self.state.withLock { state in
            for id in messageIDs { state.awaited.remove(id) }
        }
    }

    /// Accepted replies without an outcome yet.
    var pending: Int { self.state.withLock { $0.awaited.count } }

    func outcome(of messageID: String) -> Outcome? {
        self.state.withLock { $0.outcomes[messageID] }
    }

    /// Waits until `messageID` has an outcome or `timeout` passed; true when it has.
    func wait(for messageID: String, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while self.outcome(of: messageID) == nil {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Waits until no accepted reply is left without an outcome, or `timeout` passed; true when
    /// none is left.
    func waitUntilSettled(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while self.pending > 0 {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
