import ArgumentParser
import AsyncHTTPClient
import BenchSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit

/// What the measurement needs, made the way a business and its visitors make it: an organisation
/// at policy-service, one web-chat channel connected at the gateway (allowed origin `--origin`),
/// and `--visitors` visitors, each of whom starts a session and sends one message through the
/// visitor API as the widget does (its first message creates its conversation in the inbox). Then
/// it waits until conversation-service lists every visitor's conversation and writes the visitors
/// file: the measurement opens each visitor's socket after its own message and replies into its
/// conversation.
struct Setup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Create the organisation, its web-chat channel, and the visitors with one message each.",
        discussion: """
            Visitor i is named "Visitor i" and writes one message (client_id wcb-visitor-i). Prints \
            "<organisation id> <channel id>"; writes the visitors to --out, one a line: visitor id, \
            token, conversation id, and the version of the visitor's message, tab-separated.
            """
    )

    @Option(help: "host:port of policy-service's gRPC listener.")
    var policy: String

    @Option(help: "host:port of channel-gateway's gRPC listener.")
    var gateway: String

    @Option(help: "host:port of conversation-service's gRPC listener.")
    var conversation: String

    @Option(help: "channel-gateway's HTTP listener (the visitor API), http://host:port.")
    var http: String

    @Option(help: "The file to write the visitors to, one a line.")
    var out: String

    @Option(help: "How many visitors.")
    var visitors: Int = 2000

    @Option(help: "Visitors starting their session and sending their message at a time.")
    var concurrency: Int = 32

    @Option(help: "The website's origin: the channel's one allowed origin, sent as Origin on every request.")
    var origin: String = "http://127.0.0.1"

    @Option(help: "Seconds to wait until conversation-service lists every visitor's conversation.")
    var timeout: Int = 300

    func validate() throws {
        guard HostAndPort(self.policy) != nil else { throw ValidationError("--policy must be host:port") }
        guard HostAndPort(self.gateway) != nil else { throw ValidationError("--gateway must be host:port") }
        guard HostAndPort(self.conversation) != nil else { throw ValidationError("--conversation must be host:port") }
        guard self.http.hasPrefix("http://") || self.http.hasPrefix("https://") else {
            throw ValidationError("--http must be a URL such as http://127.0.0.1:8080")
        }
        guard self.origin.hasPrefix("http://") || self.origin.hasPrefix("https://") else {
            throw ValidationError("--origin must be an origin such as http://127.0.0.1")
        }
        guard (1...100_000).contains(self.visitors) else {
            throw ValidationError("--visitors must be from 1 to 100000")
        }
        guard (1...256).contains(self.concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") }
        guard self.timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let tokens = try await BenchTokens.fromEnvironment(subject: "webchat-bench")
        guard let policyAddress = HostAndPort(self.policy), let gatewayAddress = HostAndPort(self.gateway),
            let conversationAddress = HostAndPort(self.conversation)
        else { throw BenchError("the addresses must be host:port") }
        let started = ContinuousClock.now

        let organization = try await Self.createOrganization(at: policyAddress, tokens: tokens)
        let admin = try await tokens.metadata(.admin, organization: organization, agent: "bench-admin")
        let channel = try await Self.connectChannel(origin: self.origin, at: gatewayAddress, metadata: admin)
        WebChatBench.log(
            "organisation \(organization), web-chat channel \(channel.id); its snippet: \(channel.webChatSnippet)")

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = self.concurrency
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let api = VisitorAPI(
            http: httpClient, base: WebChatBench.trimmed(self.http), channelID: channel.id, origin: self.origin)
        let written: [WrittenVisitor]
        do {
            written = try await Self.visit(self.visitors, concurrency: self.concurrency, api: api)
            try await httpClient.shutdown()
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        let holds = api.holds.counts
        WebChatBench.log(
            "\(written.count) visitors started a session and sent a message ("
                + String(format: "%.1f", micros(ContinuousClock.now - started) / 1e6) + " s so far; "
                + "\(holds.rateLimited) answers 429, waited "
                + String(format: "%.0f", holds.waitedSeconds) + " s in all; \(holds.unavailable) answers 503)")

        let timeout = self.timeout
        let conversationIDs = try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: conversationAddress.host, port: conversationAddress.port),
                transportSecurity: .plaintext)
        ) { client in
            try await Self.waitForConversations(
                of: Set(written.map(\.session.visitorID)), channelID: channel.id,
                in: Inbox_V1_ConversationService.Client(wrapping: client), metadata: admin,
                timeout: .seconds(timeout))
        }
        let lines = written.compactMap { visitor -> String? in
            guard let conversationID = conversationIDs[visitor.session.visitorID] else { return nil }
            return Visitor(
                id: visitor.session.visitorID, token: visitor.session.token, conversationID: conversationID,
                version: visitor.version
            ).line
        }
        guard FileManager.default.createFile(atPath: self.out, contents: Data(lines.map { $0 + "\n" }.joined().utf8))
        else {
            throw BenchError("cannot write \(self.out)")
        }
        WebChatBench.log(
            "conversation-service lists the \(lines.count) visitors' conversations ("
                + String(format: "%.1f", micros(ContinuousClock.now - started) / 1e6) + " s for the whole setup)")
        print("\(organization) \(channel.id)")
    }

    /// The organisation (web chat is on every plan; enterprise as in the other benches).
    static func createOrganization(at address: HostAndPort, tokens: BenchTokens) async throws -> String {
        let operatorToken = try await tokens.metadata(.operator)
        return try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
        ) { client in
            let policy = Inbox_V1_PolicyService.Client(wrapping: client)
            let created = try await policy.createOrganization(
                .with {
                    $0.name = "org-webchat-bench"
                    $0.plan = .enterprise
                    $0.timeZone = "Europe/Paris"
                }, metadata: operatorToken)
            return created.id
        }
    }

    /// Connects the web-chat channel: no credentials, no account id (the gateway uses the channel's
    /// id), one allowed origin, always open (no business hours). The gateway asks policy whether
    /// the plan allows the platform; its connection to policy may still be backing off from the
    /// start-up, so UNAVAILABLE is retried for 30 s.
    static func connectChannel(origin: String, at address: HostAndPort, metadata: Metadata) async throws
        -> Inbox_V1_Channel
    {
        try await withGRPCClient(
            transport: .http2NIOPosix(
                target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
        ) { client in
            let gateway = Inbox_V1_ChannelGatewayService.Client(wrapping: client)
            let request = Inbox_V1_ConnectChannelRequest.with {
                $0.platform = .webChat
                $0.displayName = "Web chat bench"
                $0.webChat = .with {
                    $0.allowedOrigins = [origin]
                    $0.greeting = "Hi! How can we help?"
                    $0.offlineMessage = "We are away; leave a message."
                }
                $0.idempotencyKey = "webchat-bench-channel"
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                do {
                    return try await gateway.connectChannel(request, metadata: metadata)
                } catch let error as RPCError where error.code == .unavailable && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }

    /// A visitor after its first message.
    struct WrittenVisitor: Sendable {
        var session: VisitorAPI.Session
        /// The version of the visitor's message.
        var version: Int64
    }

    /// What the visitors write.
    static let texts = [
        "Hello, has my order shipped yet?", "Bonjour, où en est ma commande ?",
        "Can I change the delivery address for my parcel?", "Je voudrais annuler ma réservation pour samedi",
        "Do you have this jacket in size M?", "The package arrived damaged, what should I do?",
    ]

    /// `count` visitors, `concurrency` at a time: a session, then one message (a unique text).
    static func visit(_ count: Int, concurrency: Int, api: VisitorAPI) async throws -> [WrittenVisitor] {
        try await withThrowingTaskGroup(of: WrittenVisitor.self) { group in
            var visitors: [WrittenVisitor] = []
            visitors.reserveCapacity(count)
            for index in 0..<count {
                if index >= concurrency, let visitor = try await group.next() { visitors.append(visitor) }
                group.addTask {
                    let session = try await api.startSession(name: "Visitor \(index)")
                    let version = try await api.send(
                        clientID: "wcb-visitor-\(index)", text: "\(Self.texts[index % Self.texts.count]) (\(index))",
                        token: session.token)
                    return WrittenVisitor(session: session, version: version)
                }
            }
            for try await visitor in group { visitors.append(visitor) }
            return visitors
        }
    }

    /// Lists the channel's web-chat conversations until every visitor in `visitorIDs` has one (the
    /// relay delivers the visitors' messages within a few seconds); visitor id → conversation id.
    /// A web-chat conversation's customer is the visitor: its `contact.platform_user_id` (or, failing
    /// that, its `thread_key`) is the visitor id.
    static func waitForConversations(
        of visitorIDs: Set<String>, channelID: String,
        in conversations: any Inbox_V1_ConversationService.ClientProtocol, metadata: Metadata, timeout: Duration
    ) async throws -> [String: String] {
        let deadline = ContinuousClock.now + timeout
        while true {
            var found: [String: String] = [:]
            var listed = 0
            var unmatched: Inbox_V1_Conversation?
            var token = ""
            repeat {
                let page = try await conversations.listConversations(
                    .with {
                        $0.pageSize = 100
                        $0.pageToken = token
                        $0.filter = .with {
                            $0.platforms = [.webChat]
                            $0.channelID = channelID
                        }
                    }, metadata: metadata)
                for conversation in page.conversations {
                    listed += 1
                    if visitorIDs.contains(conversation.contact.platformUserID) {
                        found[conversation.contact.platformUserID] = conversation.id
                    } else if visitorIDs.contains(conversation.threadKey) {
                        found[conversation.threadKey] = conversation.id
                    } else if unmatched == nil {
                        unmatched = conversation
                    }
                }
                token = page.nextPageToken
            } while !token.isEmpty
            if found.count >= visitorIDs.count { return found }
            guard ContinuousClock.now < deadline else {
                let example =
                    unmatched.map {
                        "; one that matches no visitor has thread_key \"\($0.threadKey)\" and contact.platform_user_id "
                            + "\"\($0.contact.platformUserID)\""
                    } ?? ""
                throw BenchError(
                    "conversation-service lists \(listed) web-chat conversations of the channel, \(found.count) of "
                        + "the \(visitorIDs.count) visitors', after \(timeout)\(example)")
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}
