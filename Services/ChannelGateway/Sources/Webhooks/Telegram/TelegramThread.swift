/// How Telegram chats become thread keys and message ids, in one place for the webhook parser and
/// the outbound side (which records our sent messages under the ids the webhooks use).
///
/// A bot's own chat is keyed by its chat id (a private chat's id is the user's; a group's is
/// negative and no member's). A Telegram Business chat — a private chat of a business account
/// connected to the bot, seen through `business_connection_id` — is another chat, although its id
/// is the customer's user id too (Bot API `Message.business_connection_id`: the chat "is independent
/// from any potential bot chat which might share the same identifier"). It is keyed
/// `<chat id>@<business connection id>`: a customer who writes both to the bot and to the business
/// has two conversations, and the message ids of one chat (unique per chat only) never collide with
/// the other's. A business that connects the bot again gets a new connection id, hence new threads.
///
/// Message ids are `<thread key>:<message id>`; the outbound side quotes a message by the part after
/// the last `:` (``Inbox_V1_DeliverMessageRequest/quotedMessageID(_:kind:)``).
enum TelegramThread {
    static func key(chatID: String, businessConnectionID: String?) -> String {
        guard let connection = businessConnectionID, !connection.isEmpty else { return chatID }
        return "\(chatID)@\(connection)"
    }

    static func messageID(_ messageID: String, chatID: String, businessConnectionID: String?) -> String {
        "\(Self.key(chatID: chatID, businessConnectionID: businessConnectionID)):\(messageID)"
    }
}
