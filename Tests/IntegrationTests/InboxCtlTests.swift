import AsyncHTTPClient
import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import PlatformJSON
import SwiftProtobuf
import TestSupport
import Testing

/// `inboxctl`, the built executable, as an operator and a support engineer run it: against the
/// four real services over real sockets (addresses from the `*_ADDR` variables, the token from
/// `INBOX_TOKEN`), with real signed Telegram and WhatsApp webhooks filling the inbox and a fake
/// Telegram Bot API taking the replies.
@Suite("inboxctl against the whole stack")
struct InboxCtlTests {
    static let botToken = "123456:TEST-bot-token"
    static let secretToken = "tg-secret-token"
    static let metaSecret = "meta-app-secret"
    static let metaVerifyToken = "meta-verify-token"
    static let phoneNumberID = "106540352242922"

    @Test func helpListsTheCommandsAndFailuresSayWhatToDo() async throws {
        let ctl = InboxCtlRunner(addresses: [:])
        let help = try await ctl.run(["--help"])
        #expect(help.status == 0, "\(help.stderr)")
        let lines = help.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let commands = [
            "org", "channel", "conversations", "reply", "assign", "watch", "inbox", "inbound", "token", "health",
        ]
        for command in commands {
            let listed = lines.contains { $0.hasPrefix("\(command) ") || $0.hasPrefix("\(command),") }
            #expect(listed, "\(command) missing from:\n\(help.stdout)")
        }
        let examples = try await ctl.run(["channel", "connect", "--help"])
        #expect(examples.stdout.contains("inboxctl channel connect --platform telegram"), "\(examples.stdout)")

        // No token: the sentence says how to get one, before anything is sent.
        let anonymous = try await ctl.run(["org", "list"])
        #expect(anonymous.status == 1)
        #expect(anonymous.stderr.contains("needs a bearer token"), "\(anonymous.stderr)")
        #expect(anonymous.stderr.contains("inboxctl token --role"), "\(anonymous.stderr)")

        // Nothing listens at the address: the UNAVAILABLE sentence names the service and where.
        let port = try freePort()
        let unreachable = try await ctl.run(
            ["org", "list", "--policy-service-addr", "127.0.0.1:\(port)", "--timeout", "10"],
            token: try await TestTokens.token(.operator, organization: nil))
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("is policy-service running at 127.0.0.1:\(port)?"), "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("deploy/local/up"), "\(unreachable.stderr)")

        // A usage error names the option.
        let badPlatform = try await ctl.run(["channel", "connect", "--platform", "myspace"], token: "x")
        #expect(badPlatform.status == 64)
        #expect(badPlatform.stderr.contains("--platform must be one of"), "\(badPlatform.stderr)")
    }

