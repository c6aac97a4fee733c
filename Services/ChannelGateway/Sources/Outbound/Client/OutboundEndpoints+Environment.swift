import InboxKit

/// Where each platform API is, from the environment, so tests, demos and staging point the gateway
/// at the fakes (`swift run platform-fakes` prints these lines): `<PLATFORM>_API_BASE_URL` per API
/// — `FACEBOOK_API_BASE_URL`, `INSTAGRAM_API_BASE_URL` (Instagram through Facebook Login),
/// `INSTAGRAM_LOGIN_API_BASE_URL` (Instagram Login), `WHATSAPP_API_BASE_URL`, `X_API_BASE_URL`,
/// `LINKEDIN_API_BASE_URL`, `TIKTOK_API_BASE_URL`, `TELEGRAM_API_BASE_URL`, `TWILIO_API_BASE_URL`,
/// `WECHAT_API_BASE_URL`. Each is a scheme and host (a path prefix is kept); the API version stays
/// the adapter's. Unset: the real host (each ``PlatformAPI``'s production endpoint).
extension OutboundEndpoints {
    /// The variable of `api`: the platform's name, and for a platform's second API its own word.
    static func environmentVariable(for api: PlatformAPI) -> String {
        if api == InstagramOutboundAdapter.instagramLoginAPI { return "INSTAGRAM_LOGIN_API_BASE_URL" }
        return "\(api.platform.rawValue.uppercased())_API_BASE_URL"
    }

    /// Every registered API with its variable.
    static var environmentVariables: [(name: String, api: PlatformAPI)] {
        OutboundAdapters.apis.map { (name: Self.environmentVariable(for: $0), api: $0) }
    }

    public static func load(from environment: Environment) throws -> OutboundEndpoints {
        var endpoints = OutboundEndpoints()
        for (name, api) in Self.environmentVariables {
            guard let url = environment.optionalString(name) else { continue }
            guard url.hasPrefix("https://") || url.hasPrefix("http://"), !url.contains("?"), !url.contains("#"),
                url.split(separator: "/", omittingEmptySubsequences: false).count >= 3,
                !url.split(separator: "/", omittingEmptySubsequences: false)[2].isEmpty
            else {
                throw ConfigurationError(
                    variable: name,
                    problem: "must be a base URL such as \(api.production.baseURL) (scheme and host, no query)")
            }
            endpoints[api] = PlatformEndpoint(baseURL: url, version: api.production.version)
        }
        return endpoints
    }
}
