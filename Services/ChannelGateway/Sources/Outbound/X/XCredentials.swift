/// An X account: the user-context OAuth 2.0 token of the connected account.
public struct XCredentials: ChannelCredentials, Hashable {
    public var userAccessToken: String

    public init(userAccessToken: String) {
        self.userAccessToken = userAccessToken
    }
}
