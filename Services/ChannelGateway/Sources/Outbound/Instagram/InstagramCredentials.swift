/// An Instagram professional account, connected one of the two ways Meta offers.
public enum InstagramCredentials: ChannelCredentials, Hashable {
    /// Through Facebook Login (graph.facebook.com): the linked Page's id and its Page access token.
    case facebookLogin(pageID: String, accessToken: String)
    /// Instagram API with Instagram Login (graph.instagram.com): the IG user id and its user token.
    case instagramLogin(igUserID: String, accessToken: String)
}
