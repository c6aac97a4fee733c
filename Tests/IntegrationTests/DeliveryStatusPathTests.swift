import AsyncHTTPClient
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import Logging
import PlatformJSON
import PostgresNIO
import Synchronization
import TestSupport
import Testing

/// What happens to a reply after the platform accepted it, end to end: the four executables over
/// real sockets (as ReplyPathTests) and fake WhatsApp and Facebook Graph APIs over real HTTP.
///
/// The fakes post the platform's webhooks themselves, signed as Meta signs them, to the gateway's
/// real HTTP endpoint for the channel (``MetaGraphFake/postStatus(_:of:errorCode:)``,
/// ``MetaGraphFake/postEcho(of:)``); the test says when, so it decides their order, as the
/// platform's out-of-order deliveries may:
/// - WhatsApp: SendReply → SENT with the fake's wamid → `delivered`, then `read`, then a stale
///   `sent`: ListMessages shows DELIVERED then READ and never goes back, a WatchConversations stream
///   opened before the reply sees MESSAGE_UPDATED for each step, and the gateway's GetDelivery
///   shows READ too;
/// - Messenger: the echo of our sent message (`message_echoes`) adds no message: the conversation
///   keeps its two messages, and our reply its id and the echo's `mid`.
@Suite("The reply path after the send: status webhooks move a reply forward, echoes reconcile")
struct DeliveryStatusPathTests {
    static let appSecret = "meta-app-secret"
    static let verifyToken = "meta-verify-token"
    static let accessToken = "EAAfakeGraphToken"
    static let phoneNumberID = "106540352242922"
    static let pageID = "111000111"

