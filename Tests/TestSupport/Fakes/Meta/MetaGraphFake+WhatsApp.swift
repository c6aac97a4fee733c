/// WhatsApp Cloud API `POST /{phone-number-id}/messages` and the asynchronous window failure.
extension MetaGraphFake {
    func whatsAppSend(_ request: FakeRequest, failAsynchronously: Bool) -> FakeResponse {
        guard let body = request.json, body["messaging_product"]?.text == "whatsapp" else {
            return MetaGraphErrors.missingParameter("messaging_product", flavour: flavour)
        }
        guard let to = body["to"]?.text, !to.isEmpty else {
            return MetaGraphErrors.missingParameter("to", flavour: flavour)
        }
        switch body["type"]?.text {
        case "text":
            guard let text = body["text"]?["body"]?.text, !text.isEmpty else {
                return MetaGraphErrors.missingParameter("text.body", flavour: flavour)
            }
        case "template":
            guard body["template"]?["name"]?.text != nil, body["template"]?["language"]?["code"]?.text != nil else {
                return MetaGraphErrors.missingParameter("template", flavour: flavour)
            }
        default:
            return MetaGraphErrors.missingParameter("type", flavour: flavour)
        }
        let wamid = "wamid.FAKE\(host.nextNumber())"
        if failAsynchronously, let (target, poster) = statusWebhook.withLock({ $0 }) {
            let payload = WebhookPayloads.whatsAppStatus(
                wabaID: "102290129340398", phoneNumberID: accountIDs.first { $0 != "me" } ?? "",
                messageID: wamid, status: "failed", recipientID: to, timestamp: 1_790_000_000,
                errorCode: 131_047)
            let webhook = MetaWebhookSigner.signed(payload, url: target.url, appSecret: target.secret)
            Task { try? await poster.post(webhook) }
        }
        return .json(
            200,
            [
                "messaging_product": "whatsapp", "contacts": [["input": .string(to), "wa_id": .string(to)]],
                "messages": [["id": .string(wamid)]],
            ])
    }
}
