import ArgumentParser
import InboxAPI

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `inboxctl reply`: conversation-service's SendReply, under an idempotency key.
struct ReplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reply",
        abstract: "Answer a conversation (SendReply): policy decides first, then the gateway sends it.",
        discussion: """
            Needs an agent or admin token. The reply is stored PENDING and sent by the gateway; `inboxctl \
            conversations show <conversation>` shows its delivery state. Every reply has an idempotency key: \
            --key, or a new one that is printed, so a retry with the same key never sends twice.

            A refusal prints policy's reason and the reply window's end (from the ReplyRefusal in the error's \
            details) and what to do: --human-agent-tag where Meta's tag allows a person's reply, a template \
            where WhatsApp's 24-hour window has closed.

            Examples:
              inboxctl reply 0190f1d2-0000-7000-8000-000000000001 "It ships today."
              inboxctl reply 0190f1d2-0000-7000-8000-000000000001 "Still there?" --human-agent-tag --key follow-up-1
              inboxctl reply 0190f1d2-0000-7000-8000-000000000001 --template order_update --language en \\
                  --param 4711 --param tomorrow
              inboxctl reply 0190f1d2-0000-7000-8000-000000000002 "Sent you a DM" --send-kind public
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The conversation id.")
    var conversation: String

    @Argument(help: "The text (or --template).")
    var text: String?

    @Option(help: "Idempotency key (default: a new one, printed).")
    var key: String?

    @Flag(help: "Allow Meta's human-agent tag when policy asks for it (a reply a person wrote).")
    var humanAgentTag = false

    @Option(help: "direct-message, public-reply or private-reply (default: the conversation's usual kind).")
    var sendKind: String?

    @Option(help: "The message answered (a comment's message id, for public and private replies).")
    var replyTo: String?

    @Option(help: "An approved template's name (WhatsApp outside the 24-hour window).")
    var template: String?

    @Option(help: "The template's language code (en, en_US, ...).")
    var language: String?

    @Option(help: "The template's next positional body variable ({{1}}, {{2}}, ...; repeatable).")
    var param: [String] = []

    func validate() throws {
        guard (self.text == nil) != (self.template == nil) else {
            throw ValidationError("give either the text or --template")
        }
        if self.template == nil, self.language != nil || !self.param.isEmpty {
            throw ValidationError("--language and --param go with --template")
        }
        if self.template != nil, self.language == nil {
            throw ValidationError("--template needs --language")
        }
    }

    func run() async throws {
        var sendKind = Inbox_V1_SendKind.unspecified
        if let text = self.sendKind {
            sendKind = try Names.parse(
                text, option: "--send-kind",
                aliases: ["DM": .directMessage, "PUBLIC": .publicReply, "PRIVATE": .privateReply])
        }
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let key = self.key ?? "inboxctl-\(UUID().uuidString.lowercased())"
        if self.key == nil {
            Output.note("idempotency key: \(key) (run again with --key \(key) to retry without sending twice)")
        }
        let request = Inbox_V1_SendReplyRequest.with {
            $0.conversationID = self.conversation
            $0.idempotencyKey = key
            if let name = self.template {
                $0.template = .with {
                    $0.name = name
                    $0.languageCode = self.language ?? ""
                    $0.bodyParameters = self.param
                }
            } else {
                $0.text = self.text ?? ""
            }
            $0.sendKind = sendKind
            $0.replyToMessageID = self.replyTo ?? ""
            $0.allowHumanAgentTag = self.humanAgentTag
        }
        let message = try await connection.conversations { conversations in
            try await conversations.sendReply(request, metadata: metadata, options: connection.options)
        }
        let output = Output(json: self.global.json)
        if output.json { return try output.message(message) }
        output.fields([
            ("Message", message.id),
            ("Conversation", message.conversationID),
            ("State", ConversationsShow.state(message)),
            ("Send kind", Format.label(message.sendKind)),
            ("Text", ConversationsShow.text(message)),
        ])
        Output.note("the gateway sends it; `inboxctl conversations show \(message.conversationID)` shows its delivery")
    }
}
