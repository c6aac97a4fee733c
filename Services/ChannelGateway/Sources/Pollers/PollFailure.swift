/// Why a poll did not complete, as the poller row records it (`last_error`, shown by
/// GetChannelHealth): a sentence a person understands, never a secret (tokens travel in headers,
/// never in the URLs or answers quoted here).
struct PollFailure: Error, Sendable, Hashable {
    enum Reason: String, Sendable, Hashable {
        /// The platform throttled us; `retryAfter` is its own hint when it gave one.
        case rateLimited
        /// The channel's token was refused: nothing changes until it is rotated.
        case tokenInvalid
        /// Network, timeout or a platform error expected to pass.
        case transient
        /// The channel cannot be polled as configured (no token, no account id).
        case configuration
        /// Anything else (an answer we cannot read, a refused request, the database).
        case other
    }

    var reason: Reason
    var text: String
    var retryAfter: Duration?

    init(_ reason: Reason, _ text: String, retryAfter: Duration? = nil) {
        self.reason = reason
        self.text = String(text.prefix(500))
        self.retryAfter = retryAfter
    }

    /// From the outbound classification of a platform's answer (the same codes mean the same
    /// thing to a read as to a send). `what` names the request, e.g. "LinkedIn notifications".
    init(_ outcome: OutboundOutcome, what: String) {
        switch outcome {
        case .sent:
            self.init(.other, "\(what): the answer could not be read")
        case .retryAfter(let delay, .rateLimited):
            self.init(.rateLimited, "\(what): rate limited by the platform; polled again later", retryAfter: delay)
        case .retryAfter(let delay, _):
            self.init(.transient, "\(what): the platform is unavailable; polled again later", retryAfter: delay)
        case .failed(.tokenInvalid, let detail):
            self.init(.tokenInvalid, "\(what): the access token was refused (\(detail)); rotate the channel's token")
        case .failed(_, let detail):
            self.init(.other, "\(what): \(detail)")
        }
    }

    /// The same, with the HTTP status in the text, so that a person sees what the platform answered.
    static func http(_ response: PlatformResponse, outcome: OutboundOutcome, what: String) -> PollFailure {
        PollFailure(outcome, what: "\(what) (HTTP \(response.status))")
    }
}
