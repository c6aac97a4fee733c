public import struct Foundation.Date

/// The inbound half of one platform: verify a raw webhook request and turn it into a handshake
/// reply or normalised events. Pure logic, no I/O; adapters are stateless values.
public protocol WebhookAdapter: Sendable {
    /// The platform's own secrets type, declared beside the adapter (``WebhookSecrets``).
    associatedtype Secrets: WebhookSecrets

    /// The platform this adapter speaks for.
    static var platform: Platform { get }

    /// Verifies `request` with the channel's `secrets` and parses it. `now` is the receipt time,
    /// used for replay windows and for platforms whose payload carries no time (Twilio).
    func handle(_ request: WebhookRequest, secrets: Secrets, now: Date) throws(WebhookError) -> WebhookOutcome
}

extension WebhookAdapter {
    /// ``handle(_:secrets:now:)`` for a caller that holds the adapter and the channel's secrets as
    /// existentials (the registry, the HTTP endpoint). Secrets of another platform's type mean the
    /// channel is misconfigured: refused as ``WebhookError/notConfigured(_:)`` (500), like a
    /// missing secret, before anything in the request is looked at.
    public func handle(
        _ request: WebhookRequest, anySecrets secrets: any WebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        guard let own = secrets as? Secrets else {
            throw .notConfigured("\(Secrets.self) (the channel has \(type(of: secrets)))")
        }
        return try handle(request, secrets: own, now: now)
    }
}
