import Foundation
import PlatformJSON

/// The webhooks Meta sends about messages this fake accepted, posted when a test asks (so the
/// test decides their order, as the platform's out-of-order deliveries may), signed and shaped
/// exactly as Meta's, to the target of ``MetaGraphFake/deliverStatusWebhooks(to:using:)``:
/// WhatsApp `statuses[]` (§3.3c) and Messenger echoes (§1.3c).
extension MetaGraphFake {
    /// WhatsApp: posts the `status` (`sent`, `delivered`, `read`, `failed` with `errorCode`) of
    /// the message this fake answered with `wamid`; returns the receiver's HTTP status.
    @discardableResult
    public func postStatus(_ status: String, of wamid: String, errorCode: Int? = nil) async throws -> Int {
        guard flavour == .whatsApp else { throw FakeWebhookError("statuses are WhatsApp's; this fake is \(flavour)") }
        let (target, poster, sent) = try webhookTarget(for: wamid)
        let payload = WebhookPayloads.whatsAppStatus(
            wabaID: "102290129340398", phoneNumberID: accountIDs.first { $0 != "me" } ?? "", messageID: wamid,
            status: status, recipientID: sent.recipientID, timestamp: Int64(Date().timeIntervalSince1970),
            errorCode: errorCode)
        let webhook = MetaWebhookSigner.signed(payload, url: target.url, appSecret: target.secret)
        return try await poster.post(webhook).status
    }

    /// Messenger: posts the echo of the message this fake answered with `messageID`, as a Page
    /// subscribed to `message_echoes` receives it; returns the receiver's HTTP status.
    @discardableResult
    public func postEcho(of messageID: String) async throws -> Int {
        guard flavour == .facebook else {
            throw FakeWebhookError("echoes are posted for the Facebook flavour only; this fake is \(flavour)")
        }
        let (target, poster, sent) = try webhookTarget(for: messageID)
        let payload = WebhookPayloads.messengerEcho(
            pageID: accountIDs.first { $0 != "me" } ?? "", recipientPSID: sent.recipientID, mid: messageID,
            text: sent.text, appID: 1_517_776_481_860_111, timestamp: Int64(Date().timeIntervalSince1970 * 1000))
        let webhook = MetaWebhookSigner.signed(payload, url: target.url, appSecret: target.secret)
        return try await poster.post(webhook).status
    }

    private func webhookTarget(for messageID: String) throws -> (
        WebhookTarget, WebhookPoster, (recipientID: String, text: String)
    ) {
        guard let (target, poster) = statusWebhook.withLock({ $0 }) else {
            throw FakeWebhookError("no webhook target: call deliverStatusWebhooks(to:using:) first")
        }
        guard let sent = sentMessages.withLock({ $0[messageID] }) else {
            throw FakeWebhookError("this fake sent no message \(messageID)")
        }
        return (target, poster, sent)
    }
}

/// A fake was asked for a webhook it cannot send.
public struct FakeWebhookError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
