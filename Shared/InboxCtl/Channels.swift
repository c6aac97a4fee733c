import ArgumentParser
import InboxAPI
import InboxKit
import SwiftProtobuf

/// `inboxctl channel`: channel-gateway's channel accounts (ConnectChannel, ListChannels,
/// GetChannel, GetChannelHealth, RotateChannelCredentials).
struct ChannelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channel",
        abstract: "Connect channels, list them, check their health, rotate their credentials (channel-gateway).",
        discussion: """
            Connecting and rotating need an admin token of the organisation (`inboxctl token --role admin \
            --organization <org>`); connect prints the webhook URL path and what to set on the platform's side.

            Examples:
              inboxctl channel connect --platform telegram --account shop_bot --access-token "$BOT_TOKEN" \\
                  --verify-token "$SECRET_TOKEN"
              inboxctl channel connect --platform web-chat --name "Site chat" --origin https://www.example.com \\
                  --greeting "Hi! How can we help?"
              inboxctl channel list --platform whatsapp
              inboxctl channel health 6f1c2b0e-0000-4000-8000-000000000001
              inboxctl channel rotate 6f1c2b0e-0000-4000-8000-000000000001 --access-token "$NEW_TOKEN"
            """,
        subcommands: [
            ChannelConnect.self, ChannelList.self, ChannelShow.self, ChannelHealthCommand.self, ChannelRotate.self,
        ]
    )

    /// Where the platform posts: `PUBLIC_BASE_URL` (the gateway's variable) and the channel's path
    /// when that variable is set here too, else the path alone.
    static func webhookURL(_ channel: Inbox_V1_Channel) -> String {
        guard !channel.webhookPath.isEmpty else { return "" }
        guard var base = Environment.process.optionalString("PUBLIC_BASE_URL") else {
            return "\(channel.webhookPath)  (after the gateway's public base URL, PUBLIC_BASE_URL)"
        }
        while base.hasSuffix("/") { base.removeLast() }
        return base + channel.webhookPath
    }

    /// The channel, where its webhooks go, what the platform's side needs, and web chat's snippet.
    static func show(_ channel: Inbox_V1_Channel, _ output: Output) throws {
        if output.json { return try output.message(channel) }
        output.fields([
            ("Channel", channel.id),
            ("Platform", Format.label(channel.platform)),
            ("Account", channel.externalAccountID),
            ("Name", channel.displayName),
            ("Status", Format.label(channel.status)),
            ("Webhook URL", Self.webhookURL(channel)),
            ("Credentials", channel.configuredCredentials.joined(separator: ", ")),
            (
                "Settings",
                channel.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            ),
            ("Token expires", Format.moment(channel.tokenExpiresAt)),
            ("Allowed origins", channel.webChat.allowedOrigins.joined(separator: ", ")),
            ("Greeting", channel.webChat.greeting),
            ("Offline message", channel.webChat.offlineMessage),
            ("Created", Format.time(channel.createdAt)),
        ])
        if !channel.checklist.isEmpty {
            output.line()
            output.line("On the platform's side:")
            for item in channel.checklist {
                output.line("  [\(item.satisfied ? "x" : " ")] \(item.description_p)")
            }
        }
        if !channel.webChatSnippet.isEmpty {
            output.line()
            output.line("Paste into every page of the website, before </body>:")
            output.line("  \(channel.webChatSnippet)")
        }
    }
}

/// A channel's secrets and tokens, as ChannelCredentials names them (write-only: never printed).
struct CredentialOptions: ParsableArguments {
    @Option(help: "Access token: Page, user, business or bot token (Meta, X, LinkedIn, TikTok, Telegram).")
    var accessToken: String?

    @Option(
        help:
            "Webhook signing secret: Meta app secret, X consumer secret, LinkedIn/TikTok client secret, Twilio auth token."
    )
    var signingSecret: String?

    @Option(help: "Meta hub.verify_token, WeChat token, Telegram secret token.")
    var verifyToken: String?

