public import struct Foundation.Date

/// The inbound half of one platform: verify a raw webhook request and turn it into a handshake
/// reply or normalised events. Pure logic, no I/O; adapters are stateless values.
public protocol WebhookAdapter: Sendable {
    /// The platform this adapter speaks for.
    static var platform: Platform { get }

    /// Verifies `request` with the channel's `secrets` and parses it. `now` is the receipt time,
    /// used for replay windows and for platforms whose payload carries no time (Twilio).
    func handle(_ request: WebhookRequest, secrets: WebhookSecrets, now: Date) throws(WebhookError) -> WebhookOutcome
}
