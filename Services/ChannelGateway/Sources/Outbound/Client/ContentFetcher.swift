/// Performs `ContentFetch` steps through the same HTTP client as the sends (one attempt each;
/// a transport failure is transient).
public struct ContentFetcher: Sendable {
    private let http: PlatformHTTPClient
    private let endpoints: OutboundEndpoints

    public init(http: PlatformHTTPClient, endpoints: OutboundEndpoints) {
        self.http = http
        self.endpoints = endpoints
    }

    public func fetch(
        _ step: ContentFetch, credentials: any ChannelCredentials
    ) async throws(OutboundBuildError) -> ContentFetchOutcome {
        let request = try step.request(endpoints: endpoints, credentials: credentials)
        do {
            return step.content(from: try await http.execute(request))
        } catch {
            return .retryAfter(delay: nil, reason: .transient)
        }
    }
}
