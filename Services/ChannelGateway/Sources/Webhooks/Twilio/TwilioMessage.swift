import Foundation

/// The parameters of one Twilio messaging webhook: an incoming message or a status callback
/// (recognised by `MessageStatus`).
struct TwilioMessage {
    /// Twilio's default opt-out keywords (§8.5).
    static let optOutKeywords: Set<String> = [
        "STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL",
    ]
    /// Opt-in keywords; the list is unconfirmed in CHANNELS.md (§8.5), these are Twilio's defaults.
    static let optInKeywords: Set<String> = ["START", "YES", "UNSTOP"]

    let params: [(name: String, value: String)]
    let now: Date

    private func value(_ name: String) -> String? {
        params.first { $0.name == name }?.value
    }

    private func required(_ name: String) throws(WebhookError) -> String {
        guard let value = value(name), !value.isEmpty else { throw .missingField(name) }
        return value
    }

    func event() throws(WebhookError) -> InboundEvent {
        let messageSID = try required("MessageSid")
        // Incoming messages carry `SmsStatus=received`; a `MessageStatus` of our own sends marks a
        // status callback.
        if let status = value("MessageStatus"), status != "received", status != "receiving" {
            return statusEvent(messageSID: messageSID, status: status)
        }
        let from = try required("From")
        let to = try required("To")
        let body = value("Body") ?? ""
        var event = InboundEvent(
            // An incoming message is its MessageSid, which a retry repeats (§8.5).
            platform: .twilio, accountID: to, kind: .directMessage, eventID: messageSID, messageID: messageSID,
            threadKey: from, author: InboundAuthor(platformID: from), text: body.isEmpty ? nil : body,
            // Twilio sends no timestamp: receipt time is the best there is.
            occurredAt: now)
        let mediaCount = value("NumMedia") ?? "0"
        guard let count = Int(mediaCount), (0...10).contains(count) else {
            throw .invalidValue("NumMedia", reason: "\(mediaCount.prefix(20)) is not a count from 0 to 10")
        }
        for index in 0..<count {
            let url = try required("MediaUrl\(index)")
            let mime = value("MediaContentType\(index)")
            let kind: InboundAttachment.Kind
            switch mime?.split(separator: "/").first {
            case "image": kind = .image
            case "video": kind = .video
            case "audio": kind = .audio
            default: kind = .file
            }
            event.attachments.append(InboundAttachment(kind: kind, url: url, mimeType: mime))
        }
        event.optOut = optOutChange(body: body)
        return event
    }

    /// Keyword match on the whole trimmed body, case-insensitive; Advanced Opt-Out's `OptOutType`
    /// (unconfirmed name) wins when present.
    private func optOutChange(body: String) -> OptOutChange? {
        let keyword = body.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        switch value("OptOutType")?.uppercased() {
        case "STOP": return OptOutChange(optedOut: true, keyword: keyword)
        case "START": return OptOutChange(optedOut: false, keyword: keyword)
        default: break
        }
        if Self.optOutKeywords.contains(keyword) { return OptOutChange(optedOut: true, keyword: keyword) }
        if Self.optInKeywords.contains(keyword) { return OptOutChange(optedOut: false, keyword: keyword) }
        return nil
    }

    private func statusEvent(messageSID: String, status: String) -> InboundEvent {
        let state: DeliveryStatusUpdate.State
        switch status {
        case "sent": state = .sent
        case "delivered": state = .delivered
        case "read": state = .read
        case "failed", "undelivered", "canceled": state = .failed
        // queued, sending, accepted, scheduled, and statuses newer than this code (kept raw).
        default: state = .pending
        }
        // On a status callback our number is `From` and the customer is `To`.
        let ours = value("From")
        let customer = value("To") ?? ""
        let errorCode = value("ErrorCode").flatMap { $0.isEmpty ? nil : $0 }
        return InboundEvent(
            // One callback per status of our message: `<MessageSid>:<status>`, so sent, delivered
            // and read are three events and never collide with an incoming message's bare sid.
            platform: .twilio, accountID: ours, kind: .deliveryStatus, eventID: "\(messageSID):\(status)",
            messageID: messageSID, threadKey: customer, occurredAt: now,
            deliveryStatus: DeliveryStatusUpdate(
                messageID: messageSID, state: state, platformStatus: status, errorCode: errorCode,
                errorText: value("ErrorMessage")))
    }
}
