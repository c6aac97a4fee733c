/// One platform's outbound half: builds the exact HTTP request for a message and reads the
/// platform's answer. Pure and I/O-free; the HTTP client executes what it builds.
public protocol OutboundAdapter: Sendable {
    /// The platform this adapter speaks to.
    var platform: Platform { get }

    /// The request that sends `message` with `credentials`.
    /// Throws when the message kind or the credentials do not belong to this platform.
    func request(for message: OutboundMessage, credentials: ChannelCredentials) throws(OutboundBuildError)
        -> PlatformRequest

    /// Classifies the platform's answer to the request built for `message`.
    func outcome(of response: PlatformResponse, for message: OutboundMessage) -> OutboundOutcome
}

/// Why a request could not be built: a programming or configuration error, never retried.
public enum OutboundBuildError: Error, Sendable, Hashable {
    /// The message kind is not something this platform can send.
    case unsupportedKind(platform: Platform, kind: OutboundKind)
    /// The channel's credentials are for another platform.
    case wrongCredentials(platform: Platform)
    /// No adapter is registered for the platform.
    case noAdapter(Platform)
}
