import BenchSupport
import GRPCCore
import InboxAPI

/// The agents: each caller calls SendReply on a random conversation, waits for its answer and
/// calls again, until the deadline. A caller does not wait for SENT (an agent answers the next
/// customer meanwhile), so SendReply's rate is what the callers get through, and the delivery
/// path behind it either keeps up or queues; `maxPending` (0: no bound) holds the callers while
/// that many accepted replies have no outcome yet, for a latency at a rate the path sustains.
enum ReplyLoad {
    /// One accepted reply.
    struct Send: Sendable {
        var messageID: String
        var started: ContinuousClock.Instant
        var returned: ContinuousClock.Instant
    }

    struct Result: Sendable {
        var sends: [Send] = []
        /// The SendReply calls themselves (answered ones) and the failed ones.
        var calls = Samples()

        mutating func merge(_ other: Result) {
            self.sends += other.sends
            self.calls.merge(other.calls)
        }
    }

    /// Runs `agents.count` callers until `deadline`; the idempotency keys are
    /// `rb-<phase>-<caller>-<n>`, and each text carries its key, so every request the platform
    /// receives is distinct.
    static func run(
        phase: String, until deadline: ContinuousClock.Instant, conversationIDs: [String], agents: [Metadata],
        client: any Inbox_V1_ConversationService.ClientProtocol, outcomes: ReplyOutcomes, maxPending: Int
    ) async -> Result {
        await withTaskGroup(of: Result.self) { group in
            for (caller, agent) in agents.enumerated() {
                group.addTask {
                    var result = Result()
                    var number = 0
                    while ContinuousClock.now < deadline {
                        if maxPending > 0 {
                            while outcomes.pending >= maxPending, ContinuousClock.now < deadline {
                                try? await Task.sleep(for: .milliseconds(1))
                            }
                            guard ContinuousClock.now < deadline else { break }
                        }
                        number += 1
                        let key = "rb-\(phase)-\(caller + 1)-\(number)"
                        let conversationID = conversationIDs[Int.random(in: 0..<conversationIDs.count)]
                        let started = ContinuousClock.now
                        do {
                            let message = try await client.sendReply(
                                Self.request(conversationID: conversationID, key: key), metadata: agent)
                            let returned = ContinuousClock.now
                            outcomes.expect(message.id)
                            result.sends.append(Send(messageID: message.id, started: started, returned: returned))
                            result.calls.latencies.append(micros(returned - started))
                        } catch {
                            result.calls.fail(error)
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

    static func request(conversationID: String, key: String) -> Inbox_V1_SendReplyRequest {
        .with {
            $0.conversationID = conversationID
            $0.idempotencyKey = key
            $0.text = "Thank you, we are looking into it and will come back to you today (\(key))."
        }
    }
}
