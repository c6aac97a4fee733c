import Foundation
import GRPCCore
import GRPCProtobuf
import InboxAPI
import SwiftProtobuf

/// Why policy refused a reply, from SendReply's error details (the `ErrorInfo` reason and the
/// typed `ReplyRefusal`), never from the message text.
struct PolicyRefusal: Sendable {
    var reason: String
    var refusalReason: String
    var message: String
    var windowEndsAt: Date?

    init(_ error: RPCError) {
        var reason = ""
        var refusal: Inbox_V1_ReplyRefusal?
        if let status = try? error.unpackGoogleRPCStatus() {
            for detail in status.details {
                if let info = detail.errorInfo, reason.isEmpty {
                    reason = info.reason
                } else if let any = detail.any, let typed = try? Inbox_V1_ReplyRefusal(unpackingAny: any) {
                    refusal = typed
                }
            }
        }
        self.reason = reason
        self.refusalReason = refusal.map { ProtoName.of($0.reason) } ?? ""
        self.message = refusal.map(\.message).flatMap { $0.isEmpty ? nil : $0 } ?? error.message
        self.windowEndsAt = refusal.flatMap { $0.hasWindowEndsAt ? $0.windowEndsAt.date : nil }
    }
}

/// A planned reply and what became of it.
struct SentReply: Sendable {
    var plan: PlannedReply
    var conversation: Inbox_V1_Conversation
    /// The stored outbound message; nil when policy refused the reply.
    var message: Inbox_V1_Message?
    var refusal: PolicyRefusal?
    var state: Inbox_V1_DeliveryState = .unspecified
    var platformMessageID = ""
    var failure = ""
    /// The webhook or receipt that follows the send was posted and answered 200.
    var followed = false
    /// The gateway holds the echo as ECHO (Messenger).
    var echoReconciled = false

    /// Nothing more will happen to it in the demo.
    var isSettled: Bool {
        guard self.message != nil else { return true }
        if self.state == .failed || !self.failure.isEmpty { return true }
        switch self.plan.follow {
        case .nothing: return self.state.rawValue >= Inbox_V1_DeliveryState.sent.rawValue
        case .whatsAppDelivered, .webChatReceipt: return self.state == .delivered || self.state == .read
        case .messengerEcho: return self.echoReconciled
        }
    }
}

/// The reply phase: SendReply (as agent alice) to a few conversations, one of which policy refuses
/// with its reason and the window's end; then the delivery states as they move, PENDING → SENT
/// from the delivery worker and, where a platform reports it, → DELIVERED from the status webhook
/// the fake WhatsApp posts or the receipt the web-chat widget sends; and the Messenger echo of a
/// reply, which the gateway must reconcile rather than ingest.
struct ReplyPhase {
    let clients: InboxClients
    let shop: DemoShop
    let fakes: PlatformFakesClient
    let visitor: WebChatVisitor
    let console: Console
    /// Keeps the idempotency keys apart from an earlier demo's.
    let runTag: String
    let patience: Duration

    func run(_ plans: [PlannedReply], conversations: [Inbox_V1_Conversation]) async throws -> [SentReply] {
        self.console.line()
        self.console.line("Replies (SendReply as agent alice; policy-service decides each one):")
        var replies: [SentReply] = []
        for (index, plan) in plans.enumerated() {
            guard let conversation = Self.conversation(for: plan, in: conversations) else {
                throw DemoFailure(
                    "the inbox has no \(plan.platform.title) conversation with \(plan.customer ?? "its customer")")
            }
            var reply = SentReply(plan: plan, conversation: conversation)
            let who =
                "\(plan.platform.title.padded(to: 9)) \(InboxRows.customer(conversation.contact).cut(to: 18).padded(to: 18))"
            do {
                let message = try await self.clients.conversations.sendReply(
                    .with {
                        $0.conversationID = conversation.id
                        $0.idempotencyKey = "inbox-demo-\(self.runTag)-reply-\(index)"
                        $0.text = plan.text
                    }, metadata: self.shop.agent, options: InboxClients.options)
                reply.message = message
                reply.state = message.deliveryState
                self.console.line(
                    "  → \(who) “\(plan.text.cut(to: 44))” accepted: \(ProtoName.of(message.deliveryState))")
            } catch let error as RPCError where error.code == .failedPrecondition {
                let refusal = PolicyRefusal(error)
                reply.refusal = refusal
                let reason = [refusal.refusalReason, refusal.reason].filter { !$0.isEmpty }.joined(separator: ", ")
                self.console.line("  ✗ \(who) “\(plan.text.cut(to: 44))” refused: \(refusal.message) [\(reason)]")
                if let end = refusal.windowEndsAt {
                    let verb = end < Date() ? "closed" : "closes"
                    self.console.line("      the reply window \(verb) at \(Span.moment(end))")
                }
                if conversation.hasLastCustomerMessageAt {
                    self.console.line(
                        "      the customer's last message: \(Span.moment(conversation.lastCustomerMessageAt.date))")
                }
            }
            replies.append(reply)
        }
        self.console.line()
        self.console.line("Delivery states (ListMessages), as the worker sends and the platforms report:")
        try await self.follow(&replies)
        return replies
    }

