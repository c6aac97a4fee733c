import PlatformJSON

/// WhatsApp Cloud API: free-form text (quoting the customer's message through `context`) and
/// approved templates, `POST /{version}/{phone-number-id}/messages`.
///
/// A 200 with a `wamid` is reported as `sent`, even though a free-form send outside the window is
/// usually accepted and then fails asynchronously (status webhook `failed`, 131047, CHANNELS.md
/// §3.4): that later failure reaches the delivery through the inbound status path, not from here.
public struct WhatsAppOutboundAdapter: OutboundAdapter {
    public let platform = Platform.whatsapp
    public var endpoint: PlatformEndpoint

    /// The WhatsApp Cloud API (graph.facebook.com).
    public static let api = PlatformAPI(
        .whatsapp, production: .init(baseURL: "https://graph.facebook.com", version: "v26.0"))
    public static var apis: [PlatformAPI] { [api] }

    public init(endpoint: PlatformEndpoint) {
        self.endpoint = endpoint
    }

    public init(endpoints: OutboundEndpoints) {
        self.init(endpoint: endpoints[Self.api])
    }

    public func request(for message: OutboundMessage, credentials: WhatsAppCredentials) throws(OutboundBuildError)
        -> PlatformRequest
    {
        let (phoneNumberID, token) = (credentials.phoneNumberID, credentials.accessToken)
        var body: [String: WireJSON] = ["messaging_product": "whatsapp", "recipient_type": "individual"]
        switch message.kind {
        case .whatsAppText(let to):
            body["to"] = .string(to)
            body["type"] = "text"
            body["text"] = ["preview_url": false, "body": .string(message.text)]
            if let quoted = message.quotedMessageID { body["context"] = ["message_id": .string(quoted)] }
        case .whatsAppTemplate(let to, let template):
            body["to"] = .string(to)
            body["type"] = "template"
            var fields: [String: WireJSON] = [
                "name": .string(template.name), "language": ["code": .string(template.languageCode)],
            ]
            if !template.bodyParameters.isEmpty {
                let parameters = template.bodyParameters.map {
                    WireJSON.object(["type": "text", "text": .string($0)])
                }
                fields["components"] = [["type": "body", "parameters": .array(parameters)]]
            }
            body["template"] = .object(fields)
        default:
            throw .unsupportedKind(platform: platform, kind: message.kind)
        }
        return MetaSendAPI.jsonRequest(
            url: "\(endpoint.baseURL)/\(endpoint.version)/\(PercentEncoding.component(phoneNumberID))/messages",
            token: token, body: .object(body))
    }

    public func outcome(of response: PlatformResponse, for message: OutboundMessage) -> OutboundOutcome {
        MetaGraphOutcome.classify(response) { $0["messages"]?[0]?["id"]?.text }
    }
}
