import InboxKit
import Logging
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import ChannelGateway

/// WeChat invalidates the previous access token on every fetch, so the gateway's replicas must
/// share one token: two caches (two replicas) on one database fetch once between them.
@Suite("WeChat access tokens shared across replicas")
struct WeChatTokenStoreTests {
    let logger = Logger(label: "wechat-token-test")

    func withGatewayDatabase(_ body: (PostgresClient) async throws -> Void) async throws {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway") { client in
                try await MigrationRunner(schema: "gateway", migrations: GatewayMigrations.all)
                    .migrate(client, logger: self.logger)
                try await body(client)
            }
        }
    }

    @Test func twoReplicasFetchOneTokenBetweenThem() async throws {
        try await self.withGatewayDatabase { client in
            let fetches = Atomic<Int>(0)
            let fetch: @Sendable () async -> Result<WeChatAccessToken, WeChatTokenError> = {
                let number = fetches.add(1, ordering: .relaxed).newValue
                try? await Task.sleep(for: .milliseconds(100))
                return .success(WeChatAccessToken(value: "token-\(number)", expiresIn: .seconds(7200)))
            }
            let replicas = (0..<2).map { _ in
                WeChatAccessTokenCache(store: PostgresWeChatTokenStore(client: client, logger: self.logger))
            }
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for replica in replicas {
                    for _ in 0..<5 {
                        group.addTask { try await replica.token(appID: "wx-app", fetch: fetch).get() }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(fetches.load(ordering: .relaxed) == 1)
            #expect(Set(tokens) == ["token-1"])

            // WeChat refused token-1 (40001): one replica forgets it here and in the store; the
            // next fetch replaces it for both.
            await replicas[0].invalidate(appID: "wx-app", token: "token-1")
            let first = try await replicas[0].token(appID: "wx-app", fetch: fetch).get()
            #expect(first == "token-2")
            await replicas[1].invalidate(appID: "wx-app", token: "token-1")
            let second = try await replicas[1].token(appID: "wx-app", fetch: fetch).get()
            #expect(second == "token-2")
            #expect(fetches.load(ordering: .relaxed) == 2)
        }
    }

    @Test func aFailedFetchStoresNothing() async throws {
        try await self.withGatewayDatabase { client in
            let store = PostgresWeChatTokenStore(client: client, logger: self.logger)
            let failed = await store.token(appID: "wx-app", validFor: .seconds(300)) {
                .failure(WeChatTokenError(detail: "40125 invalid appsecret", isTransient: false))
            }
            #expect(throws: WeChatTokenError.self) { try failed.get() }
            let rows = try await client.query("SELECT count(*)::int8 FROM wechat_access_tokens", logger: self.logger)
            for try await count in rows.decode(Int.self) { #expect(count == 0) }
        }
    }

    /// A token about to expire is not handed out: the store fetches a new one.
    @Test func aTokenWithinTheMarginIsReplaced() async throws {
        try await self.withGatewayDatabase { client in
            let store = PostgresWeChatTokenStore(client: client, logger: self.logger)
            _ = await store.token(appID: "wx-app", validFor: .seconds(300)) {
                .success(WeChatAccessToken(value: "short", expiresIn: .seconds(200)))
            }
            let next = await store.token(appID: "wx-app", validFor: .seconds(300)) {
                .success(WeChatAccessToken(value: "long", expiresIn: .seconds(7200)))
            }
            let value = try next.get().value
            #expect(value == "long")
        }
    }
}