    /// The conversation a reply goes to: the platform's direct-message conversation with the
    /// customer (by thread key or contact id), or its only one.
    static func conversation(for plan: PlannedReply, in conversations: [Inbox_V1_Conversation])
        -> Inbox_V1_Conversation?
    {
        conversations.first { conversation in
            guard conversation.platform == plan.platform.proto, conversation.kind == .directMessage else {
                return false
            }
            guard let customer = plan.customer else { return true }
            return conversation.threadKey == customer || conversation.contact.platformUserID == customer
        }
    }

    /// Polls every accepted reply until it is settled (or the patience runs out), printing each
    /// change of state and posting what follows a send: the WhatsApp status, the Messenger echo,
    /// the widget's receipt.
    private func follow(_ replies: inout [SentReply]) async throws {
        let deadline = ContinuousClock.now + self.patience
        while replies.contains(where: { !$0.isSettled }), ContinuousClock.now < deadline {
            for index in replies.indices where !replies[index].isSettled {
                guard let sent = replies[index].message else { continue }
                let who = replies[index].plan.platform.title.padded(to: 9)
                if let current = try await self.message(sent.id, in: replies[index].conversation.id),
                    current.deliveryState != replies[index].state
                {
                    let detail = current.platformMessageID.isEmpty ? "" : " (\(current.platformMessageID))"
                    let failure =
                        current.deliveryState == .failed
                        ? " \(ProtoName.of(current.failureReason)): \(current.failureDetail)" : ""
                    self.console.event(
                        "\(who) \(ProtoName.of(replies[index].state)) → \(ProtoName.of(current.deliveryState))"
                            + detail + failure)
                    replies[index].state = current.deliveryState
                    replies[index].platformMessageID = current.platformMessageID
                }
                try await self.followUp(&replies[index], who: who)
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        for reply in replies where !reply.isSettled {
            self.console.event(
                "\(reply.plan.platform.title.padded(to: 9)) still \(ProtoName.of(reply.state)) after \(self.patience)")
        }
    }

    /// Once a reply is SENT, what the platform does next: the fake WhatsApp posts `delivered`, the
    /// fake Messenger the echo, the widget a receipt; then, for the echo, until the gateway holds it
    /// as ECHO.
    private func followUp(_ reply: inout SentReply, who: String) async throws {
        let sent = [Inbox_V1_DeliveryState.sent, .delivered, .read].contains(reply.state)
        guard sent, reply.failure.isEmpty else { return }
        if !reply.followed {
            switch reply.plan.follow {
            case .nothing:
                return
            case .whatsAppDelivered:
                let status = try await self.fakes.postWhatsAppStatus("delivered", of: reply.platformMessageID)
                self.console.event(
                    "\(who) the fake WhatsApp posted the status “delivered” → the gateway answered \(status)")
                if status == 200 { reply.followed = true } else { reply.failure = "status webhook answered \(status)" }
            case .messengerEcho:
                let status = try await self.fakes.postMessengerEcho(of: reply.platformMessageID)
                self.console.event(
                    "\(who) the fake Messenger posted the echo of the reply → the gateway answered \(status)")
                if status == 200 { reply.followed = true } else { reply.failure = "echo webhook answered \(status)" }
            case .webChatReceipt:
                let ids = try await self.visitor.agentMessageIDs()
                guard !ids.isEmpty else { return }  // the worker writes the transcript before SENT; look again
                let status = try await self.visitor.acknowledge(ids, state: "delivered")
                self.console.event(
                    "\(who) the visitor's widget sent the receipt “delivered” → the gateway answered \(status)")
                if status == 200 { reply.followed = true } else { reply.failure = "receipt answered \(status)" }
            }
        }
        if reply.followed, reply.plan.follow == .messengerEcho, !reply.echoReconciled,
            let channel = self.shop.channels[.facebook]
        {
            let echoes = try await self.clients.gateway.listInboundEvents(
                .with {
                    $0.channelID = channel.id
                    $0.states = [.echo]
                    $0.pageSize = 100
                }, metadata: self.shop.admin, options: InboxClients.options)
            if !echoes.events.isEmpty {
                reply.echoReconciled = true
                self.console.event(
                    "\(who) the echo is reconciled with the reply (gateway state ECHO), no message added")
            }
        }
    }

    private func message(_ id: String, in conversationID: String) async throws -> Inbox_V1_Message? {
        try await self.clients.conversations.listMessages(
            .with {
                $0.conversationID = conversationID
                $0.pageSize = 100
            }, metadata: self.shop.agent, options: InboxClients.options
        ).messages.first { $0.id == id }
    }
}

/// An enum value by its proto name without the type's prefix (`templateRequired` →
/// `TEMPLATE_REQUIRED`), as the README's tables and inboxctl show them.
enum ProtoName {
    static func of(_ value: some SwiftProtobuf.Enum) -> String {
        guard value.rawValue != 0 else { return "UNSPECIFIED" }
        var name = ""
        var previous: Character?
        for character in String(describing: value) {
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber { name.append("_") }
            name += character.uppercased()
            previous = character
        }
        return name
    }
}