    @Option(name: .customLong("app-id"), help: "WeChat AppID, Twilio AccountSid, TikTok app id, X OAuth 2.0 client id.")
    var appID: String?

    @Option(help: "WeChat AppSecret, X OAuth 2.0 client secret.")
    var appSecret: String?

    @Option(name: .customLong("encoding-aes-key"), help: "WeChat EncodingAESKey (safe mode).")
    var encodingAESKey: String?

    @Option(help: "X OAuth 2.0 refresh token (offline.access): the gateway renews the access token with it.")
    var refreshToken: String?

    /// The ChannelCredentials field names given on the command line, and their values.
    var given: [(field: String, value: String)] {
        let all: [(String, String?)] = [
            ("access_token", self.accessToken), ("signing_secret", self.signingSecret),
            ("verify_token", self.verifyToken), ("app_id", self.appID), ("app_secret", self.appSecret),
            ("encoding_aes_key", self.encodingAESKey), ("refresh_token", self.refreshToken),
        ]
        return all.compactMap { field, value in value.map { (field, $0) } }
    }

    var proto: Inbox_V1_ChannelCredentials {
        .with {
            $0.accessToken = self.accessToken ?? ""
            $0.signingSecret = self.signingSecret ?? ""
            $0.verifyToken = self.verifyToken ?? ""
            $0.appID = self.appID ?? ""
            $0.appSecret = self.appSecret ?? ""
            $0.encodingAesKey = self.encodingAESKey ?? ""
            $0.refreshToken = self.refreshToken ?? ""
        }
    }
}

