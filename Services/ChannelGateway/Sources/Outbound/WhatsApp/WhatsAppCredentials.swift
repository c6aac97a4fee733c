/// A WhatsApp Cloud API number: the business phone number id and a system-user or business token.
public struct WhatsAppCredentials: ChannelCredentials, Hashable {
    public var phoneNumberID: String
    public var accessToken: String

    public init(phoneNumberID: String, accessToken: String) {
        self.phoneNumberID = phoneNumberID
        self.accessToken = accessToken
    }
}
