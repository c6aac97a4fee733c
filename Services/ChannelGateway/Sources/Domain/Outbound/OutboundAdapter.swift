/// One platform's outbound half: builds the exact HTTP request for a message and reads the
/// platform's answer. Pure and I/O-free; the HTTP client executes what it builds.
///
/// An adapter owns everything platform-specific about sending: its ``Credentials`` type and its
/// APIs with their production endpoints (``apis``), both declared in its folder under `Outbound/`.
/// The registry (`OutboundAdapters`) lists the adapter types, one line per platform.
public protocol OutboundAdapter: Sendable {
    /// The platform's own credentials type, declared beside the adapter.
    associatedtype Credentials: ChannelCredentials

    /// The APIs this adapter calls, each with its production endpoint.
    static var apis: [PlatformAPI] { get }

    /// The platform this adapter speaks to.
    var platform: Platform { get }

    /// The adapter calling its ``apis`` where `endpoints` says (production, or fakes in tests).
    init(endpoints: OutboundEndpoints)

    /// The request that sends `message` with `credentials`.
    /// Throws when the message kind or the credentials do not belong to this platform.
    func request(for message: OutboundMessage, credentials: Credentials) throws(OutboundBuildError)
        -> PlatformRequest

    /// Classifies the platform's answer to the request built for `message`.
    func outcome(of response: PlatformResponse, for message: OutboundMessage) -> OutboundOutcome
}

extension OutboundAdapter {
    /// ``request(for:credentials:)`` for a caller that holds the adapter and the channel's
    /// credentials as existentials (the sender): another platform's credentials are
    /// ``OutboundBuildError/wrongCredentials(platform:)``.
    public func request(
        for message: OutboundMessage, anyCredentials credentials: any ChannelCredentials
    ) throws(OutboundBuildError) -> PlatformRequest {
        guard let own = credentials as? Credentials else { throw .wrongCredentials(platform: platform) }
        return try request(for: message, credentials: own)
    }
}

/// Why a request could not be built: a programming or configuration error, never retried.
public enum OutboundBuildError: Error, Sendable, Hashable {
    /// The message kind is not something this platform can send.
    case unsupportedKind(platform: Platform, kind: OutboundKind)
    /// The channel's credentials are for another platform.
    case wrongCredentials(platform: Platform)
    /// No adapter is registered for the platform.
    case noAdapter(Platform)
    /// The text is longer than the platform takes for this kind (TikTok comment replies: 150
    /// characters, CHANNELS.md §6.4); refused before anything is sent.
    case textTooLong(platform: Platform, limit: Int)
}
