import GRPCCore
import InboxAPI

/// The agents: `callers.count` callers share `replies` SendReply calls, each to a random visitor
/// whose socket is open, back to back. Reply n carries the marker `wcb-<n>` in its text and the
/// idempotency key `wcb-reply-<n>`; it is expected on its visitor's socket just before its call
/// starts, so the latency runs from there to the frame's arrival. A caller does not wait for the
/// frame (an agent answers the next visitor meanwhile).
enum FanOut {
    /// One reply SendReply accepted.
    struct Send: Sendable {
        var marker: String
        var visitor: Int
        var started: ContinuousClock.Instant
    }

    struct Result: Sendable {
        var sends: [Send] = []
        /// The SendReply calls' own latencies.
        var calls = Latencies()
        var failedCalls = 0
        var firstError: String?

        mutating func merge(_ other: Result) {
            self.sends += other.sends
            self.calls.values += other.calls.values
            self.failedCalls += other.failedCalls
            if self.firstError == nil { self.firstError = other.firstError }
        }
    }

    static func run(
        replies: Int, targets: [Int], visitors: [Visitor], agents: [Metadata],
        client: any Inbox_V1_ConversationService.ClientProtocol, sockets: VisitorSockets
    ) async -> Result {
        // Who gets reply n, drawn up front so that the callers share nothing while they run.
        let plan = (0..<replies).map { _ in targets[Int.random(in: 0..<targets.count)] }
        return await withTaskGroup(of: Result.self) { group in
            for (caller, agent) in agents.enumerated() {
                group.addTask {
                    var result = Result()
                    for number in stride(from: caller, to: replies, by: agents.count) {
                        let visitor = plan[number]
                        let marker = "wcb-\(number + 1)"
                        let request = Inbox_V1_SendReplyRequest.with {
                            $0.conversationID = visitors[visitor].conversationID
                            $0.idempotencyKey = "wcb-reply-\(number + 1)"
                            $0.text = "Thank you for waiting, an agent is looking into it now (\(marker))."
                        }
                        let started = ContinuousClock.now
                        sockets.expect(marker, visitor: visitor)
                        do {
                            _ = try await client.sendReply(request, metadata: agent)
                            result.calls.add(ContinuousClock.now - started)
                            result.sends.append(Send(marker: marker, visitor: visitor, started: started))
                        } catch {
                            sockets.forget(marker)
                            result.failedCalls += 1
                            if result.firstError == nil { result.firstError = "\(error)" }
                        }
                    }
                    return result
                }
            }
            var total = Result()
            for await part in group { total.merge(part) }
            return total
        }
    }
}
