/// A LinkedIn organization: the member token of one of its Page administrators (the API version
/// is the endpoint's, `LinkedInOutboundAdapter.api`).
public struct LinkedInCredentials: ChannelCredentials, Hashable {
    public var accessToken: String

    public init(accessToken: String) {
        self.accessToken = accessToken
    }
}
