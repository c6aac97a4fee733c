/// What became of one send attempt, as the platform (or the network) told us.
///
/// The executor never retries; the delivery worker decides from this value:
/// - `sent`: done. `platformMessageID` is nil only where the platform returns none (WeChat).
/// - `retryAfter`: worth trying again; `delay` is the platform's own hint (Retry-After,
///   `retry_after`, `x-rate-limit-reset`), nil when it gave none (use the worker's backoff).
/// - `failed`: final for this message; retrying the same request will not help. One `failed` asks
///   for a different request instead: Telegram's "group chat was upgraded to a supergroup"
///   (`failed(.other, ...)` whose ``telegramMigratedChatID`` is the new chat): the delivery worker
///   sends again there (nothing was sent) and has the conversation re-targeted to that chat.
public enum OutboundOutcome: Sendable, Hashable {
    case sent(platformMessageID: String?)
    case retryAfter(delay: Duration?, reason: OutboundFailureReason)
    case failed(reason: OutboundFailureReason, detail: String)
}

/// Why a send did not succeed, in the platform-independent words the delivery state uses.
public enum OutboundFailureReason: String, Sendable, Hashable, CaseIterable {
    /// Outside the platform's reply window (Meta 10/2018278, 10/2534022; WhatsApp 131047; WeChat 45015).
    case outsideWindow
    /// Throttled. Usually `retryAfter`; final only for WeChat 45047, which lifts when the user writes again.
    case rateLimited
    /// The channel's token is wrong, expired or revoked: the channel needs reconnecting.
    case tokenInvalid
    /// The recipient cannot be reached (blocked us, not messageable, invalid number, ...).
    case recipientUnavailable
    /// The recipient opted out (Twilio 21610, after STOP); do not send until they opt back in.
    case recipientOptedOut
    /// Network failure, timeout or a platform-side error expected to pass.
    case transient
    /// The platform reported an error although the message may have gone out (Meta 1/1357046),
    /// or said it already has what we are sending (Meta 10900 on a private reply: the comment was
    /// answered privately, most likely by an earlier attempt whose answer was lost): retrying
    /// risks a duplicate, so it is final and flagged for a human.
    case maybeSent
    /// Anything else (invalid request, permissions, unknown error codes), including problems of
    /// our own account's configuration that reconnecting the channel does not fix (Twilio
    /// 21606/21608, WeChat 40164, TikTok 40101, X API access level); the detail says which.
    case other
}
