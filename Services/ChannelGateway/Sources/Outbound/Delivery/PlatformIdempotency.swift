/// Whether a platform's send API makes sending one request again harmless — an idempotency key or
/// deduplication of its own (CHANNELS.md §1.4–§9.4). Where it does not, a send whose answer was lost
/// after the request went out (a timeout, a reset, the platform's "may have been sent" error, the
/// gateway killed mid-send) is MAYBE_SENT and final: it is never sent again automatically, and a
/// person decides whether to send again.
///
/// Per platform:
/// - Facebook: none. The Send API and `/{id}/comments` take no key. Our key travels as
///   `message.metadata` and comes back in `message_echoes`: that tells afterwards that a message
///   went out, it cannot stop a second one.
/// - Instagram: none, as Facebook (and its echoes carry no metadata).
/// - WhatsApp: none; `POST /{phone-number-id}/messages` takes no key.
/// - X: none; `POST /2/tweets` and the DM endpoints take no key (X refuses some repeated post
///   texts as duplicates: no guarantee, and not for DMs).
/// - LinkedIn: none; `socialActions/{urn}/comments` takes no key.
/// - TikTok: none; `business/comment/reply/create/` takes no key.
/// - Telegram: none; `sendMessage` has no idempotency parameter.
/// - Twilio: none; `Messages.json` takes no key (`I-Twilio-Idempotency-Token` is on Twilio's own
///   webhook retries to us, not on its API).
/// - WeChat: none; `message/custom/send` takes no key.
/// - Web chat (ours): the transcript's message id is a digest of the key (``WebChatReplies``),
///   so writing again finds what was written.
///
/// So every maybe-sent of a social platform is final. A platform that gains a key (sent by its
/// adapter from ``OutboundMessage/idempotencyKey``) joins ``resendable``, and its lost answers
/// are retried.
enum PlatformIdempotency {
    static let resendable: Set<Platform> = [.webChat]

    static func resendIsSafe(on platform: Platform) -> Bool {
        self.resendable.contains(platform)
    }
}
