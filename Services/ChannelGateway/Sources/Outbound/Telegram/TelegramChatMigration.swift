import Foundation

/// Telegram's "group chat was upgraded to a supergroup chat": a 400 whose
/// `parameters.migrate_to_chat_id` is the supergroup's id (Bot API `ResponseParameters`,
/// CHANNELS.md §7.4 lists `parameters`). The old chat id no longer takes messages.
///
/// The outcome stays `failed(reason: .other, detail:)` so every caller that does not know about
/// migrations handles it as a final failure; the new chat id travels at the end of the detail in
/// one fixed form, which ``OutboundOutcome/telegramMigratedChatID`` reads back. What the delivery
/// worker does with it (``DeliveryWorker``): nothing was sent (Telegram refused the request), so it
/// sends this delivery again to `.telegramMessage(chatID: newID)` at once, as the same try (only a
/// second refusal is final), keeps the new chat on the delivery (`moved_to_thread_key`: a retry
/// goes there) and reports it with the final state, so that conversation-service re-targets the
/// conversation's thread (later replies go there, and the supergroup's messages join it).
///
/// Not done: the service messages Telegram posts about the upgrade (`migrate_to_chat_id` in the old
/// group, `migrate_from_chat_id` in the new one) are parsed as ordinary (unsupported) messages and
/// re-target nothing; a conversation is re-targeted by its first reply after the upgrade. When the
/// supergroup's messages arrived first, they have their own conversation and the old one keeps its
/// thread (conversation-service does not merge them).
enum TelegramChatMigration {
    static let marker = "; migrate_to_chat_id="

    static func detail(_ detail: String, newChatID: Int64) -> String {
        detail + marker + String(newChatID)
    }

    static func newChatID(in detail: String) -> String? {
        guard detail.hasPrefix("Telegram "), let range = detail.range(of: marker, options: .backwards) else {
            return nil
        }
        let id = String(detail[range.upperBound...])
        return Int64(id) == nil ? nil : id
    }
}

extension OutboundOutcome {
    /// The chat a Telegram group moved to when this outcome is Telegram's refusal to send to the
    /// group's old id (``TelegramChatMigration``); nil for every other outcome. Send again there.
    public var telegramMigratedChatID: String? {
        guard case .failed(.other, let detail) = self else { return nil }
        return TelegramChatMigration.newChatID(in: detail)
    }
}
