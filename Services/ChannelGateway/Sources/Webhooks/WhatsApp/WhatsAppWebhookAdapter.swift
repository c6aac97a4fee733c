public import struct Foundation.Date

/// WhatsApp Business Cloud API webhooks (CHANNELS.md §3): the `messages` field with `messages[]`
/// (every message type) and `statuses[]`, and Coexistence `smb_message_echoes`.
public struct WhatsAppWebhookAdapter: WebhookAdapter {
    public static let platform = Platform.whatsapp

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: WebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        switch try MetaWebhook.open(request, secrets: secrets, object: "whatsapp_business_account") {
        case .handshake(let reply):
            return .handshake(reply)
        case .entries(let entries):
            var events: [InboundEvent] = []
            for entry in entries {
                for change in try entry.optionalArray("changes") {
                    let field = try change.string("field")
                    guard field == "messages" || field == "smb_message_echoes" else { continue }
                    events += try Self.events(in: try change.field("value"))
                }
            }
            return .events(events, reply: .emptyOK)
        }
    }

    static func events(in value: JSONNode) throws(WebhookError) -> [InboundEvent] {
        let phoneNumberID = try value.field("metadata").id("phone_number_id")
        let contacts = try value.optionalArray("contacts")
        var events: [InboundEvent] = []
        for message in try value.optionalArray("messages") {
            let message = WhatsAppMessage(node: message, phoneNumberID: phoneNumberID, contacts: contacts)
            events.append(try message.event(isEcho: false))
        }
        for echo in try value.optionalArray("message_echoes") {
            let message = WhatsAppMessage(node: echo, phoneNumberID: phoneNumberID, contacts: contacts)
            events.append(try message.event(isEcho: true))
        }
        for status in try value.optionalArray("statuses") {
            events.append(try statusEvent(status, phoneNumberID: phoneNumberID))
        }
        return events
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
