import PlatformJSON

/// WhatsApp Cloud API `POST /{phone-number-id}/messages` and the asynchronous window failure.
///
/// The customer is a phone number in `to` or a business-scoped user id in `recipient` (CHANNELS.md
/// §3.3a); a BSUID sent as `to` is refused (error 100), as is a template mixing positional and
/// named parameters (132012). A BSUID send is answered with `contacts[].user_id` instead of `wa_id`.
extension MetaGraphFake {
    func whatsAppSend(_ request: FakeRequest, failAsynchronously: Bool) -> FakeResponse {
        guard let body = request.json, body["messaging_product"]?.text == "whatsapp" else {
            return MetaGraphErrors.missingParameter("messaging_product", flavour: flavour)
        }
        let to = (body["to"]?.text).flatMap { $0.isEmpty ? nil : $0 }
        let bsuid = (body["recipient"]?.text).flatMap { $0.isEmpty ? nil : $0 }
        guard let address = to ?? bsuid else {
            return MetaGraphErrors.missingParameter("to", flavour: flavour)
        }
        if let to, Self.looksLikeBSUID(to) {
            return MetaGraphErrors.response(code: 100, flavour: flavour)
        }
        switch body["type"]?.text {
        case "text":
            guard let text = body["text"]?["body"]?.text, !text.isEmpty else {
                return MetaGraphErrors.missingParameter("text.body", flavour: flavour)
            }
        case "template":
            guard let template = body["template"], template["name"]?.text != nil,
                template["language"]?["code"]?.text != nil
            else {
                return MetaGraphErrors.missingParameter("template", flavour: flavour)
            }
            if Self.mixesParameterFormats(template) {
                return MetaGraphErrors.response(code: 132_012, flavour: flavour)
            }
        default:
            return MetaGraphErrors.missingParameter("type", flavour: flavour)
        }
        let wamid = "wamid.FAKE\(host.nextNumber())"
        let content = body["text"]?["body"]?.text ?? body["template"]?["name"]?.text ?? ""
        sentMessages.withLock { $0[wamid] = (recipientID: address, text: content) }
        if failAsynchronously, let (target, poster) = statusWebhook.withLock({ $0 }) {
            let payload = WebhookPayloads.whatsAppStatus(
                wabaID: "102290129340398", phoneNumberID: accountIDs.first { $0 != "me" } ?? "",
                messageID: wamid, status: "failed", recipientID: address, timestamp: 1_790_000_000,
                errorCode: 131_047)
            let webhook = MetaWebhookSigner.signed(payload, url: target.url, appSecret: target.secret)
            Task { try? await poster.post(webhook) }
        }
        let contact: WireJSON =
            to != nil
            ? ["input": .string(address), "wa_id": .string(address)]
            : ["input": .string(address), "user_id": .string(address)]
        return .json(
            200,
            ["messaging_product": "whatsapp", "contacts": [contact], "messages": [["id": .string(wamid)]]])
    }

    /// `US.13491208655302741918`: a country code, a dot, the rest.
    static func looksLikeBSUID(_ id: String) -> Bool {
        id.contains { $0 == "." || $0.isLetter }
    }

    /// Some parameter of the template has `parameter_name` and another has none.
    static func mixesParameterFormats(_ template: WireJSON) -> Bool {
        guard case .array(let components) = template["components"] else { return false }
        var named = false
        var positional = false
        for component in components {
            guard case .array(let parameters) = component["parameters"] else { continue }
            for parameter in parameters where parameter["type"]?.text == "text" {
                if parameter["parameter_name"]?.text != nil { named = true } else { positional = true }
            }
        }
        return named && positional
    }
}