    @Test func anOperatorAndASupportEngineerRunTheInbox() async throws {
        let fake = try await TelegramBotAPIFake.start(botToken: Self.botToken)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await withTestDatabase { database in
                let stack = try StackTests().startStack(
                    database,
                    extra: [
                        .channelGateway: [
                            "TELEGRAM_API_BASE_URL": fake.baseURL,
                            // WhatsApp posts every number's webhooks to the app's shared URL.
                            "WHATSAPP_APP_SECRET": Self.metaSecret, "WHATSAPP_VERIFY_TOKEN": Self.metaVerifyToken,
                        ]
                    ])
                for service in InboxService.allCases {
                    let status = try await stack.waitUntilServing(service, timeout: .seconds(60))
                    #expect(status == .serving, "\(service.rawValue): \(stack.processes[service]!.output)")
                }
                try await Self.run(stack, http: http, fake: fake)
                for process in stack.processes.values { process.terminate() }
                for process in stack.processes.values { _ = await process.waitForExit(timeout: .seconds(20)) }
            }
        } catch {
            try? await http.shutdown()
            await fake.stop()
            throw error
        }
        try await http.shutdown()
        await fake.stop()
    }

    static func run(_ stack: Stack, http: HTTPClient, fake: TelegramBotAPIFake) async throws {
        let ctl = InboxCtlRunner(stack)
        let gatewayLog = { String(stack.processes[.channelGateway]?.output.suffix(3000) ?? "") }

        // org create, then org show --json: the same organisation.
        let operatorToken = try await TestTokens.token(.operator, organization: nil)
        let created = try await ctl.run(
            ["org", "create", "--name", "Shop", "--plan", "enterprise", "--json"], token: operatorToken)
        try #require(created.status == 0, "\(created.stderr)")
        let organization = try Inbox_V1_Organization(jsonString: created.stdout.trimmed)
        #expect(organization.name == "Shop")
        #expect(organization.plan == .enterprise)
        let shownJSON = try await ctl.run(["org", "show", organization.id, "--json"], token: operatorToken)
        #expect(shownJSON.status == 0, "\(shownJSON.stderr)")
        let shown = try Inbox_V1_Organization(jsonString: shownJSON.stdout.trimmed)
        #expect(shown.id == organization.id)
        #expect(shown.name == "Shop")
        #expect(shown.plan == .enterprise)
        #expect(shown.timeZone == organization.timeZone)
        #expect(shown.inactivityDays == organization.inactivityDays)
        // CreateOrganization answers the time it took; GetOrganization the stored one (microseconds).
        #expect(abs(shown.createdAt.date.timeIntervalSince(organization.createdAt.date)) < 0.001)
        let shownTable = try await ctl.run(["org", "show", organization.id], token: operatorToken)
        #expect(shownTable.stdout.contains("ENTERPRISE"), "\(shownTable.stdout)")

        let admin = try await TestTokens.token(.admin, organization: organization.id)
        let agent = try await TestTokens.token(.agent, organization: organization.id, agent: "agent-1")

        // channel connect for Telegram prints the channel, its webhook path and the checklist. The
        // gateway's connection to policy may still be backing off from the start-up: it answers
        // DEPENDENCY_UNAVAILABLE, and the same key makes a retry safe.
        let connect = [
            "channel", "connect", "--platform", "telegram", "--account", "shop_bot", "--name", "Shop bot",
            "--access-token", Self.botToken, "--verify-token", Self.secretToken, "--key", "connect-shop-bot",
        ]
        let connected = try await ctl.retryingUnavailable(connect, token: admin)
        try #require(connected.status == 0, "\(connected.stderr)")
        #expect(connected.stdout.contains("On the platform's side:"), "\(connected.stdout)")
        #expect(
            connected.stdout.contains(
                "[ ] Call setWebhook with the callback URL and the secret token as secret_token."),
            "\(connected.stdout)")
        #expect(!connected.stdout.contains(Self.botToken), "a secret was printed")
        let channelJSON = try await ctl.run(connect + ["--json"], token: admin)
        let channel = try Inbox_V1_Channel(jsonString: channelJSON.stdout.trimmed)
        #expect(channel.platform == .telegram)
        #expect(channel.webhookPath.hasSuffix(channel.id))
        #expect(connected.stdout.contains(channel.webhookPath))

        // A customer writes on Telegram; conversations list --json sees the conversation.
        let update = WebhookPayloads.telegramMessage(
            updateID: 900_101, messageID: 51, chatID: 777_000_222, firstName: "Léa", username: "lea",
            text: "Bonjour, où est ma commande ?", date: Int64(Date().timeIntervalSince1970))
        let (posted, _) = try await WebhookPoster(client: http).post(
            TelegramWebhookSigner.signed(
                update, url: "http://127.0.0.1:\(stack.httpPort)\(channel.webhookPath)", secretToken: Self.secretToken))
        #expect(posted == 200)
        let found = try await eventually { () -> Inbox_V1_Conversation? in
            let listed = try await ctl.run(["conversations", "list", "--json"], token: agent)
            guard listed.status == 0 else { return nil }
            let page = try Inbox_V1_ListConversationsResponse(jsonString: listed.stdout.trimmed)
            return page.conversations.first { $0.channelID == channel.id }
        }
        let conversation = try #require(found, "\(gatewayLog())")
        #expect(conversation.platform == .telegram)
        let search = try await ctl.run(["conversations", "search", "commande"], token: agent)
        #expect(search.stdout.contains(conversation.id), "\(search.stdout)\(search.stderr)")

        // A watch (started before the reply, ready at its first heartbeat) prints the reply's events.
        let watch = try ServiceProcess(
            product: "inboxctl", arguments: ["watch", "--json", "--heartbeats"], environment: ctl.environment(agent))
        defer { watch.terminate() }
        let watching = try await holds(within: .seconds(30)) {
            watch.output.contains("CONVERSATION_EVENT_TYPE_HEARTBEAT")
        }
        #expect(watching, "\(watch.output)")

        // reply succeeds, with a new idempotency key it prints; show lists the reply.
        let replied = try await ctl.run(["reply", conversation.id, "Elle part aujourd'hui.", "--json"], token: agent)
        try #require(replied.status == 0, "\(replied.stderr)")
        #expect(replied.stderr.contains("idempotency key: inboxctl-"), "\(replied.stderr)")
        let reply = try Inbox_V1_Message(jsonString: replied.stdout.trimmed)
        #expect(reply.conversationID == conversation.id)
        #expect(reply.text == "Elle part aujourd'hui.")
        let show = try await ctl.run(["conversations", "show", conversation.id], token: agent)
        #expect(show.stdout.contains(reply.id), "\(show.stdout)")
        #expect(show.stdout.contains("Bonjour, où est ma commande ?"), "\(show.stdout)")
        let watched = try await holds(within: .seconds(30)) { watch.output.contains(reply.id) }
        #expect(watched, "\(watch.output)")
        let sent = try await holds(within: .seconds(30)) {
            fake.recorder.requests.contains {
                $0.path.hasSuffix("/sendMessage") && String(decoding: $0.body, as: UTF8.self).contains("aujourd")
            }
        }
        #expect(sent, "\(gatewayLog())")

        // assign: an unknown agent is NOT_FOUND with what to check; a known one gets it.
        let unknown = try await ctl.run(["assign", conversation.id, "nobody"], token: agent)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("agent nobody not found"), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("[NOT_FOUND RESOURCE_NOT_FOUND]"), "\(unknown.stderr)")
        let adminMetadata: Metadata = ["authorization": "Bearer \(admin)"]
        _ = try await stack.withClient(.assignmentService) { client in
            try await Inbox_V1_AssignmentService.Client(wrapping: client).upsertAgent(
                .with {
                    $0.agent = .with {
                        $0.id = "agent-1"
                        $0.displayName = "Agent One"
                        $0.capacity = 5
                    }
                }, metadata: adminMetadata)
        }
        let assigned = try await ctl.run(["assign", conversation.id, "agent-1"], token: agent)
        #expect(assigned.status == 0, "\(assigned.stderr)")
        #expect(assigned.stdout.contains("ASSIGNED"), "\(assigned.stdout)")

        // A WhatsApp customer wrote two days ago: the 24-hour window is closed, so a text reply is
        // refused with policy's reason and the window's end, and the command fails.
        let whatsApp = try await ctl.retryingUnavailable(
            [
                "channel", "connect", "--platform", "whatsapp", "--account", Self.phoneNumberID,
                "--access-token", "EAAfakeGraphToken", "--signing-secret", Self.metaSecret,
                "--verify-token", Self.metaVerifyToken, "--key", "connect-whatsapp", "--json",
            ], token: admin)
        try #require(whatsApp.status == 0, "\(whatsApp.stderr)")
        let whatsAppChannel = try Inbox_V1_Channel(jsonString: whatsApp.stdout.trimmed)
        let twoDaysAgo = Int64(Date().timeIntervalSince1970) - 2 * 86_400
        let inbound = WebhookPayloads.whatsAppText(
            wabaID: "102290129340398", phoneNumberID: Self.phoneNumberID, displayPhoneNumber: "15550783881",
            from: "16505551234", profileName: "Jo", messageID: "wamid.OLD1", text: "Do you have it in blue?",
            timestamp: twoDaysAgo)
        let (whatsAppPosted, _) = try await WebhookPoster(client: http).post(
            MetaWebhookSigner.signed(
                inbound, url: "http://127.0.0.1:\(stack.httpPort)\(whatsAppChannel.webhookPath)",
                appSecret: Self.metaSecret))
        #expect(whatsAppPosted == 200)
        let late = try await eventually { () -> Inbox_V1_Conversation? in
            let listed = try await ctl.run(["conversations", "list", "--platform", "whatsapp", "--json"], token: agent)
            guard listed.status == 0 else { return nil }
            return try Inbox_V1_ListConversationsResponse(jsonString: listed.stdout.trimmed).conversations.first
        }
        let lateConversation = try #require(late, "\(gatewayLog())")
        let refused = try await ctl.run(["reply", lateConversation.id, "Yes, in blue."], token: agent)
        #expect(refused.status == 1, "\(refused.stdout)")
        #expect(refused.stderr.contains("policy refused the reply"), "\(refused.stderr)")
        #expect(refused.stderr.contains("(TEMPLATE_REQUIRED)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("The reply window closed at"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--template"), "\(refused.stderr)")
        #expect(refused.stderr.contains("[FAILED_PRECONDITION REPLY_REFUSED]"), "\(refused.stderr)")

        // The inbox is active; the inbound log shows the delivered events.
        let state = try await ctl.run(["inbox", "state", "--json"], token: admin)
        #expect(state.status == 0, "\(state.stderr)")
        let inboxState = try Inbox_V1_InboxState(jsonString: state.stdout.trimmed)
        #expect(inboxState.status == .active)
        let events = try await ctl.run(["inbound", "list", "--state", "delivered", "--json"], token: admin)
        #expect(events.status == 0, "\(events.stderr)")
        let delivered = try Inbox_V1_ListInboundEventsResponse(jsonString: events.stdout.trimmed)
        #expect(delivered.events.contains { $0.event.channelID == channel.id }, "\(events.stdout)")
    }
}

