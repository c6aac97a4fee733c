import Synchronization

/// A failure a fake plays instead of its normal answer, in each platform's own error shape.
public enum ScriptedFailure: Sendable, Hashable {
    /// Outside the reply window: Meta 10/2018278 (Messenger) or 10/2534022 (Instagram), WhatsApp
    /// 131047 synchronous 400, WeChat 45015.
    case windowError
    /// WhatsApp only: accept with 200 + wamid, then post a `failed` (131047) status webhook.
    case asyncWindowFailure
    /// Throttled: HTTP 429 + `Retry-After` (X also `x-rate-limit-reset`, Telegram `retry_after`);
    /// Meta 613, WhatsApp 130429, TikTok 40100 and WeChat 45009 in their own shapes.
    case rateLimited(retryAfterSeconds: Int)
    /// HTTP 500 (Meta: `is_transient` code 2).
    case serverError
    /// No answer until the server stops; the client must time out.
    case hang
    /// The platform's bad-token error (Meta 190, Twilio 20003/401, WeChat 40001, ...).
    case tokenError
    /// The platform's "recipient cannot be reached" error (Meta 551, WhatsApp 131026, Twilio
    /// 21211, Telegram 403 blocked, ...).
    case recipientUnavailable
    /// Any platform code, rendered in the platform's envelope (`subcode` for Meta only).
    case platformError(code: Int, subcode: Int? = nil)
}

/// Per-endpoint queues of failures; each request to an endpoint consumes the next one, if any.
public final class FailureScript: Sendable {
    private let queues = Mutex<[String: [ScriptedFailure]]>([:])

    public init() {}

    /// Appends `failures` to `endpoint`'s queue (endpoint names are each fake's `Endpoint` raw values).
    public func enqueue(_ failures: ScriptedFailure..., on endpoint: String) {
        queues.withLock { $0[endpoint, default: []] += failures }
    }

    /// Appends `failures` to the queue of a fake's `Endpoint` (e.g. `MetaGraphFake.Endpoint.messages`).
    public func enqueue<Endpoint: RawRepresentable>(_ failures: ScriptedFailure..., on endpoint: Endpoint)
    where Endpoint.RawValue == String {
        queues.withLock { $0[endpoint.rawValue, default: []] += failures }
    }

    func next(for endpoint: String) -> ScriptedFailure? {
        queues.withLock { queues in
            guard var queue = queues[endpoint], !queue.isEmpty else { return nil }
            let failure = queue.removeFirst()
            queues[endpoint] = queue
            return failure
        }
    }
}

/// Holds hung requests until the fake stops.
final class HangGate: Sendable {
    private let state = Mutex<(released: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let released = state.withLock { state in
                if state.released { return true }
                state.waiting.append(continuation)
                return false
            }
            if released { continuation.resume() }
        }
    }

    func release() {
        let waiting = state.withLock { state in
            state.released = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}
