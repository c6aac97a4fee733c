import InboxKit
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The gateway's channel accounts (`gateway.channels`). Secrets are stored sealed (never read back
/// by any RPC); one connected channel per platform account (a unique index), idempotent creation.
struct ChannelRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    static let columns = """
        id, organization_id, platform, external_account_id, display_name, status, settings::text,
        instagram_message_requests_enabled, configured_credentials, created_at, updated_at, token_expires_at
        """

    typealias Row = (UUID, String, String, String, String, String, String, Bool, [String], Date, Date, Date?)

    func insert(
        _ channel: ChannelAccount, sealed: (keyID: String, ciphertext: [UInt8]), idempotencyKey: String?,
        fingerprint: String
    ) async throws -> ChannelAccount {
        if let key = idempotencyKey,
            let existing = try await self.channel(idempotencyKey: key, organizationID: channel.organizationID)
        {
            guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
            return existing.channel
        }
        do {
            try await self.client.query(
                """
                INSERT INTO channels (id, organization_id, platform, external_account_id, display_name, status, settings,
                    credentials_ciphertext, credentials_key_id, configured_credentials,
                    instagram_message_requests_enabled, idempotency_key, idempotency_fingerprint, created_at, updated_at,
                    token_expires_at)
                VALUES (\(channel.id), \(channel.organizationID), \(channel.platform.rawValue), \(channel.externalAccountID),
                    \(channel.displayName), \(channel.status.rawValue), \(try Self.json(channel.settings))::jsonb,
                    \(ByteBuffer(bytes: sealed.ciphertext)), \(sealed.keyID), \(channel.configuredCredentials),
                    \(channel.instagramMessageRequestsEnabled), \(idempotencyKey), \(fingerprint), \(channel.createdAt),
                    \(channel.updatedAt), \(channel.tokenExpiresAt))
                """,
                logger: self.logger
            )
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            if let key = idempotencyKey,
                let existing = try await self.channel(idempotencyKey: key, organizationID: channel.organizationID)
            {
                guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
                return existing.channel
            }
            throw DomainError.alreadyExists(
                "\(channel.platform.rawValue) account \(channel.externalAccountID) is already connected")
        }
        return channel
    }

    private func channel(idempotencyKey: String, organizationID: String) async throws
        -> (channel: ChannelAccount, fingerprint: String)?
    {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.columns), coalesce(idempotency_fingerprint, '') FROM channels
            WHERE organization_id = \(organizationID) AND idempotency_key = \(idempotencyKey)
            """,
            logger: self.logger
        )
        for try await row in rows.decode(
            (UUID, String, String, String, String, String, String, Bool, [String], Date, Date, Date?, String).self)
        {
            return (
                try Self.channel(
                    (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11)),
                row.12
            )
        }
        return nil
    }

    func channel(_ id: UUID, organizationID: String) async throws -> ChannelAccount? {
        let rows = try await self.client.query(
            "SELECT \(unescaped: Self.columns) FROM channels WHERE organization_id = \(organizationID) AND id = \(id)",
            logger: self.logger
        )
        for try await row in rows.decode(Row.self) { return try Self.channel(row) }
        return nil
    }

    /// A page in id order, after a cursor (stable while channels are added).
    func channels(
        organizationID: String, platforms: [Platform], includeDisconnected: Bool, after cursor: UUID?, limit: Int
    ) async throws -> [ChannelAccount] {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.columns) FROM channels
            WHERE organization_id = \(organizationID)
                AND (cardinality(\(platforms.map(\.rawValue))::text[]) = 0 OR platform = ANY(\(platforms.map(\.rawValue))))
                AND (\(includeDisconnected) OR status <> 'disconnected')
                AND (\(cursor)::uuid IS NULL OR id > \(cursor))
            ORDER BY id LIMIT \(limit)
            """,
            logger: self.logger
        )
        var result: [ChannelAccount] = []
        for try await row in rows.decode(Row.self) { result.append(try Self.channel(row)) }
        return result
    }

    func disconnect(_ id: UUID, organizationID: String, at instant: Date) async throws -> ChannelAccount? {
        let rows = try await self.client.query(
            """
            UPDATE channels SET status = 'disconnected', updated_at = \(instant)
            WHERE organization_id = \(organizationID) AND id = \(id)
            RETURNING \(unescaped: Self.columns)
            """,
            logger: self.logger
        )
        for try await row in rows.decode(Row.self) { return try Self.channel(row) }
        return nil
    }

    /// The sealed secrets of a channel, for the gateway's own use (sending, verifying webhooks).
    func sealedSecrets(_ id: UUID, organizationID: String) async throws -> (keyID: String, ciphertext: [UInt8])? {
        let rows = try await self.client.query(
            """
            SELECT credentials_key_id, credentials_ciphertext FROM channels
            WHERE organization_id = \(organizationID) AND id = \(id) AND credentials_ciphertext IS NOT NULL
            """,
            logger: self.logger
        )
        for try await (keyID, bytes) in rows.decode((String, ByteBuffer).self) {
            return (keyID, Array(buffer: bytes))
        }
        return nil
    }

    /// New secrets (and the access token's expiry, nil when unknown) for a connected channel; a
    /// TOKEN_INVALID channel becomes ACTIVE again.
    func rotate(
        _ id: UUID, organizationID: String, sealed: (keyID: String, ciphertext: [UInt8]), configured: [String],
        tokenExpiresAt: Date?, at instant: Date
    ) async throws -> ChannelAccount? {
        let rows = try await self.client.query(
            """
            UPDATE channels SET credentials_ciphertext = \(ByteBuffer(bytes: sealed.ciphertext)),
                credentials_key_id = \(sealed.keyID), configured_credentials = \(configured),
                token_expires_at = \(tokenExpiresAt),
                status = CASE WHEN status = 'token_invalid' THEN 'active' ELSE status END, updated_at = \(instant)
            WHERE organization_id = \(organizationID) AND id = \(id) AND status <> 'disconnected'
            RETURNING \(unescaped: Self.columns)
            """,
            logger: self.logger
        )
        for try await row in rows.decode(Row.self) { return try Self.channel(row) }
        return nil
    }

    static func channel(_ row: Row) throws -> ChannelAccount {
        ChannelAccount(
            id: row.0, organizationID: row.1, platform: Platform(rawValue: row.2) ?? .facebook,
            externalAccountID: row.3,
            displayName: row.4, status: ChannelAccount.Status(rawValue: row.5) ?? .active,
            settings: (try? JSONDecoder().decode([String: String].self, from: Data(row.6.utf8))) ?? [:],
            instagramMessageRequestsEnabled: row.7, configuredCredentials: row.8, createdAt: row.9, updatedAt: row.10,
            tokenExpiresAt: row.11)
    }

    static func json(_ settings: [String: String]) throws -> String {
        String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
    }
}
