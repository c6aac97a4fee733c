public import struct Foundation.Date

/// WhatsApp Business Cloud API webhooks (CHANNELS.md §3): the `messages` field with `messages[]`
/// (every message type) and `statuses[]`, and Coexistence `smb_message_echoes`.
///
/// Every entry, change, `messages[]`, `message_echoes[]` and `statuses[]` item is parsed on its
/// own: one that does not parse is kept UNPARSED at its path
/// (`entry[0].changes[0].value.messages[1]`) and the rest still become events.
public struct WhatsAppWebhookAdapter: WebhookAdapter {
    public typealias Secrets = MetaWebhookSecrets

    public static let platform = Platform.whatsapp

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: MetaWebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        var batch = InboundBatch(platform: .whatsapp, receivedAt: now)
        switch try MetaWebhook.open(request, secrets: secrets, object: "whatsapp_business_account", into: &batch) {
        case .handshake(let reply):
            return .handshake(reply)
        case .entries(let entries):
            for entry in entries {
                let changes: [JSONNode]
                do {
                    changes = try entry.optionalArray("changes")
                } catch {
                    batch.keep(entry, accountID: nil, error: error)
                    continue
                }
                for change in changes {
                    Self.parse(change, into: &batch)
                }
            }
            return batch.outcome(reply: .emptyOK)
        }
    }

    /// One change: the field first (others need no `value`), then the value's envelope, then each
    /// item on its own. Items are routed by the value's `metadata.phone_number_id`.
    static func parse(_ change: JSONNode, into batch: inout InboundBatch) {
        let phoneNumberID: String
        let contacts: [JSONNode]
        let messages: [JSONNode]
        let echoes: [JSONNode]
        let statuses: [JSONNode]
        do {
            let field = try change.string("field")
            guard field == "messages" || field == "smb_message_echoes" else { return }
            let value = try change.field("value")
            phoneNumberID = try value.field("metadata").id("phone_number_id")
            contacts = try value.optionalArray("contacts")
            messages = try value.optionalArray("messages")
            echoes = try value.optionalArray("message_echoes")
            statuses = try value.optionalArray("statuses")
        } catch {
            batch.keep(change, accountID: nil, error: error)
            return
        }
        for message in messages {
            batch.add(message, accountID: phoneNumberID) { (node) throws(WebhookError) -> [InboundEvent] in
                [try WhatsAppMessage(node: node, phoneNumberID: phoneNumberID, contacts: contacts).event(isEcho: false)]
            }
        }
        for echo in echoes {
            batch.add(echo, accountID: phoneNumberID) { (node) throws(WebhookError) -> [InboundEvent] in
                [try WhatsAppMessage(node: node, phoneNumberID: phoneNumberID, contacts: contacts).event(isEcho: true)]
            }
        }
        for status in statuses {
            batch.add(status, accountID: phoneNumberID) { (node) throws(WebhookError) -> [InboundEvent] in
                [try Self.statusEvent(node, phoneNumberID: phoneNumberID)]
            }
        }
    }

    /// A status of one of our outbound messages. Its id is `<wamid>:<status>` (§3.5): one message
    /// goes through sent, delivered and read, each a separate event, while a re-delivery of one
    /// status repeats its id; the wamid alone would drop every status after the first.
    static func statusEvent(_ status: JSONNode, phoneNumberID: String) throws(WebhookError) -> InboundEvent {
        let messageID = try status.id("id")
        let platformStatus = try status.string("status")
        let state: DeliveryStatusUpdate.State
        switch platformStatus {
        case "sent": state = .sent
        case "delivered": state = .delivered
        case "read", "played": state = .read
        case "failed": state = .failed
        default: state = .pending
        }
        let firstError = try status.optionalArray("errors").first
        let errorCode = try firstError?.optional("code")?.id()
        let details = try firstError?.optional("error_data")?.optionalString("details")
        let title = try firstError?.optionalString(anyOf: "message", "title")
        let recipient = try status.optionalString(anyOf: "recipient_user_id", "recipient_id")
        return InboundEvent(
            platform: .whatsapp, accountID: phoneNumberID, kind: .deliveryStatus,
            eventID: "\(messageID):\(platformStatus)", messageID: messageID, threadKey: recipient ?? "",
            occurredAt: try status.field("timestamp").unixSeconds(),
            deliveryStatus: DeliveryStatusUpdate(
                messageID: messageID, state: state, platformStatus: platformStatus, errorCode: errorCode,
                errorText: details ?? title))
    }
}
