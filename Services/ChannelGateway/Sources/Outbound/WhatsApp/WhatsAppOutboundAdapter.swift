import PlatformJSON

/// WhatsApp Cloud API: free-form text (quoting the customer's message through `context`) and
/// approved templates, `POST /{version}/{phone-number-id}/messages`.
///
/// A 200 with a `wamid` is reported as `sent`, even though a free-form send outside the window is
/// usually accepted and then fails asynchronously (status webhook `failed`, 131047, CHANNELS.md
/// §3.4): that later failure reaches the delivery through the inbound status path, not from here.
///
/// The customer is addressed by phone number (`to`) or, for a user who adopted a username, by
/// business-scoped user id (`recipient`, CHANNELS.md §3.3a). Decision: an id containing a `.` or
/// a letter is a BSUID (`US.13491208655302741918`, `user.9373795779eb6441`); digits, with an
/// optional `+` and separators, are a phone number. Meta answers 131062 where a message type
/// cannot go to a BSUID (`other`).
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
            body[Self.addressField(for: to)] = .string(to)
            body["type"] = "text"
            body["text"] = ["preview_url": false, "body": .string(message.text)]
            if let quoted = message.quotedMessageID { body["context"] = ["message_id": .string(quoted)] }
        case .whatsAppTemplate(let to, let template):
            body[Self.addressField(for: to)] = .string(to)
            body["type"] = "template"
            body["template"] = Self.templateObject(template)
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

    /// `recipient` for a business-scoped user id, `to` for a phone number (see the type's comment).
    static func addressField(for id: String) -> String {
        isBusinessScopedUserID(id) ? "recipient" : "to"
    }

    /// A BSUID has a country prefix and a dot (`US.1349...`); a phone number has neither.
    static func isBusinessScopedUserID(_ id: String) -> Bool {
        id.contains { $0 == "." || $0.isLetter }
    }

    /// `{"name","language","components":[header?, body?]}`: positional body variables first, then
    /// named ones (`parameter_name`); a template uses one form, so one of the two is empty.
    static func templateObject(_ template: WhatsAppTemplate) -> WireJSON {
        var fields: [String: WireJSON] = [
            "name": .string(template.name), "language": ["code": .string(template.languageCode)],
        ]
        var components: [WireJSON] = []
        if let header = template.header {
            components.append(["type": "header", "parameters": [headerParameter(header)]])
        }
        var parameters = template.bodyParameters.map { WireJSON.object(["type": "text", "text": .string($0)]) }
        parameters += template.namedBodyParameters.map {
            WireJSON.object(["type": "text", "parameter_name": .string($0.name), "text": .string($0.text)])
        }
        if !parameters.isEmpty {
            components.append(["type": "body", "parameters": .array(parameters)])
        }
        if !components.isEmpty { fields["components"] = .array(components) }
        return .object(fields)
    }

    private static func headerParameter(_ header: WhatsAppTemplate.Header) -> WireJSON {
        switch header {
        case .text(let text, let parameterName):
            var parameter: [String: WireJSON] = ["type": "text", "text": .string(text)]
            if let parameterName { parameter["parameter_name"] = .string(parameterName) }
            return .object(parameter)
        case .image(let media):
            return ["type": "image", "image": .object(mediaObject(media))]
        case .video(let media):
            return ["type": "video", "video": .object(mediaObject(media))]
        case .document(let media, let filename):
            var document = mediaObject(media)
            if let filename { document["filename"] = .string(filename) }
            return ["type": "document", "document": .object(document)]
        }
    }

    /// `{"link": ...}` or `{"id": ...}`.
    private static func mediaObject(_ media: WhatsAppTemplate.Media) -> [String: WireJSON] {
        switch media {
        case .link(let link): ["link": .string(link)]
        case .id(let id): ["id": .string(id)]
        }
    }
}