    @Test func statusWebhooksMoveAReplyForwardOnlyAndAMessengerEchoAddsNoMessage() async throws {
        let whatsApp = try await MetaGraphFake.start(
            .whatsApp, accountIDs: [Self.phoneNumberID], accessToken: Self.accessToken)
        let facebook = try await MetaGraphFake.start(
            .facebook, accountIDs: [Self.pageID], accessToken: Self.accessToken)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await withTestDatabase { database in
                let stack = try StackTests().startStack(
                    database,
                    extra: [
                        .channelGateway: [
                            "WHATSAPP_API_BASE_URL": whatsApp.baseURL, "FACEBOOK_API_BASE_URL": facebook.baseURL,
                            // Meta posts every Page's and number's webhooks to the app's shared URL.
                            "WHATSAPP_APP_SECRET": Self.appSecret, "WHATSAPP_VERIFY_TOKEN": Self.verifyToken,
                            "FACEBOOK_APP_SECRET": Self.appSecret, "FACEBOOK_VERIFY_TOKEN": Self.verifyToken,
                        ]
                    ])
                for service in InboxService.allCases {
                    let status = try await stack.waitUntilServing(service, timeout: .seconds(60))
                    #expect(status == .serving, "\(service.rawValue): \(stack.processes[service]!.output)")
                }
                try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway") { gatewayDatabase in
                    let path = try await StatusPath.make(stack: stack, gatewayDatabase: gatewayDatabase, http: http)
                    try await Self.whatsAppStatuses(path, fake: whatsApp)
                    try await Self.messengerEcho(path, fake: facebook)
                }
                for process in stack.processes.values { process.terminate() }
                for process in stack.processes.values { _ = await process.waitForExit(timeout: .seconds(20)) }
            }
        } catch {
            try? await http.shutdown()
            await whatsApp.stop()
            await facebook.stop()
            throw error
        }
        try await http.shutdown()
        await whatsApp.stop()
        await facebook.stop()
    }

    /// SendReply on a WhatsApp conversation, then the statuses WhatsApp posts for it.
    static func whatsAppStatuses(_ path: StatusPath, fake: MetaGraphFake) async throws {
        let channel = try await path.connect(
            .with {
                $0.platform = .whatsapp
                $0.externalAccountID = Self.phoneNumberID
                $0.credentials = .with {
                    $0.accessToken = Self.accessToken
                    $0.signingSecret = Self.appSecret
                    $0.verifyToken = Self.verifyToken
                }
                $0.idempotencyKey = "connect-whatsapp"
            })
        fake.deliverStatusWebhooks(
            to: WebhookTarget(url: path.webhookURL(channel), secret: Self.appSecret),
            using: WebhookPoster(client: path.http))

        // The customer writes first (the reply window opens).
        let inbound = WebhookPayloads.whatsAppText(
            wabaID: "102290129340398", phoneNumberID: Self.phoneNumberID, displayPhoneNumber: "15550783881",
            from: "16505551234", profileName: "Jo", messageID: "wamid.CUSTOMER1", text: "Do you have it in blue?",
            timestamp: Int64(Date().timeIntervalSince1970))
        let (posted, _) = try await WebhookPoster(client: path.http).post(
            MetaWebhookSigner.signed(inbound, url: path.webhookURL(channel), appSecret: Self.appSecret))
        #expect(posted == 200)

        try await path.stack.withClient(.conversationService) { client in
            let conversations = Inbox_V1_ConversationService.Client(wrapping: client)
            let found = try await eventually { try await path.conversation(on: channel, conversations) }
            let conversation = try #require(found, "\(path.gatewayOutput)")

            let watched = WatchedEvents()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await watched.follow(conversations, metadata: path.agent) }
                defer { group.cancelAll() }
                let ready = try await holds(within: .seconds(20)) { watched.isReady }
                try #require(ready, "the watch did not start: \(watched.error ?? "no error")")

                // The agent answers: SENT with the fake's wamid after one send.
                let reply = try await conversations.sendReply(
                    .with {
                        $0.conversationID = conversation.id
                        $0.idempotencyKey = "reply-whatsapp-1"
                        $0.text = "Yes, we have it in blue."
                    }, metadata: path.agent)
                let sent = try await path.message(reply.id, in: conversation.id, conversations) {
                    $0.deliveryState != .pending
                }
                let sentMessage = try #require(sent, "\(path.gatewayOutput)")
                #expect(
                    sentMessage.deliveryState == .sent, "\(sentMessage.failureReason): \(sentMessage.failureDetail)")
                let wamid = sentMessage.platformMessageID
                #expect(wamid.hasPrefix("wamid.FAKE"))
                let sends = fake.recorder.requests.filter { $0.method == "POST" && $0.path.hasSuffix("/messages") }
                #expect(sends.count == 1)

                // delivered → DELIVERED.
                let deliveredPosted = try await fake.postStatus("delivered", of: wamid)
                #expect(deliveredPosted == 200)
                let delivered = try await path.message(reply.id, in: conversation.id, conversations) {
                    $0.deliveryState != .sent
                }
                #expect(delivered?.deliveryState == .delivered)

                // read → READ.
                let readPosted = try await fake.postStatus("read", of: wamid)
                #expect(readPosted == 200)
                let read = try await path.message(reply.id, in: conversation.id, conversations) {
                    $0.deliveryState != .delivered
                }
                #expect(read?.deliveryState == .read)
                // The round that relayed `read` moved the gateway's delivery in its transaction.
                let readRelayed = try await holds { try await path.inboundState("\(wamid):read") == "delivered" }
                #expect(readRelayed, "\(path.gatewayOutput)")

                // A stale `sent` (WhatsApp's statuses arrive out of order) moves nothing back.
                let stalePosted = try await fake.postStatus("sent", of: wamid)
                #expect(stalePosted == 200)
                let staleRelayed = try await holds { try await path.inboundState("\(wamid):sent") == "delivered" }
                #expect(staleRelayed, "\(path.gatewayOutput)")
                let afterStale = try await path.message(reply.id, in: conversation.id, conversations)
                #expect(afterStale?.deliveryState == .read)

                // The gateway's own delivery row tells the same.
                let delivery = try await path.delivery(ofMessage: reply.id)
                #expect(delivery?.state == .read)
                #expect(delivery?.platformMessageID == wamid)
                #expect(delivery?.attempts == 1)

                // The watch opened before the reply saw each step, in order, and nothing after READ
                // but READ.
                let seen = try await eventually { () -> [Inbox_V1_DeliveryState]? in
                    let states = watched.updates(of: reply.id)
                    return states.contains(.read) ? states : nil
                }
                let states = try #require(seen, "the watch saw \(watched.events.map(\.type))")
                let firstRead = states.firstIndex(of: .read) ?? states.endIndex
                #expect(states[..<firstRead].contains(.delivered), "\(states)")
                #expect(states[firstRead...].allSatisfy { $0 == .read }, "\(states)")
                #expect(watched.error == nil)
            }
        }
    }

    /// SendReply on a Messenger conversation, then the echo Meta posts of it.
    static func messengerEcho(_ path: StatusPath, fake: MetaGraphFake) async throws {
        let channel = try await path.connect(
            .with {
                $0.platform = .facebook
                $0.externalAccountID = Self.pageID
                $0.credentials = .with {
                    $0.accessToken = Self.accessToken
                    $0.signingSecret = Self.appSecret
                    $0.verifyToken = Self.verifyToken
                }
                $0.idempotencyKey = "connect-page"
            })
        fake.deliverStatusWebhooks(
            to: WebhookTarget(url: path.webhookURL(channel), secret: Self.appSecret),
            using: WebhookPoster(client: path.http))

        let inbound = WebhookPayloads.messengerText(
            pageID: Self.pageID, senderPSID: "7000000000000001", mid: "m_customer_1", text: "Is my order shipped?",
            timestamp: Int64(Date().timeIntervalSince1970 * 1000))
        let (posted, _) = try await WebhookPoster(client: path.http).post(
            MetaWebhookSigner.signed(inbound, url: path.webhookURL(channel), appSecret: Self.appSecret))
        #expect(posted == 200)

        try await path.stack.withClient(.conversationService) { client in
            let conversations = Inbox_V1_ConversationService.Client(wrapping: client)
            let found = try await eventually { try await path.conversation(on: channel, conversations) }
            let conversation = try #require(found, "\(path.gatewayOutput)")
            let reply = try await conversations.sendReply(
                .with {
                    $0.conversationID = conversation.id
                    $0.idempotencyKey = "reply-messenger-1"
                    $0.text = "Yes, it shipped today."
                }, metadata: path.agent)
            let sent = try await path.message(reply.id, in: conversation.id, conversations) {
                $0.deliveryState != .pending
            }
            let sentMessage = try #require(sent, "\(path.gatewayOutput)")
            #expect(sentMessage.deliveryState == .sent, "\(sentMessage.failureReason): \(sentMessage.failureDetail)")
            let mid = sentMessage.platformMessageID
            #expect(mid.hasPrefix("m_fake"))
            let before = try await path.messages(in: conversation.id, conversations)
            #expect(before.count == 2)

            // Meta echoes the Page's own message; conversation-service reconciles it by its mid.
            let echoPosted = try await fake.postEcho(of: mid)
            #expect(echoPosted == 200)
            let relayed = try await holds { try await path.inboundState(mid) == "echo" }
            #expect(relayed, "\(path.gatewayOutput)")

            let after = try await path.messages(in: conversation.id, conversations)
            #expect(after.count == before.count)
            #expect(after.filter { $0.platformMessageID == mid }.map(\.id) == [reply.id])
            #expect(after.filter { $0.direction == .inbound }.map(\.platformMessageID) == ["m_customer_1"])
            #expect(after.first { $0.id == reply.id }?.direction == .outbound)
            let page = try await conversations.listConversations(.with { $0.pageSize = 50 }, metadata: path.agent)
            #expect(page.conversations.filter { $0.channelID == channel.id }.map(\.id) == [conversation.id])
        }
    }
}

