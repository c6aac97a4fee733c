/// The delivery worker's and the status outbox's timings and bounds. The defaults are production's;
/// tests shorten them.
public struct OutboundSettings: Sendable {
    /// How often the worker looks for due deliveries when nothing woke it (retries coming due,
    /// another replica's DeliverMessage whose NOTIFY was lost). DeliverMessage wakes this replica's
    /// worker at once and every replica's through LISTEN/NOTIFY.
    public var pollInterval: Duration = .seconds(1)
    /// Deliveries claimed per round, and how many of them are sent at once.
    public var batchSize = 128
    public var concurrentSends = 64
    /// Sends of one delivery before a retryable failure becomes FAILED with RETRIES_EXHAUSTED.
    public var maxAttempts = 8
    /// The first retry delay; it doubles per try (with up to 25 % jitter) up to `maxRetryDelay`. A
    /// platform's own delay (Retry-After, `retry_after`) is waited when it is longer.
    public var retryDelay: Duration = .seconds(2)
    public var maxRetryDelay: Duration = .seconds(300)
    /// How long a claim keeps other workers off a delivery. It must outlast a send
    /// (`sendTimeout`) with room to spare: a delivery still SENDING after its claim is taken for
    /// one whose worker died mid-send (MAYBE_SENT).
    public var claimDuration: Duration = .seconds(60)
    /// One send's deadline (connect, request and the whole answer).
    public var sendTimeout: Duration = .seconds(15)
    /// Pacing per channel (``ChannelPacer``): sends per second and the burst above that rate.
    /// Below every platform's documented per-account limit (CHANNELS.md: Messenger 300/s,
    /// WhatsApp ~80/s per number, Telegram ~30/s per bot).
    public var channelSendsPerSecond: Double = 20
    public var channelBurst: Double = 40
    /// Updates per RecordDeliveryStatus call (the contract's maximum is 500).
    public var statusBatchSize = 500
    /// The status outbox's retry delay after a failed call, doubling up to `statusMaxRetryDelay`.
    public var statusRetryDelay: Duration = .seconds(1)
    public var statusMaxRetryDelay: Duration = .seconds(60)
    /// Tries of an update conversation-service answers NOT_FOUND before it is dropped (the
    /// message may not be recorded yet when the answer of a fast send comes back).
    public var statusNotFoundAttempts = 5

    public init() {}
}
