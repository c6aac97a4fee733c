import InboxKit
import Logging
import NIOCore
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A channel read under its row lock for a token renewal: its account (status, expiry) and its
/// opened secrets.
struct LockedChannelCredentials: Sendable {
    var account: ChannelAccount
    var secrets: ChannelSecrets
}

/// What a token renewal does to the locked channel before the lock is released, in the same
/// transaction.
enum ChannelCredentialsChange: Sendable {
    /// Nothing (the token did not need renewing after all, or the renewal failed for a while).
    case unchanged
    /// The platform issued new tokens: the secrets are sealed again and the expiry moves.
    case renewed(ChannelSecrets, expiresAt: Date?)
    /// The platform refused the refresh token: the channel becomes TOKEN_INVALID with this error
    /// (GetChannelHealth), as a refused access token makes it in the delivery worker.
    case tokenInvalid(String)
    /// An error to show on the channel (its ChannelErrorReason word), the status unchanged.
    case error(String, reason: String)
}

extension ChannelRepository {
    /// Runs `body` with the channel's credentials read under `SELECT ... FOR UPDATE`, then applies
    /// the change it returns, in one transaction: two workers or replicas renewing one channel's
    /// token take turns, and the second reads what the first stored (X refresh tokens work once).
    /// `body` gets nil when the channel does not exist or stores no secrets; its I/O (the
    /// platform's token endpoint) happens while the row is locked, bounded by its HTTP timeout.
    /// Throws ``ChannelSecretsUnreadable`` when the secrets cannot be opened, and the database's
    /// errors (wrapped in `PostgresTransactionError`).
    func withLockedCredentials<Value: Sendable>(
        _ id: UUID, box: ChannelSecretsBox, now: @Sendable () -> Date,
        _ body: (LockedChannelCredentials?) async throws -> (Value, ChannelCredentialsChange)
    ) async throws -> Value {
        try await self.client.withTransaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns), coalesce(credentials_key_id, ''),
                    coalesce(credentials_ciphertext, ''::bytea)
                FROM channels WHERE id = \(id) FOR UPDATE
                """,
                logger: self.logger)
            var locked: LockedChannelCredentials?
            for try await row in rows.decode(
                (
                    UUID, String, String, String, String, String, String, Bool, [String], Date, Date, Date?, String,
                    ByteBuffer
                ).self)
            {
                let account = try Self.channel(
                    (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11))
                let ciphertext = Array(buffer: row.13)
                if !ciphertext.isEmpty {
                    do {
                        locked = LockedChannelCredentials(
                            account: account, secrets: try box.open(keyID: row.12, ciphertext: ciphertext))
                    } catch {
                        throw ChannelSecretsUnreadable(underlying: error)
                    }
                }
            }
            let (value, change) = try await body(locked)
            let at = now()
            switch change {
            case .unchanged:
                break
            case .renewed(let secrets, let expiresAt):
                let sealed = try box.seal(secrets)
                try await connection.query(
                    """
                    UPDATE channels SET credentials_ciphertext = \(ByteBuffer(bytes: sealed.ciphertext)),
                        credentials_key_id = \(sealed.keyID), configured_credentials = \(secrets.configured),
                        token_expires_at = \(expiresAt), updated_at = \(at)
                    WHERE id = \(id)
                    """,
                    logger: self.logger)
            case .tokenInvalid(let text):
                try await connection.query(
                    """
                    UPDATE channels SET
                        status = CASE WHEN status = 'active' THEN 'token_invalid' ELSE status END,
                        updated_at = CASE WHEN status = 'active' THEN \(at) ELSE updated_at END,
                        last_error = \(text), last_error_reason = 'token_invalid', last_error_at = \(at)
                    WHERE id = \(id)
                    """,
                    logger: self.logger)
            case .error(let text, let reason):
                try await connection.query(
                    """
                    UPDATE channels SET last_error = \(text), last_error_reason = \(reason), last_error_at = \(at)
                    WHERE id = \(id)
                    """,
                    logger: self.logger)
            }
            return value
        }
    }
}