/// Runs the built `inboxctl` (next to the services, in `INBOX_BIN_DIR`) as a shell would: the
/// services' addresses in the `*_ADDR` variables, the token in `INBOX_TOKEN`.
struct InboxCtlRunner {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    let addresses: [String: String]

    init(addresses: [String: String]) {
        self.addresses = addresses
    }

    init(_ stack: Stack) {
        var addresses: [String: String] = [:]
        for (service, port) in stack.ports { addresses[service.addressVariable] = "127.0.0.1:\(port)" }
        self.addresses = addresses
    }

    func environment(_ token: String?) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG"].contains($0.key) }
        environment.merge(self.addresses) { _, new in new }
        if let token { environment["INBOX_TOKEN"] = token }
        return environment
    }

    /// The exit status and what it printed on each stream; fails the test after `timeout`.
    func run(_ arguments: [String], token: String? = nil, timeout: Duration = .seconds(60)) async throws -> Run {
        let directory = FileManager.default.temporaryDirectory
        let name = "inboxctl-\(UUID().uuidString)"
        let outURL = directory.appendingPathComponent("\(name).out")
        let errURL = directory.appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ServiceProcess.binDirectory()).appendingPathComponent(
            "inboxctl")
        process.arguments = arguments
        process.environment = self.environment(token)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.terminate()
                throw TestDatabaseError("inboxctl \(arguments.joined(separator: " ")) did not end within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return Run(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// `run`, again every 200 ms for up to 30 s while the service answers that a service it needs
    /// is unavailable (right after the stack's start-up).
    func retryingUnavailable(_ arguments: [String], token: String) async throws -> Run {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let result = try await self.run(arguments, token: token)
            guard result.status != 0, result.stderr.contains("DEPENDENCY_UNAVAILABLE"), ContinuousClock.now < deadline
            else { return result }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

extension String {
    fileprivate var trimmed: String { self.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// Polls `probe` every 200 ms until it answers a value, for up to `timeout`.
private func eventually<T: Sendable>(timeout: Duration = .seconds(30), _ probe: () async throws -> T?) async throws
    -> T?
{
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else { return nil }
        try await Task.sleep(for: .milliseconds(200))
    }
}

/// Polls `probe` every 100 ms until it holds, for up to `timeout`; whether it did.
private func holds(within timeout: Duration, _ probe: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await probe() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(100))
    }
}
