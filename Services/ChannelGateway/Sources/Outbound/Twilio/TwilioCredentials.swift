/// A Twilio account: Account SID and Auth Token (HTTP Basic).
public struct TwilioCredentials: ChannelCredentials, Hashable {
    public var accountSID: String
    public var authToken: String

    public init(accountSID: String, authToken: String) {
        self.accountSID = accountSID
        self.authToken = authToken
    }
}