/// The stack of one test, its callers' credentials and a connection to the gateway's schema.
struct StatusPath: Sendable {
    let stack: Stack
    let gatewayDatabase: PostgresClient
    let http: HTTPClient
    let admin: Metadata
    let agent: Metadata

    static func make(stack: Stack, gatewayDatabase: PostgresClient, http: HTTPClient) async throws -> StatusPath {
        let organization = try await stack.withClient(.policyService) { client in
            try await Inbox_V1_PolicyService.Client(wrapping: client).createOrganization(
                .with {
                    $0.name = "Shop"
                    $0.plan = .standard
                }, metadata: TestTokens.metadata(.operator, organization: nil)
            ).id
        }
        let admin = try await TestTokens.metadata(.admin, organization: organization)
        let agent: Metadata = [
            "authorization":
                "Bearer \(try await TestTokens.token(.agent, organization: organization, agent: "agent-1"))"
        ]
        return StatusPath(stack: stack, gatewayDatabase: gatewayDatabase, http: http, admin: admin, agent: agent)
    }

    var gatewayOutput: String { String(self.stack.processes[.channelGateway]?.output.suffix(3000) ?? "") }

    func webhookURL(_ channel: Inbox_V1_Channel) -> String {
        "http://127.0.0.1:\(self.stack.httpPort)\(channel.webhookPath)"
    }

