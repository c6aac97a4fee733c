import AsyncHTTPClient
import Foundation
import InboxAPI
import TestSupport

/// One run of the demo, from the organisation to the summary: the shop, the traffic with the live
/// view, the replies, then every number checked. Returns whether every number is what was sent.
struct DemoRun {
    let settings: DemoSettings

    func run() async throws -> Bool {
        let console = Console(interactive: self.settings.interactive)
        let tokens = await DemoTokens(signingKey: self.settings.signingKey)
        let fakes = PlatformFakesClient(baseURL: self.settings.fakesAdminURL, http: HTTPClient.shared)
        let started = Date()
        let runTag = String(Int64(started.timeIntervalSince1970))
        let telegramSecret = "demo-\(runTag)-\(UUID().uuidString.prefix(8))"
        return try await InboxClients.with(self.settings) { clients in
            console.line("Social Inbox demo: one channel of every platform, real-format signed webhooks of every kind,")
            console.line("replies within each platform's rules, and every number the inbox reports checked.")
            console.line()
            let (earlier, retired) = try await DemoShop.retireEarlierDemos(clients, tokens: tokens)
            if earlier > 0 {
                console.line(
                    "  earlier demos: \(retired) channels of \(earlier) organisation(s) disconnected (the fake accounts are "
                        + "shared)")
            }
            let shop = try await DemoShop.open(
                clients, tokens: tokens, settings: self.settings, telegramSecret: telegramSecret, runTag: runTag)
            let heading = self.heading(shop)
            for line in heading { console.line(line) }
            for line in self.channelTable(shop) { console.line(line) }

            // The fakes post their status webhooks and echoes to the shared endpoints, signed with the app secrets.
            for platform in [DemoPlatform.whatsapp, .facebook] {
                try await fakes.deliverWebhooks(
                    of: platform.rawValue,
                    to: self.settings.webhooksURL
                        + (shop.channels[platform]?.webhookPath ?? "/webhooks/\(platform.rawValue)"),
                    secret: self.settings.apps.secret(platform))
            }
            guard let webChat = shop.channels[.webChat] else { throw DemoFailure("the web chat channel is missing") }
            let visitor = WebChatVisitor(http: HTTPClient.shared, base: self.settings.webhooksURL + webChat.webhookPath)
            let traffic = DemoTraffic.plan(
                channels: shop.channels, settings: self.settings, telegramSecret: telegramSecret, run: runTag,
                now: Date())

            let conversations = try await self.fill(
                traffic, shop: shop, clients: clients, visitor: visitor, console: console, heading: heading)
            let fakesBefore = try await fakes.requestCounts()
            let replies = try await ReplyPhase(
                clients: clients, shop: shop, fakes: fakes, visitor: visitor, console: console, runTag: runTag,
                patience: self.settings.patience
            ).run(traffic.replies, conversations: conversations)

            let (report, checks) = try await self.settle(
                traffic: traffic, replies: replies, clients: clients, shop: shop, visitor: visitor, fakes: fakes,
                fakesBefore: fakesBefore)
            console.line()
            console.line("The inbox now (ListConversations):")
            for line in InboxRows.table(report.conversations, now: Date()) { console.line(line) }
            self.printSummary(report: report, checks: checks, console: console)
            self.printExplore(shop: shop, replies: replies, console: console)
            let mismatches = checks.filter { !$0.ok }
            console.line()
            if mismatches.isEmpty {
                console.line("Every number is what was sent (\(checks.count) checks).")
            } else {
                for check in mismatches {
                    console.line(
                        "MISMATCH \(check.name): sent \(check.sent), reported \(check.reported) (\(check.note))")
                }
            }
            return mismatches.isEmpty
        }
    }

    private func heading(_ shop: DemoShop) -> [String] {
        [
            "  organisation  \(shop.organization.name)  \(shop.organization.id)  (enterprise: all ten platforms)",
            "  team          \(shop.team.name): "
                + DemoShop.agents.map(\.0).joined(separator: " and ")
                + " online; a routing rule sends every conversation to it",
        ]
    }

    private func channelTable(_ shop: DemoShop) -> [String] {
        var table = TextTable([("PLATFORM", 10), ("CHANNEL", 36), ("ACCOUNT", 30), ("RECEIVES AT", 60)])
        for platform in DemoPlatform.allCases {
            guard let channel = shop.channels[platform] else { continue }
            table.add([platform.title, channel.id, channel.externalAccountID, channel.webhookPath])
        }
        return ["", "  \(shop.channels.count) channels connected:"] + table.rendered()
    }

