import InboxKit
import Logging
import NIOCore
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The lookups the webhook endpoints and the relay need, across organisations (the platform's
/// delivery names an account or a channel, never an organisation).
extension ChannelRepository {
    /// A channel with its sealed secrets, whatever its organisation.
    func channelWithSecrets(_ id: UUID) async throws -> (ChannelAccount, keyID: String, ciphertext: [UInt8])? {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.columns), coalesce(credentials_key_id, ''), coalesce(credentials_ciphertext, ''::bytea)
            FROM channels WHERE id = \(id)
            """,
            logger: self.logger)
        for try await row in rows.decode(
            (
                UUID, String, String, String, String, String, String, Bool, [String], Date, Date, Date?, String,
                ByteBuffer
            )
            .self)
        {
            let channel = try Self.channel(
                (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11))
            return (channel, row.12, Array(buffer: row.13))
        }
        return nil
    }

    /// A channel, whatever its organisation, with its sealed secrets opened (nil when it stores
    /// none); nil when there is no such channel. Throws ``ChannelSecretsUnreadable`` when the secrets
    /// cannot be opened (their key is missing from this deployment), and the database's errors.
    /// The webhook endpoints, the content fetcher, the delivery worker and the pollers all read
    /// channels this way.
    func openedChannel(_ id: UUID, box: ChannelSecretsBox) async throws -> (ChannelAccount, ChannelSecrets?)? {
        guard let (account, keyID, ciphertext) = try await self.channelWithSecrets(id) else { return nil }
        guard !ciphertext.isEmpty else { return (account, nil) }
        do {
            return (account, try box.open(keyID: keyID, ciphertext: ciphertext))
        } catch {
            throw ChannelSecretsUnreadable(underlying: error)
        }
    }

    /// The connected (not disconnected) channels of these platform accounts.
    func connectedChannels(platform: Platform, accountIDs: [String]) async throws -> [ChannelAccount] {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.columns) FROM channels
            WHERE platform = \(platform.rawValue) AND external_account_id = ANY(\(accountIDs)::text[])
                AND status <> 'disconnected'
            """,
            logger: self.logger)
        var result: [ChannelAccount] = []
        for try await row in rows.decode(Row.self) { result.append(try Self.channel(row)) }
        return result
    }

    /// Marks a channel SUBSCRIPTION_REVOKED (the account revoked our app; X `user_event.revoke`).
    func markSubscriptionRevoked(_ id: UUID, at instant: Date) async throws {
        try await self.client.query(
            """
            UPDATE channels SET status = 'subscription_revoked', updated_at = \(instant),
                last_error = 'The account revoked the app''s access; connect it again.', last_error_at = \(instant)
            WHERE id = \(id) AND status <> 'disconnected'
            """,
            logger: self.logger)
    }
}

/// A channel's sealed secrets could not be opened (see ``ChannelRepository/openedChannel(_:box:)``).
struct ChannelSecretsUnreadable: Error {
    let underlying: any Error
}
