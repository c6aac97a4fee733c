import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import PlatformJSON
import TestSupport
import Testing

@testable import ChannelGateway

@Suite("channel-gateway: the inbound pipeline")
struct InboundPipelineTests {
    static let now = Int64(Date().timeIntervalSince1970 * 1000)

    static func messenger(page: String, mid: String, text: String = "Bonjour") -> WireJSON {
        WebhookPayloads.messengerText(pageID: page, senderPSID: "psid-\(mid)", mid: mid, text: text, timestamp: now)
    }

    static func signed(_ payload: WireJSON, _ harness: GatewayHarness, path: String = "/webhooks/facebook")
        -> SignedWebhook
    {
        MetaWebhookSigner.signed(payload, url: harness.url(path), appSecret: GatewayHarness.metaSecret)
    }

    @Test func aSignedMessengerMessageIsCommittedThenRelayedOnce() async throws {
        try await GatewayHarness.with { h in
            let channel = try await h.connectPage("111000111")
            let reply = try await h.post(Self.signed(Self.messenger(page: "111000111", mid: "m_1"), h))
            #expect(reply.status == 200)
            let delivered = try await h.eventually { try await h.states()["delivered"] == 1 }
            #expect(delivered)
            let received = h.peers.received
            #expect(received.count == 1)
            let event = try #require(received.first)
            #expect(event.organizationID == GatewayHarness.organization)
            #expect(event.channelID == channel.id)
            #expect(event.platformEventID == "m_1")
            #expect(event.text == "Bonjour")
            #expect(event.type == .message && event.kind == .directMessage)
            let stored = try await h.count("SELECT count(*) FROM inbound_deliveries")
            #expect(stored == 1)
        }
    }
}

extension InboundPipelineTests {
    /// Two Pages of two organisations in one Meta POST: each entry reaches its own channel.
    @Test func oneMetaPostWithTwoPagesReachesBothChannels() async throws {
        try await GatewayHarness.with { h in
            let a = try await h.connectPage("111", organization: GatewayHarness.organization)
            let b = try await h.connectPage("222", organization: "org-big")
            var payload = Self.messenger(page: "111", mid: "m_a")
            let second = Self.messenger(page: "222", mid: "m_b")
            guard case .object(var root) = payload, case .array(let first)? = root["entry"],
                case .object(let other) = second, case .array(let more)? = other["entry"]
            else { throw TestFailure("unexpected payload shape") }
            root["entry"] = .array(first + more)
            payload = .object(root)
            #expect(try await h.post(Self.signed(payload, h)).status == 200)
            let both = try await h.eventually { h.peers.received.count == 2 }
            #expect(both)
            let byChannel = Dictionary(h.peers.received.map { ($0.platformEventID, $0) }) { first, _ in first }
            #expect(byChannel["m_a"]?.channelID == a.id)
            #expect(byChannel["m_a"]?.organizationID == GatewayHarness.organization)
            #expect(byChannel["m_b"]?.channelID == b.id)
            #expect(byChannel["m_b"]?.organizationID == "org-big")
            // One POST, one stored body, however many entries it carried.
            #expect(try await h.count("SELECT count(*) FROM inbound_deliveries") == 1)
        }
    }