struct ChannelConnect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Connect a platform account (admin).",
        discussion: """
            Each platform needs its own credentials (README "Platforms"): Telegram --access-token (the bot token) and \
            --verify-token (the secret token setWebhook is given); Meta platforms --access-token, --signing-secret \
            (the app secret) and --verify-token; X --access-token and --signing-secret (consumer secret), with \
            --refresh-token to renew; Twilio --app-id (AccountSid) and --signing-secret (auth token); WeChat \
            --app-id, --app-secret, --verify-token and, in safe mode, --encoding-aes-key. Web chat needs no \
            credentials but at least one --origin. WeChat, Telegram and Twilio SMS need the enterprise plan.

            Prints the channel, its webhook URL path, the checklist of what to set on the platform's side and, for \
            web chat, the snippet for the website. Secrets are never printed back. Pass them from variables \
            ("$BOT_TOKEN") rather than typing them, so they stay out of the shell's history.

            Examples:
              inboxctl channel connect --platform telegram --account shop_bot --name "Shop bot" \\
                  --access-token "$BOT_TOKEN" --verify-token "$SECRET_TOKEN"
              inboxctl channel connect --platform whatsapp --account 106540352242922 --access-token "$WA_TOKEN" \\
                  --signing-secret "$META_APP_SECRET" --verify-token "$META_VERIFY_TOKEN"
              inboxctl channel connect --platform instagram --account 17841400000000000 --access-token "$IG_TOKEN" \\
                  --signing-secret "$META_APP_SECRET" --verify-token "$META_VERIFY_TOKEN" --message-requests-enabled
              inboxctl channel connect --platform web-chat --name "Site chat" --origin https://www.example.com \\
                  --origin http://localhost:3000 --greeting "Hi! How can we help?" --offline-message "We are away."
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "facebook, instagram, whatsapp, x, linkedin, tiktok, telegram, sms, wechat or web-chat.")
    var platform: String

    @Option(help: "The platform's id of the account: page id, IG user id, phone number id, bot username, ...")
    var account: String?

    @Option(help: "A name for people.")
    var name: String?

    @OptionGroup(title: "Credentials") var credentials: CredentialOptions

    @Option(help: "A non-secret setting, key=value (repeatable): API version, sender number, ...")
    var setting: [String] = []

    @Flag(help: "Instagram: message requests are enabled in the app (else DMs never arrive).")
    var messageRequestsEnabled = false

    @Option(help: "Web chat: a website allowed to embed the widget, e.g. https://www.example.com (repeatable).")
    var origin: [String] = []

    @Option(help: "Web chat: shown at the top of a new conversation.")
    var greeting: String?

    @Option(help: "Web chat: shown outside business hours.")
    var offlineMessage: String?

    @Option(help: "Idempotency key: the same key again returns the channel connected the first time.")
    var key: String?

    func run() async throws {
        let platform = try Names.platform(self.platform)
        let settings = try Names.settings(self.setting)
        let webChat = platform == .webChat
        if !webChat, !self.origin.isEmpty || self.greeting != nil || self.offlineMessage != nil {
            throw ValidationError("--origin, --greeting and --offline-message are for --platform web-chat only")
        }
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let request = Inbox_V1_ConnectChannelRequest.with {
            $0.platform = platform
            $0.externalAccountID = self.account ?? ""
            $0.displayName = self.name ?? ""
            $0.credentials = self.credentials.proto
            $0.settings = settings
            $0.instagramMessageRequestsEnabled = self.messageRequestsEnabled
            $0.idempotencyKey = self.key ?? ""
            if webChat {
                $0.webChat = .with {
                    $0.allowedOrigins = self.origin
                    $0.greeting = self.greeting ?? ""
                    $0.offlineMessage = self.offlineMessage ?? ""
                }
            }
        }
        let channel = try await connection.gateway { gateway in
            try await gateway.connectChannel(request, metadata: metadata, options: connection.options)
        }
        try ChannelCommand.show(channel, Output(json: self.global.json))
    }
}

struct ChannelList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the organisation's channels.",
        discussion: """
            Examples:
              inboxctl channel list
              inboxctl channel list --platform telegram --platform whatsapp --include-disconnected --json
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var page: PageOptions

    @Option(help: "Only this platform (repeatable).")
    var platform: [String] = []

    @Flag(help: "Disconnected channels too.")
    var includeDisconnected = false

    func run() async throws {
        let platforms = try self.platform.map { try Names.platform($0) }
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let (page, start, includeDisconnected) = (self.page, self.page.pageToken ?? "", self.includeDisconnected)
        let response = try await connection.gateway { gateway in
            var all = Inbox_V1_ListChannelsResponse.with { $0.nextPageToken = start }
            repeat {
                let next = try await gateway.listChannels(
                    .with {
                        $0.platforms = platforms
                        $0.includeDisconnected = includeDisconnected
                        $0.pageSize = page.pageSize(after: all.channels.count)
                        $0.pageToken = all.nextPageToken
                    }, metadata: metadata, options: connection.options)
                all.channels += next.channels
                all.nextPageToken = next.nextPageToken
            } while !all.nextPageToken.isEmpty && all.channels.count < page.limit
            return all
        }
        let output = Output(json: self.global.json)
        if output.json { return try output.message(response) }
        var table = Table(("ID", 36), ("PLATFORM", 12), ("ACCOUNT", 28), ("NAME", 28), ("STATUS", 20), ("WEBHOOK", 70))
        for channel in response.channels {
            table.add(
                channel.id, Format.label(channel.platform), channel.externalAccountID, channel.displayName,
                Format.label(channel.status), channel.webhookPath)
        }
        output.table(table, empty: "no channels")
        Output.morePages(response.nextPageToken)
    }
}