    /// ConnectChannel; the gateway's connection to policy may still be backing off from the
    /// start-up: UNAVAILABLE says retry.
    func connect(_ request: Inbox_V1_ConnectChannelRequest) async throws -> Inbox_V1_Channel {
        try await self.stack.withClient(.channelGateway) { client in
            let gateway = Inbox_V1_ChannelGatewayService.Client(wrapping: client)
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                do {
                    return try await gateway.connectChannel(request, metadata: self.admin)
                } catch let error as RPCError where error.code == .unavailable && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }

    func conversation(
        on channel: Inbox_V1_Channel, _ conversations: Inbox_V1_ConversationService.Client<HTTP2ClientTransport.Posix>
    ) async throws -> Inbox_V1_Conversation? {
        let page = try await conversations.listConversations(.with { $0.pageSize = 50 }, metadata: self.agent)
        return page.conversations.first { $0.channelID == channel.id }
    }

    func messages(
        in conversationID: String, _ conversations: Inbox_V1_ConversationService.Client<HTTP2ClientTransport.Posix>
    ) async throws -> [Inbox_V1_Message] {
        try await conversations.listMessages(
            .with {
                $0.conversationID = conversationID
                $0.pageSize = 100
            }, metadata: self.agent
        ).messages
    }

    /// The message as ListMessages shows it now.
    func message(
        _ id: String, in conversationID: String,
        _ conversations: Inbox_V1_ConversationService.Client<HTTP2ClientTransport.Posix>
    ) async throws -> Inbox_V1_Message? {
        try await self.messages(in: conversationID, conversations).first { $0.id == id }
    }

    /// The message once `condition` holds, or as it is after 30 s.
    func message(
        _ id: String, in conversationID: String,
        _ conversations: Inbox_V1_ConversationService.Client<HTTP2ClientTransport.Posix>,
        until condition: (Inbox_V1_Message) -> Bool
    ) async throws -> Inbox_V1_Message? {
        let deadline = ContinuousClock.now + .seconds(30)
        var latest = try await self.message(id, in: conversationID, conversations)
        while ContinuousClock.now < deadline {
            if let latest, condition(latest) { return latest }
            try await Task.sleep(for: .milliseconds(100))
            latest = try await self.message(id, in: conversationID, conversations)
        }
        return latest
    }

    /// The state of the gateway's inbound event with this platform event id (nil: none stored).
    func inboundState(_ platformEventID: String) async throws -> String? {
        let rows = try await self.gatewayDatabase.query(
            "SELECT state FROM inbound_events WHERE platform_event_id = \(platformEventID)",
            logger: Logger(label: "test"))
        for try await state in rows.decode(String.self) { return state }
        return nil
    }

    /// GetDelivery at the gateway for the delivery of conversation-service's message `messageID`
    /// (the message does not carry the gateway's delivery id: it is read from the gateway's table).
    func delivery(ofMessage messageID: String) async throws -> Inbox_V1_Delivery? {
        let rows = try await self.gatewayDatabase.query(
            "SELECT id::text FROM outbound_deliveries WHERE message_id = \(messageID)", logger: Logger(label: "test"))
        var found: String?
        for try await id in rows.decode(String.self) { found = id }
        guard let id = found else { return nil }
        return try await self.stack.withClient(.channelGateway) { client in
            try await Inbox_V1_ChannelGatewayService.Client(wrapping: client).getDelivery(
                .with { $0.deliveryID = id }, metadata: self.agent)
        }
    }
}

/// What a WatchConversations stream received: ready once its first HEARTBEAT came (the server has
/// read its starting point, so whatever commits from then on reaches it).
final class WatchedEvents: Sendable {
    private struct State {
        var ready = false
        var events: [Inbox_V1_ConversationEvent] = []
        var error: String?
    }

    private let state = Mutex(State())

    var isReady: Bool { self.state.withLock { $0.ready } }
    var events: [Inbox_V1_ConversationEvent] { self.state.withLock { $0.events } }
    var error: String? { self.state.withLock { $0.error } }

    /// The delivery states of every MESSAGE_UPDATED of `messageID`, in the order they came.
    func updates(of messageID: String) -> [Inbox_V1_DeliveryState] {
        self.events.filter { $0.type == .messageUpdated && $0.message.id == messageID }.map(\.message.deliveryState)
    }

    /// Reads the organisation's watch until cancelled; an error before that is kept.
    func follow(
        _ conversations: Inbox_V1_ConversationService.Client<HTTP2ClientTransport.Posix>, metadata: Metadata
    ) async {
        do {
            try await conversations.watchConversations(.init(), metadata: metadata) { response in
                for try await event in response.messages {
                    self.state.withLock { state in
                        if event.type == .heartbeat { state.ready = true } else { state.events.append(event) }
                    }
                }
            }
        } catch {
            if !Task.isCancelled { self.state.withLock { $0.error = "\(error)" } }
        }
    }
}

/// Polls `probe` every 100 ms until it answers a value, for up to `timeout`.
private func eventually<T: Sendable>(timeout: Duration = .seconds(30), _ probe: () async throws -> T?) async throws
    -> T?
{
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else { return nil }
        try await Task.sleep(for: .milliseconds(100))
    }
}

/// Polls `probe` every 100 ms until it holds, for up to `timeout`; whether it did.
private func holds(within timeout: Duration = .seconds(30), _ probe: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await probe() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(100))
    }
}
