// inbox-demo: deploy/local/demo's driver (issue 14). Against a running stack and platform-fakes:
// creates an enterprise organisation, connects one channel of every platform (web chat included),
// posts real-format signed webhooks of every kind (TestSupport's payload builders and signers, as
// the tests post them) and web-chat visitor messages, shows the inbox filling as a live table,
// replies to a few conversations (one refused by policy), follows the delivery states, and checks
// every number the inbox and the gateway report against what it sent.
//
//   inbox-demo [--webhooks-url http://127.0.0.1:8080] [--fakes-admin-url URL] [--plain] [--patience 90]
//       [--channel-gateway-addr host:port ...] [--inboxctl PATH]
//   (TOKEN_SIGNING_KEY, PLATFORM_FAKES_ADMIN_URL and the platform apps in the environment)
import ArgumentParser
import Foundation
import InboxKit

@main
struct InboxDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbox-demo",
        abstract: "The inbox filling: every platform, real-format signed webhooks, replies, every number checked.",
        discussion: """
            deploy/local/demo runs it after starting the stack and platform-fakes. It needs, in the \
            environment: TOKEN_SIGNING_KEY (the services' HS256 key), PLATFORM_FAKES_ADMIN_URL (or \
            --fakes-admin-url), and the platform apps the gateway was started with: FACEBOOK_APP_SECRET, \
            FACEBOOK_VERIFY_TOKEN, INSTAGRAM_APP_SECRET, INSTAGRAM_VERIFY_TOKEN, WHATSAPP_APP_SECRET, \
            WHATSAPP_VERIFY_TOKEN, X_APP_SECRET, LINKEDIN_APP_SECRET, TIKTOK_APP_SECRET. The gateway must \
            send to the fakes (their *_API_BASE_URL). Exit status 0 only if every number the inbox and the \
            gateway report is what the demo sent; otherwise 1, naming each mismatch.
            """
    )

    @Option(
        name: .customLong("channel-gateway-addr"),
        help: ArgumentHelp(
            "channel-gateway's gRPC address (default: $CHANNEL_GATEWAY_ADDR, else 127.0.0.1:50051).",
            valueName: "host:port"))
    var channelGatewayAddress: String?

    @Option(
        name: .customLong("conversation-service-addr"),
        help: ArgumentHelp(
            "conversation-service's gRPC address (default: $CONVERSATION_SERVICE_ADDR, else 127.0.0.1:50052).",
            valueName: "host:port"))
    var conversationServiceAddress: String?

    @Option(
        name: .customLong("assignment-service-addr"),
        help: ArgumentHelp(
            "assignment-service's gRPC address (default: $ASSIGNMENT_SERVICE_ADDR, else 127.0.0.1:50053).",
            valueName: "host:port"))
    var assignmentServiceAddress: String?

    @Option(
        name: .customLong("policy-service-addr"),
        help: ArgumentHelp(
            "policy-service's gRPC address (default: $POLICY_SERVICE_ADDR, else 127.0.0.1:50054).",
            valueName: "host:port"))
    var policyServiceAddress: String?

    @Option(
        name: .customLong("webhooks-url"),
        help: ArgumentHelp("channel-gateway's HTTP base URL (webhooks, web chat).", valueName: "url"))
    var webhooksURL = "http://127.0.0.1:8080"

    @Option(
        name: .customLong("public-base-url"),
        help: ArgumentHelp(
            "The gateway's PUBLIC_BASE_URL, which Twilio signs (default: $PUBLIC_BASE_URL, else --webhooks-url).",
            valueName: "url"))
    var publicBaseURL: String?

    @Option(
        name: .customLong("fakes-admin-url"),
        help: ArgumentHelp("platform-fakes' admin URL (default: $PLATFORM_FAKES_ADMIN_URL).", valueName: "url"))
    var fakesAdminURL: String?

    @Option(help: ArgumentHelp("How the closing commands name inboxctl.", valueName: "path"))
    var inboxctl = "inboxctl"

    @Flag(help: "Print plain lines, also on a terminal (no redrawing).")
    var plain = false

    @Option(help: ArgumentHelp("How long the inbox may take to fill, and the replies to settle.", valueName: "seconds"))
    var patience = 90

    func validate() throws {
        for (name, value) in [
            ("channel-gateway-addr", self.channelGatewayAddress),
            ("conversation-service-addr", self.conversationServiceAddress),
            ("assignment-service-addr", self.assignmentServiceAddress),
            ("policy-service-addr", self.policyServiceAddress),
        ] {
            if let value, HostAndPort(value) == nil {
                throw ValidationError("--\(name) must be host:port, got '\(value)'")
            }
        }
        for (name, value) in [("webhooks-url", self.webhooksURL), ("public-base-url", self.publicBaseURL ?? "http://")]
        {
            guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
                throw ValidationError("--\(name) must be a URL such as http://127.0.0.1:8080")
            }
        }
        guard (10...3600).contains(self.patience) else {
            throw ValidationError("--patience must be 10 to 3600 seconds")
        }
    }

    func run() async throws {
        let passed = try await DemoRun(settings: try self.settings(ProcessInfo.processInfo.environment)).run()
        guard passed else { throw ExitCode(1) }
    }

    /// The options, with the environment filling what they leave out.
    func settings(_ environment: [String: String]) throws -> DemoSettings {
        let given: [InboxService: String?] = [
            .channelGateway: self.channelGatewayAddress, .conversationService: self.conversationServiceAddress,
            .assignmentService: self.assignmentServiceAddress, .policyService: self.policyServiceAddress,
        ]
        var addresses: [InboxService: HostAndPort] = [:]
        for service in InboxService.allCases {
            let text = (given[service] ?? nil) ?? environment[service.addressVariable]
            guard let text else {
                addresses[service] = HostAndPort(host: "127.0.0.1", port: service.defaultGRPCPort)
                continue
            }
            guard let address = HostAndPort(text) else {
                throw DemoFailure("\(service.addressVariable) must be host:port, got '\(text)'")
            }
            addresses[service] = address
        }
        guard let signingKey = environment["TOKEN_SIGNING_KEY"], !signingKey.isEmpty else {
            throw DemoFailure(
                "TOKEN_SIGNING_KEY is not set: the demo signs its tokens with the services' key "
                    + "(export TOKEN_SIGNING_KEY=$(cat .local/token-signing-key))")
        }
        guard let fakes = self.fakesAdminURL ?? environment["PLATFORM_FAKES_ADMIN_URL"], !fakes.isEmpty else {
            throw DemoFailure(
                "platform-fakes' admin URL is not known: pass --fakes-admin-url, or export PLATFORM_FAKES_ADMIN_URL "
                    + "(platform-fakes prints it)")
        }
        let webhooks = Self.trimmed(self.webhooksURL)
        return DemoSettings(
            addresses: addresses, webhooksURL: webhooks,
            publicBaseURL: Self.trimmed(self.publicBaseURL ?? environment["PUBLIC_BASE_URL"] ?? webhooks),
            fakesAdminURL: Self.trimmed(fakes), signingKey: signingKey,
            apps: try PlatformApps.fromEnvironment(environment), inboxctl: self.inboxctl,
            interactive: !self.plain && Console.standardOutputIsTerminal, patience: .seconds(self.patience))
    }

    static func trimmed(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}