struct ChannelShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a channel, its webhook URL and its checklist.",
        discussion: """
            Examples:
              inboxctl channel show 6f1c2b0e-0000-4000-8000-000000000001
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The channel id.")
    var channel: String

    func run() async throws {
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let id = self.channel
        let channel = try await connection.gateway { gateway in
            try await gateway.getChannel(.with { $0.channelID = id }, metadata: metadata, options: connection.options)
        }
        try ChannelCommand.show(channel, Output(json: self.global.json))
    }
}

struct ChannelHealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Show a channel's health: last event, last error, counters, relay lag, poller.",
        discussion: """
            Examples:
              inboxctl channel health 6f1c2b0e-0000-4000-8000-000000000001
              inboxctl channel health 6f1c2b0e-0000-4000-8000-000000000001 --json | jq .deadLetteredEvents
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The channel id.")
    var channel: String

    func run() async throws {
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let id = self.channel
        let health = try await connection.gateway { gateway in
            try await gateway.getChannelHealth(
                .with { $0.channelID = id }, metadata: metadata, options: connection.options)
        }
        let output = Output(json: self.global.json)
        if output.json { return try output.message(health) }
        output.fields([
            ("Channel", health.channelID),
            ("Status", Format.label(health.status)),
            ("Last event", Format.moment(health.lastEventAt)),
            ("Last error", health.lastError),
            ("Error reason", Format.label(health.lastErrorReason)),
            ("Error at", Format.moment(health.lastErrorAt)),
            ("Token expires", Format.moment(health.tokenExpiresAt)),
            ("Relay lag", health.hasRelayLag ? Format.span(Double(health.relayLag.seconds)) : ""),
            ("Accepted", "\(health.acceptedEvents)"),
            ("Duplicates", "\(health.duplicateEvents)"),
            ("Bad signatures", "\(health.badSignatures)"),
            ("Hidden", "\(health.hiddenEvents)"),
            ("Pending", "\(health.pendingEvents)"),
            ("Held", "\(health.heldEvents)"),
            ("Unparsed", "\(health.unparsedEvents)"),
            ("Rejected", "\(health.rejectedEvents)"),
            ("Dead-lettered", "\(health.deadLetteredEvents)"),
            ("Sent", "\(health.sentDeliveries)"),
            ("Failed", "\(health.failedDeliveries)"),
            ("Maybe sent", "\(health.maybeSentDeliveries)"),
            ("Poller", health.hasPoller ? (health.poller.enabled ? "enabled" : "disabled") : ""),
            ("Last poll", Format.moment(health.poller.lastPollAt)),
            ("Next poll", Format.moment(health.poller.nextPollAt)),
            ("Poller error", health.poller.lastError),
        ])
        if health.deadLetteredEvents > 0 {
            Output.note("replay the dead-lettered events: inboxctl inbound replay --dead-lettered --channel \(id)")
        }
        if health.heldEvents > 0 {
            Output.note(
                "events are held while the inbox is deactivated: inboxctl inbox activate, then inboxctl inbound release"
            )
        }
    }
}

struct ChannelRotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Give a channel new secrets or tokens (admin): same id, same webhook URL.",
        discussion: """
            Only the credentials given change; the others keep their values (--replace-all sends exactly the \
            given ones and clears the rest). A TOKEN_INVALID channel becomes ACTIVE again. Prints the channel and \
            its checklist: a new verify or secret token must be set on the platform's side too.

            Examples:
              inboxctl channel rotate 6f1c2b0e-0000-4000-8000-000000000001 --access-token "$NEW_PAGE_TOKEN"
              inboxctl channel rotate 6f1c2b0e-0000-4000-8000-000000000001 --verify-token "$NEW_SECRET" --key rot-7
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The channel id.")
    var channel: String

    @OptionGroup(title: "Credentials") var credentials: CredentialOptions

    @Flag(help: "Replace every credential: those not given are cleared.")
    var replaceAll = false

    @Option(help: "Idempotency key: the same key again returns the first result.")
    var key: String?

    func run() async throws {
        let given = self.credentials.given.map(\.field)
        guard !given.isEmpty || self.replaceAll else {
            throw ValidationError("give the credentials to rotate (--access-token, --signing-secret, ...)")
        }
        let connection = try Connection(self.global)
        let metadata = try connection.metadata()
        let request = Inbox_V1_RotateChannelCredentialsRequest.with {
            $0.channelID = self.channel
            $0.credentials = self.credentials.proto
            if !self.replaceAll { $0.updateMask = .with { $0.paths = given } }
            $0.idempotencyKey = self.key ?? ""
        }
        let channel = try await connection.gateway { gateway in
            try await gateway.rotateChannelCredentials(request, metadata: metadata, options: connection.options)
        }
        try ChannelCommand.show(channel, Output(json: self.global.json))
    }
}
