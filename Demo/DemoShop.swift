import GRPCCore
import InboxAPI
import InboxKit

/// What the demo makes before any traffic, as an operator and an admin would: an organisation on
/// the enterprise plan (so all ten platforms), a support team with two agents online and a rule
/// routing every conversation to it, and one channel per platform.
struct DemoShop: Sendable {
    static let namePrefix = "Demo shop"
    static let agents = [("alice", "Alice Martin"), ("bob", "Bob Chen")]

    var organization: Inbox_V1_Organization
    var team: Inbox_V1_Team
    var channels: [DemoPlatform: Inbox_V1_Channel]
    var admin: Metadata
    /// Agent alice, who replies.
    var agent: Metadata

    /// Disconnects the channels of earlier demos' organisations (named ``namePrefix``…): the fakes'
    /// accounts are the same every run, and an account is connected to one channel at a time.
    /// Returns how many organisations and channels.
    static func retireEarlierDemos(_ clients: InboxClients, tokens: DemoTokens) async throws -> (Int, Int) {
        let operatorToken = try await tokens.metadata(.operator)
        var earlier: [Inbox_V1_Organization] = []
        var pageToken = ""
        repeat {
            let request = Inbox_V1_ListOrganizationsRequest.with {
                $0.pageSize = 100
                $0.pageToken = pageToken
            }
            let page = try await retryingUnavailable {
                try await clients.policy.listOrganizations(
                    request, metadata: operatorToken, options: InboxClients.options)
            }
            earlier += page.organizations.filter { $0.name.hasPrefix(Self.namePrefix) }
            pageToken = page.nextPageToken
        } while !pageToken.isEmpty
        var disconnected = 0
        for organization in earlier {
            let admin = try await tokens.metadata(.admin, organization: organization.id)
            let channels = try await retryingUnavailable {
                try await clients.gateway.listChannels(
                    .with { $0.pageSize = 100 }, metadata: admin, options: InboxClients.options)
            }.channels
            for channel in channels {
                _ = try await clients.gateway.disconnectChannel(
                    .with { $0.channelID = channel.id }, metadata: admin, options: InboxClients.options)
                disconnected += 1
            }
        }
        return (earlier.count, disconnected)
    }

    /// Creates the shop; `runTag` names it and keeps its idempotency keys apart from earlier runs'.
    static func open(
        _ clients: InboxClients, tokens: DemoTokens, settings: DemoSettings, telegramSecret: String, runTag: String
    ) async throws -> DemoShop {
        let operatorToken = try await tokens.metadata(.operator)
        let organization = try await retryingUnavailable {
            try await clients.policy.createOrganization(
                .with {
                    $0.name = "\(Self.namePrefix) \(runTag)"
                    $0.plan = .enterprise
                    $0.timeZone = "Europe/Paris"
                    $0.idempotencyKey = "inbox-demo-\(runTag)"
                }, metadata: operatorToken, options: InboxClients.options)
        }
        let admin = try await tokens.metadata(.admin, organization: organization.id)
        let agent = try await tokens.metadata(.agent, organization: organization.id, agent: "alice")

        let team = try await retryingUnavailable {
            try await clients.assignment.createTeam(
                .with {
                    $0.name = "Support"
                    $0.awayPolicy = .returnToQueue
                    $0.idempotencyKey = "inbox-demo-\(runTag)-team"
                }, metadata: admin, options: InboxClients.options)
        }
        for (id, name) in Self.agents {
            _ = try await clients.assignment.upsertAgent(
                .with {
                    $0.agent = .with {
                        $0.id = id
                        $0.displayName = name
                        $0.teamIds = [team.id]
                        $0.capacity = 20
                    }
                }, metadata: admin, options: InboxClients.options)
            _ = try await clients.assignment.setAgentAvailability(
                .with {
                    $0.agentID = id
                    $0.availability = .online
                }, metadata: admin, options: InboxClients.options)
        }
        _ = try await clients.assignment.createRoutingRule(
            .with {
                $0.rule = .with {
                    $0.name = "Everything to Support"
                    $0.priority = 100
                    // A rule names what it matches: every platform the demo connects.
                    $0.condition = .with { $0.platforms = DemoPlatform.allCases.map(\.proto) }
                    $0.teamID = team.id
                    $0.enabled = true
                }
                $0.idempotencyKey = "inbox-demo-\(runTag)-rule"
            }, metadata: admin, options: InboxClients.options)

        var channels: [DemoPlatform: Inbox_V1_Channel] = [:]
        for platform in DemoPlatform.allCases {
            let request = DemoAccounts.connectRequest(
                platform, apps: settings.apps, telegramSecret: telegramSecret, run: runTag)
            do {
                channels[platform] = try await retryingUnavailable {
                    try await clients.gateway.connectChannel(request, metadata: admin, options: InboxClients.options)
                }
            } catch let error as RPCError where error.code == .alreadyExists {
                throw DemoFailure(
                    "the \(platform.title) account \(request.externalAccountID) is connected to another organisation's "
                        + "channel (\(error.message)); disconnect it (inboxctl channel list, DisconnectChannel) and run "
                        + "the demo again")
            }
        }
        return DemoShop(organization: organization, team: team, channels: channels, admin: admin, agent: agent)
    }
}
