/// A TikTok business account (API for Business): `Access-Token` and the account id (`business_id`).
public struct TikTokCredentials: ChannelCredentials, Hashable {
    public var accessToken: String
    public var businessID: String

    public init(accessToken: String, businessID: String) {
        self.accessToken = accessToken
        self.businessID = businessID
    }
}
