/// A Facebook Page: its id and its Page access token.
public struct FacebookCredentials: ChannelCredentials, Hashable {
    public var pageID: String
    public var accessToken: String

    public init(pageID: String, accessToken: String) {
        self.pageID = pageID
        self.accessToken = accessToken
    }
}
