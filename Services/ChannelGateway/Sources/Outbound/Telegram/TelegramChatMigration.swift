import Foundation

/// Telegram's "group chat was upgraded to a supergroup chat": a 400 whose
/// `parameters.migrate_to_chat_id` is the supergroup's id (Bot API `ResponseParameters`,
/// CHANNELS.md §7.4 lists `parameters`). The old chat id no longer takes messages.
///
/// The outcome stays `failed(reason: .other, detail:)` so every caller that does not know about
/// migrations handles it as a final failure; the new chat id travels at the end of the detail in
/// one fixed form, which ``OutboundOutcome/telegramMigratedChatID`` reads back. What the delivery
/// worker does with it: nothing was sent (Telegram refused the request), so re-target the
/// conversation's chat to the new id (for later replies and for matching the supergroup's inbound
/// messages to the same conversation) and send this delivery again to `.telegramMessage(chatID:
/// newID)` at once, counting it as the same delivery; only a second refusal is final.
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