    /// An entry for a Page no channel has is kept UNROUTED (and still answered 200), then routed
    /// and relayed when that Page is connected.
    @Test func anUnknownAccountIsKeptUnroutedThenRoutedOnConnect() async throws {
        try await GatewayHarness.with { h in
            #expect(try await h.post(Self.signed(Self.messenger(page: "333", mid: "m_early"), h)).status == 200)
            #expect(try await h.states() == ["unrouted": 1])
            #expect(h.peers.received.isEmpty)
            let unrouted = try await h.client.listInboundEvents(
                .with { $0.states = [.unrouted] }, metadata: GatewayHarness.operatorToken())
            #expect(unrouted.events.map(\.event.platformEventID) == ["m_early"])
            #expect(unrouted.events.first?.event.platformAccountID == "333")
            // Admins do not see entries that belong to no organisation yet.
            await #expect(throws: RPCError.self) {
                _ = try await h.client.listInboundEvents(
                    .with { $0.states = [.unrouted] }, metadata: GatewayHarness.admin())
            }
            let channel = try await h.connectPage("333")
            let relayed = try await h.eventually { h.peers.received.count == 1 }
            #expect(relayed)
            #expect(h.peers.received.first?.channelID == channel.id)
            #expect(h.peers.received.first?.organizationID == GatewayHarness.organization)
            let settled = try await h.eventually { try await h.states() == ["delivered": 1] }
            #expect(settled)
        }
    }

    /// A repeated delivery, one after the other or many at once, is stored once and relayed once;
    /// every copy is answered 200 and the repeats are counted.
    @Test func duplicateDeliveriesAreStoredAndRelayedOnce() async throws {
        try await GatewayHarness.with { h in
            let channel = try await h.connectPage("111")
            let webhook = Self.signed(Self.messenger(page: "111", mid: "m_dup"), h)
            #expect(try await h.post(webhook).status == 200)
            #expect(try await h.post(webhook).status == 200)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 { group.addTask { try await h.post(webhook).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 10))
            #expect(try await h.count("SELECT count(*) FROM inbound_events") == 1)
            #expect(try await h.count("SELECT count(*) FROM inbound_deliveries") == 1)
            let relayed = try await h.eventually { try await h.states()["delivered"] == 1 }
            #expect(relayed)
            try await Task.sleep(for: .milliseconds(200))
            #expect(h.peers.received.count == 1)
            let counted = try await h.eventually {
                let health = try await h.client.getChannelHealth(
                    .with { $0.channelID = channel.id }, metadata: GatewayHarness.admin())
                return health.duplicateEvents == 11 && health.acceptedEvents == 1
            }
            #expect(counted)
        }
    }

    /// Conversation-service down while 500 events arrive: every one is accepted, and once it is
    /// back each is delivered exactly once.
    @Test func conversationServiceDownWhile500EventsArrive() async throws {
        try await GatewayHarness.with { h in
            try await h.connectPage("111")
            h.peers.with { $0.conversationDown = true }
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<500 {
                    group.addTask {
                        try await h.post(Self.signed(Self.messenger(page: "111", mid: "m_\(index)"), h)).status
                    }
                    if index % 16 == 15 { for try await status in group.prefix(16) { #expect(status == 200) } }
                }
                for try await status in group { #expect(status == 200) }
            }
            #expect(try await h.count("SELECT count(*) FROM inbound_events") == 500)
            #expect(h.peers.received.isEmpty)
            // Tried and backing off, but an outage is not the event's fault: no try is used up.
            let tried = try await h.eventually {
                try await h.count(
                    "SELECT count(*) FROM inbound_events WHERE state = 'pending' AND last_error IS NOT NULL") > 0
            }
            #expect(tried)
            #expect(try await h.count("SELECT count(*) FROM inbound_events WHERE attempts > 0") == 0)
            h.peers.with { $0.conversationDown = false }
            let all = try await h.eventually(timeout: .seconds(30)) { try await h.states()["delivered"] == 500 }
            #expect(all)
            let ids = h.peers.received.map(\.platformEventID)
            #expect(ids.count == 500)
            #expect(Set(ids).count == 500)
        }
    }

    /// Two gateway replicas relaying from one database never send one event twice.
    @Test func twoRelaysAtOnceSendEachEventOnce() async throws {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway", maxConnections: 20) {
                postgres in
                try await MigrationRunner(schema: "gateway", migrations: GatewayMigrations.all)
                    .migrate(postgres, logger: .init(label: "migrations"))
                let peers = GatewayPeerStandIns()
                // A slow conversation-service keeps both relays' rounds overlapping.
                peers.with { $0.ingestDelay = .milliseconds(30) }
                try await GatewayHarness.run(database: postgres, peers: peers) { first in
                    try await GatewayHarness.run(database: postgres, peers: peers) { second in
                        try await first.connectPage("111")
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for index in 0..<300 {
                                let replica = index % 2 == 0 ? first : second
                                group.addTask {
                                    let webhook = Self.signed(Self.messenger(page: "111", mid: "m_\(index)"), replica)
                                    let status = try await replica.post(webhook).status
                                    #expect(status == 200)
                                }
                                if index % 16 == 15 { try await group.waitForAll() }
                            }
                            try await group.waitForAll()
                        }
                        let all = try await first.eventually(timeout: .seconds(30)) {
                            try await first.states()["delivered"] == 300
                        }
                        #expect(all)
                        let ids = peers.received.map(\.platformEventID)
                        #expect(ids.count == 300)
                        #expect(Set(ids).count == 300)
                        #expect(peers.with { $0.ingestCalls } >= 2)
                    }
                }
            }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
