import InboxKit
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where a web-chat reply is "sent": the delivery worker hands it here instead of a platform API
/// (``OutboundSender``). The reply becomes a team message of the visitor's transcript, which
/// every open widget of that visitor, on any replica, receives live (``WebChatHub``); it is
/// SENT once written, DELIVERED and READ when the widget says so (``WebChatAPI/acknowledge``).
///
/// Writing is idempotent (the message id is a digest of the delivery's idempotency key), so a
/// delivery retried after a crash, or a transient database error, never shows a reply twice:
/// there is no MAYBE_SENT here.
struct WebChatReplies: Sendable {
    let transcript: WebChatTranscript
    let hub: WebChatHub
    let logger: Logger
    let now: @Sendable () -> Date

    func deliver(_ message: OutboundMessage, visitorID: String, channelID: UUID) async -> OutboundOutcome {
        let id = WebChatMessage.agentMessageID(idempotencyKey: message.idempotencyKey)
        do {
            let (_, created) = try await self.transcript.append(
                channelID: channelID, visitorID: visitorID,
                NewWebChatMessage(
                    id: id, direction: .agent, clientID: nil, text: message.text, author: nil, createdAt: self.now()))
            if created { self.hub.wake(channelID: channelID, visitorID: visitorID) }
            return .sent(platformMessageID: id)
        } catch let error as DomainError {
            return .failed(reason: .other, detail: error.message)
        } catch {
            self.logger.warning(
                "a web-chat reply could not be written; it is tried again",
                metadata: ["channel": "\(channelID.text)", "error": "\(String(reflecting: error))"])
            return .retryAfter(delay: nil, reason: .transient)
        }
    }
}
