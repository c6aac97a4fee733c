import Foundation
import PlatformJSON

/// Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{sid}/Messages.json`, HTTP Basic
/// auth, form-encoded. The platform message id is the Message `sid` (`SM…`/`MM…`).
///
/// Errors (`{"code","message","more_info","status"}`, CHANNELS.md §8.4): 21610 opted out (its
/// own reason); 21211, 21612, 21614 unreachable recipient; 20003 / HTTP 401 bad credentials;
/// 20429 / HTTP 429 rate limited (Retry-After honoured if sent).
///
/// 21606 (our `From` number cannot send to this destination) and 21608 (a trial account may only
/// send to verified numbers) are about our number and account, not the recipient: `other`, with
/// a detail that says so, so that no customer is marked unreachable for our configuration.
public struct TwilioOutboundAdapter: OutboundAdapter {
    public let platform = Platform.twilio
    public var endpoint: PlatformEndpoint

    /// Programmable Messaging.
    public static let api = PlatformAPI(
        .twilio, production: .init(baseURL: "https://api.twilio.com", version: "2010-04-01"))
    public static var apis: [PlatformAPI] { [api] }

    public init(endpoint: PlatformEndpoint) {
        self.endpoint = endpoint
    }

    public init(endpoints: OutboundEndpoints) {
        self.init(endpoint: endpoints[Self.api])
    }

    public func request(for message: OutboundMessage, credentials: TwilioCredentials) throws(OutboundBuildError)
        -> PlatformRequest
    {
        let (accountSID, authToken) = (credentials.accountSID, credentials.authToken)
        guard case .twilioMessage(let addressing) = message.kind else {
            throw .unsupportedKind(platform: platform, kind: message.kind)
        }
        var form: [(String, String)] = [("To", addressing.to)]
        switch addressing.sender {
        case .phoneNumber(let from): form.append(("From", from))
        case .messagingService(let sid): form.append(("MessagingServiceSid", sid))
        }
        form.append(("Body", message.text))
        form += addressing.mediaURLs.map { ("MediaUrl", $0) }
        if let callback = addressing.statusCallback { form.append(("StatusCallback", callback)) }
        let basic = Data("\(accountSID):\(authToken)".utf8).base64EncodedString()
        return PlatformRequest(
            method: "POST",
            url:
                "\(endpoint.baseURL)/\(endpoint.version)/Accounts/\(PercentEncoding.component(accountSID))/Messages.json",
            headers: ["authorization": "Basic \(basic)", "content-type": "application/x-www-form-urlencoded"],
            body: Array(PercentEncoding.form(form).utf8))
    }

    public func outcome(of response: PlatformResponse, for message: OutboundMessage) -> OutboundOutcome {
        let json = WireJSON.parse(response.body)
        if (200..<300).contains(response.status), let sid = json?["sid"]?.text {
            return .sent(platformMessageID: sid)
        }
        guard let code = json?["code"]?.integer else {
            return HTTPStatusOutcome.classify(response, platform: "Twilio")
        }
        let detail = "Twilio \(code): \(json?["message"]?.text ?? "")"
        switch code {
        case 21610:
            return .failed(reason: .recipientOptedOut, detail: detail)
        case 21211, 21612, 21614:
            return .failed(reason: .recipientUnavailable, detail: detail)
        case 21606:
            return .failed(
                reason: .other,
                detail: "\(detail) (our sending number cannot message this destination: check the number's"
                    + " capabilities or the Messaging Service's sender pool)")
        case 21608:
            return .failed(
                reason: .other,
                detail: "\(detail) (our Twilio account is a trial account: upgrade it or verify the number)")
        case 20003:
            return .failed(reason: .tokenInvalid, detail: detail)
        case 20429:
            return HTTPStatusOutcome.classify(PlatformResponse(status: 429, headers: response.headers), platform: "")
        default:
            return HTTPStatusOutcome.classify(response, platform: "Twilio")
        }
    }
}