    /// Posts the traffic while the live view redraws the inbox; the conversations once all are listed.
    private func fill(
        _ traffic: DemoTraffic, shop: DemoShop, clients: InboxClients, visitor: WebChatVisitor, console: Console,
        heading: [String]
    ) async throws -> [Inbox_V1_Conversation] {
        let progress = PostingProgress(total: traffic.deliveries.count)
        let poster = TrafficPoster(
            poster: WebhookPoster(client: HTTPClient.shared), visitor: visitor, pause: .milliseconds(150))
        let deliveries = traffic.deliveries
        console.line()
        console.line(
            "The inbox filling: \(deliveries.count) deliveries (\(traffic.expectedConversationCount) conversations) "
                + "posted as the platforms post them:")
        let live = LiveInbox(
            clients: clients, metadata: shop.agent, console: console,
            heading: ["Social Inbox demo"] + heading + [""])
        let conversations = try await withThrowingTaskGroup(of: Void.self, returning: [Inbox_V1_Conversation].self) {
            group in
            group.addTask { await poster.postAll(deliveries, progress: progress, console: console) }
            let listed = try await live.fill(
                expected: traffic.expectedConversationCount, progress: progress, patience: self.settings.patience)
            try await group.waitForAll()
            return listed
        }
        if !console.interactive {
            console.line()
            console.line("The inbox (ListConversations):")
            for line in InboxRows.table(conversations, now: Date()) { console.line(line) }
        }
        return conversations
    }

    /// Reads what the services report until every number agrees or 20 s passed: the gateway adds
    /// duplicate counts every second, and the relay hands the last events over in milliseconds.
    private func settle(
        traffic: DemoTraffic, replies: [SentReply], clients: InboxClients, shop: DemoShop, visitor: WebChatVisitor,
        fakes: PlatformFakesClient, fakesBefore: FakeRequestTally
    ) async throws -> (InboxReport, [DemoCheck]) {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let report = try await InboxReport.gather(clients, shop: shop, visitor: visitor, fakes: fakes)
            let checks = DemoVerdict.checks(
                traffic: traffic, replies: replies, report: report, fakesBefore: fakesBefore)
            if checks.allSatisfy(\.ok) || ContinuousClock.now >= deadline { return (report, checks) }
            try await Task.sleep(for: .seconds(1))
        }
    }

    private func printSummary(report: InboxReport, checks: [DemoCheck], console: Console) {
        console.line()
        console.line("By platform (GetChannelHealth and ListConversations):")
        var platforms = TextTable([
            ("PLATFORM", 10), ("CONVERSATIONS", 13), ("EVENTS", 6), ("DUPLICATES", 10), ("HIDDEN", 6),
            ("REPLIES SENT", 12), ("LAST ERROR", 60),
        ])
        for platform in DemoPlatform.allCases {
            let conversations = report.conversations.filter { $0.platform == platform.proto }.count
            platforms.add([
                platform.title, String(conversations), String(report.counter(platform, \.acceptedEvents)),
                String(report.counter(platform, \.duplicateEvents)), String(report.counter(platform, \.hiddenEvents)),
                String(report.counter(platform, \.sentDeliveries)), report.health[platform]?.lastError ?? "",
            ])
        }
        for line in platforms.rendered() { console.line(line) }

        console.line()
        console.line("Summary (sent by the demo, reported by the services):")
        var summary = TextTable([("", 24), ("SENT", 4), ("REPORTED", 8), ("", 8), ("", 100)])
        for check in checks {
            summary.add([
                check.name, String(check.sent), String(check.reported), check.ok ? "ok" : "MISMATCH", check.note,
            ])
        }
        for line in summary.rendered() { console.line(line) }
    }

    private func printExplore(shop: DemoShop, replies: [SentReply], console: Console) {
        let ctl = self.settings.inboxctl
        let organization = shop.organization.id
        let messenger = replies.first { $0.plan.platform == .facebook }?.conversation.id ?? "<conversation id>"
        console.line()
        console.line("Explore it with inboxctl (from the checkout):")
        console.line("  export TOKEN_SIGNING_KEY=$(cat .local/token-signing-key)")
        console.line(
            "  export INBOX_TOKEN=$(\(ctl) token --role agent --organization \(organization) --agent alice --hours 8)")
        console.line("  \(ctl) conversations list                       # the inbox, newest activity first")
        console.line("  \(ctl) conversations show \(messenger)   # the edit, the unsend, the reply")
        console.line(
            "  \(ctl) watch                                    # live changes (post a webhook, reply); Ctrl-C ends")
        console.line(
            "  INBOX_TOKEN=$(\(ctl) token --role admin --organization \(organization)) \(ctl) inbound list --hidden")
        if let webChat = shop.channels[.webChat] {
            console.line(
                "The web chat's demo page (write as a visitor, answer with `\(ctl) reply`): "
                    + "\(self.settings.publicBaseURL)/chat/\(webChat.id)/demo")
        }
    }
}
