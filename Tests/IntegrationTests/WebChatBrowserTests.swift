import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import Synchronization
import TestSupport
import Testing

/// The web-chat widget in a real browser against the four real executables: headless Chromium
/// (Debian's chromium and chromium-driver) driven by Tests/Browser/webchat_browser.py through
/// Selenium, in the test command's private Python (`INBOX_BROWSER_PYTHON`, set by
/// deploy/local/test, which installs all three). The script drives the page; this test owns the
/// inbox side and speaks to the script one line at a time (see the script's docstring):
///
/// the page sends a message → the test finds it with ListConversations → SetTyping shows "… is
/// typing" → replies with SendReply
/// (a hostile HTML text) → the page shows it within 1 s, as text → a second tab of the same
/// visitor sees both → a reload resumes the conversation → the reply is READ in the inbox.
/// Screenshots of the widget (desktop and phone-sized) go to `INBOX_SCREENSHOT_DIR`
/// (deploy/local/test: .build/test-output/).
@Suite("Web chat in a real browser")
struct WebChatBrowserTests {
    static let replyText = "<img src=x onerror=\"window.__xss=1\">Thanks <b>for</b> writing"

    @Test func aVisitorAndAnAgentTalkThroughTheWidget() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["INBOX_BROWSER_PYTHON"], let root = environment["INBOX_REPO_ROOT"] else {
            throw TestDatabaseError(
                "INBOX_BROWSER_PYTHON and INBOX_REPO_ROOT are not set: run the tests with deploy/local/test")
        }
        let screenshots = environment["INBOX_SCREENSHOT_DIR"] ?? "\(root)/.build/test-output"
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        try await withTestDatabase { database in
            let stack = try StackTests().startStack(database)
            defer {
                for process in stack.processes.values { process.terminate() }
            }
            try await stack.expectAllServing()
            let organization = try await stack.withClient(.policyService) { client in
                try await Inbox_V1_PolicyService.Client(wrapping: client).createOrganization(
                    .with {
                        $0.name = "Web shop"
                        $0.plan = .standard
                    }, metadata: TestTokens.metadata(.operator, organization: nil)
                ).id
            }
            let admin = try await TestTokens.metadata(.admin, organization: organization)
            let agent: Metadata = [
                "authorization":
                    "Bearer \(try await TestTokens.token(.agent, organization: organization, agent: "agent-1"))"
            ]
            let channel = try await stack.withClient(.channelGateway) { client in
                let gateway = Inbox_V1_ChannelGatewayService.Client(wrapping: client)
                let request = Inbox_V1_ConnectChannelRequest.with {
                    $0.platform = .webChat
                    $0.displayName = "Web shop <support>"
                    $0.webChat = .with {
                        $0.allowedOrigins = ["https://shop.example.com"]
                        $0.greeting = "Hi! How can we help?"
                    }
                }
                return try await Stack.retryingWhileUnavailable {
                    try await gateway.connectChannel(request, metadata: admin)
                }
            }

            let browser = try BrowserDriver(
                python: python, script: "\(root)/Tests/Browser/webchat_browser.py",
                environment: [
                    "CHAT_DEMO_URL": "http://127.0.0.1:\(stack.httpPort)/chat/\(channel.id)/demo",
                    "SCREENSHOT_DIR": screenshots,
                ])
            defer { browser.stop() }

            // 1. The page sends; the inbox has it.
            let sent = try await browser.expect("SENT")
            let visitorID = String(sent.dropFirst("SENT ".count))
            let conversation = try await stack.withClient(.conversationService) { client -> Inbox_V1_Conversation? in
                let conversations = Inbox_V1_ConversationService.Client(wrapping: client)
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline {
                    let page = try await conversations.listConversations(.with { $0.pageSize = 10 }, metadata: agent)
                    if let found = page.conversations.first(where: { $0.channelID == channel.id }) { return found }
                    try await Task.sleep(for: .milliseconds(50))
                }
                return nil
            }
            let found = try #require(conversation, "\(stack.processes[.channelGateway]!.output.suffix(3000))")
            #expect(found.platform == .webChat)
            #expect(found.threadKey == visitorID)
            #expect(found.preview.contains("Hello from a real browser"))

            // 1b. The agent types; the page says so.
            try browser.say("TYPING?")
            let typing = try await stack.withClient(.conversationService) { client in
                try await Inbox_V1_ConversationService.Client(wrapping: client).setTyping(
                    .with {
                        $0.conversationID = found.id
                        $0.typing = true
                    }, metadata: agent)
            }
            #expect(typing.shown)
            let shown = try await browser.expect("TYPING_SHOWN")
            #expect(shown == "TYPING_SHOWN Web shop <support> is typing\u{2026}")

            // 2. The agent replies; the page shows it within 1 s, as text.
            try browser.say("REPLYING \(Self.replyText)")
            let reply = try await stack.withClient(.conversationService) { client in
                try await Inbox_V1_ConversationService.Client(wrapping: client).sendReply(
                    .with {
                        $0.conversationID = found.id
                        $0.idempotencyKey = "browser-reply-1"
                        $0.text = Self.replyText
                    }, metadata: agent)
            }
            let seen = try await browser.expect("SEEN_REPLY")
            let milliseconds = try #require(Int(seen.dropFirst("SEEN_REPLY ".count)), "\(seen)")
            #expect(milliseconds < 1000, "the reply took \(milliseconds) ms to show")
            print("web chat in the browser: SendReply to the reply on the page took \(milliseconds) ms")
            _ = try await browser.expect("XSS_OK")
            let screenshot = try await browser.expect("SCREENSHOT")
            #expect(FileManager.default.fileExists(atPath: String(screenshot.dropFirst("SCREENSHOT ".count))))

            // 3. A second tab and a reload resume the conversation.
            _ = try await browser.expect("TAB2_OK")
            _ = try await browser.expect("RELOAD_OK")
            _ = try await browser.expect("SCREENSHOT")

            // 4. The widget acknowledged the reply: READ in the page and in the inbox.
            try browser.say("DELIVERY?")
            let states = try await browser.expect("STATES")
            #expect(states == "STATES read")
            let state = try await stack.withClient(.conversationService) { client -> Inbox_V1_DeliveryState in
                let conversations = Inbox_V1_ConversationService.Client(wrapping: client)
                let deadline = ContinuousClock.now + .seconds(15)
                var latest = Inbox_V1_DeliveryState.unspecified
                while ContinuousClock.now < deadline {
                    let messages = try await conversations.listMessages(
                        .with { $0.conversationID = found.id }, metadata: agent)
                    latest = messages.messages.first { $0.id == reply.id }?.deliveryState ?? .unspecified
                    if latest == .read { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return latest
            }
            #expect(state == .read)
            _ = try await browser.expect("DONE")
        }
    }
}

/// The Python Selenium driver as a child process, line by line.
final class BrowserDriver: Sendable {
    private let process: Process
    private let input: FileHandle
    private let lines: AsyncStream<String>
    private let transcript = Mutex<[String]>([])

    init(python: String, script: String, environment: [String: String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        self.process = process
        self.input = stdin.fileHandleForWriting
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        let reader = stdout.fileHandleForReading
        DispatchQueue.global().async {
            var buffer = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    continuation.yield(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
            }
            continuation.finish()
        }
    }

    /// The next line starting with `word`, other output (selenium's) kept for the failure message;
    /// a FAIL line, the script's end or 30 s without it is an error.
    func expect(_ word: String) async throws -> String {
        let lines = self.lines
        let found = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                for await line in lines {
                    self.transcript.withLock { $0.append(line) }
                    if line.hasPrefix("FAIL") { throw BrowserFailure(text: line) }
                    if line == word || line.hasPrefix(word + " ") { return line }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let found else {
            throw BrowserFailure(
                text: "no \(word) from the browser: "
                    + self.transcript.withLock { $0.suffix(30) }.joined(separator: "\n"))
        }
        return found
    }

    func say(_ line: String) throws {
        try self.input.write(contentsOf: Data((line + "\n").utf8))
    }

    func stop() {
        if self.process.isRunning { self.process.terminate() }
    }
}

struct BrowserFailure: Error, CustomStringConvertible {
    let text: String
    var description: String { self.text }
}
