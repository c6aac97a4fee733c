import InboxKit
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// policy-service's tables (`policy` schema). Every query is scoped by organisation; uniqueness
/// and idempotency are the database's constraints.
struct PolicyRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    static let organizationColumns = """
        id, name, plan, inactivity_days, time_zone, first_response_target_seconds, created_at, updated_at
        """

    // MARK: Organisations

    /// Creates the organisation and its active inbox, or returns the one created before with the
    /// same idempotency key (the same request); a different request with that key is refused.
    func createOrganization(_ organization: Organization, idempotencyKey: String?, fingerprint: String)
        async throws -> Organization
    {
        if let key = idempotencyKey, let existing = try await self.organization(idempotencyKey: key) {
            guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
            return existing.organization
        }
        do {
            try await self.client.withTransaction(logger: self.logger) { connection in
                let target = organization.firstResponseTarget.map { Int($0.components.seconds) }
                try await connection.query(
                    """
                    INSERT INTO organizations (id, name, plan, inactivity_days, time_zone, first_response_target_seconds,
                        idempotency_key, idempotency_fingerprint, created_at, updated_at)
                    VALUES (\(organization.id), \(organization.name), \(organization.plan.rawValue),
                        \(organization.inactivityDays), \(organization.timeZone), \(target), \(idempotencyKey),
                        \(fingerprint), \(organization.createdAt), \(organization.createdAt))
                    """,
                    logger: self.logger
                )
                try await connection.query(
                    """
                    INSERT INTO inbox_activity (organization_id, status, last_activity_at, last_activity_kind)
                    VALUES (\(organization.id), 'active', \(organization.createdAt), 'activated')
                    """,
                    logger: self.logger
                )
            }
        } catch let error as PostgresTransactionError {
            // Two creations with one key at once: the loser returns the winner's organisation.
            if let key = idempotencyKey, Self.isUniqueViolation(error.closureError),
                let existing = try await self.organization(idempotencyKey: key)
            {
                guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
                return existing.organization
            }
            throw error.closureError ?? error
        }
        return organization
    }

    private func organization(idempotencyKey: String) async throws -> (organization: Organization, fingerprint: String)?
    {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.organizationColumns), coalesce(idempotency_fingerprint, '')
            FROM organizations WHERE idempotency_key = \(idempotencyKey)
            """,
            logger: self.logger
        )
        for try await row in rows.decode(
            (String, String, String, Int, String, Int?, Date, Date, String).self)
        {
            return (Self.organization(row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7), row.8)
        }
        return nil
    }

    func organization(_ id: String) async throws -> Organization? {
        try await self.organizations(ids: [id]).first
    }

    func organizations(ids: [String]) async throws -> [Organization] {
        let rows = try await self.client.query(
            "SELECT \(unescaped: Self.organizationColumns) FROM organizations WHERE id = ANY(\(ids))",
            logger: self.logger
        )
        var result: [Organization] = []
        for try await row in rows.decode((String, String, String, Int, String, Int?, Date, Date).self) {
            result.append(Self.organization(row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7))
        }
        return result
    }

    /// A page in id order, after `afterID`.
    func organizations(after afterID: String?, limit: Int) async throws -> [Organization] {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.organizationColumns) FROM organizations
            WHERE \(afterID)::text IS NULL OR id > \(afterID) ORDER BY id LIMIT \(limit)
            """,
            logger: self.logger
        )
        var result: [Organization] = []
        for try await row in rows.decode((String, String, String, Int, String, Int?, Date, Date).self) {
            result.append(Self.organization(row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7))
        }
        return result
    }

    func update(_ organization: Organization) async throws -> Organization? {
        let target = organization.firstResponseTarget.map { Int($0.components.seconds) }
        let rows = try await self.client.query(
            """
            UPDATE organizations SET name = \(organization.name), plan = \(organization.plan.rawValue),
                inactivity_days = \(organization.inactivityDays), time_zone = \(organization.timeZone),
                first_response_target_seconds = \(target), updated_at = \(organization.updatedAt)
            WHERE id = \(organization.id)
            RETURNING \(unescaped: Self.organizationColumns)
            """,
            logger: self.logger
        )
        for try await row in rows.decode((String, String, String, Int, String, Int?, Date, Date).self) {
            return Self.organization(row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7)
        }
        return nil
    }

    static func organization(
        _ id: String, _ name: String, _ plan: String, _ days: Int, _ zone: String, _ target: Int?, _ created: Date,
        _ updated: Date
    ) -> Organization {
        Organization(
            id: id, name: name, plan: Plan(rawValue: plan) ?? .standard, inactivityDays: days, timeZone: zone,
            firstResponseTarget: target.map { .seconds($0) }, createdAt: created, updatedAt: updated)
    }

    // MARK: Inbox activity

    func activity(_ organizationID: String) async throws -> InboxActivity? {
        try await self.activities([organizationID]).first
    }

    func activities(_ organizationIDs: [String]) async throws -> [InboxActivity] {
        let rows = try await self.client.query(
            """
            SELECT organization_id, status, last_activity_at, last_activity_kind, deactivated_at
            FROM inbox_activity WHERE organization_id = ANY(\(organizationIDs))
            """,
            logger: self.logger
        )
        var result: [InboxActivity] = []
        for try await row in rows.decode((String, String, Date, String, Date?).self) {
            result.append(Self.activity(row))
        }
        return result
    }

    /// Moves an active inbox's last activity forward (never backwards: a late report of an older
    /// activity changes nothing). A deactivated inbox is left as it is: only activation re-opens it.
    func record(_ kind: InboxActivity.Kind, at instant: Date, organizationID: String) async throws -> InboxActivity? {
        let rows = try await self.client.query(
            """
            UPDATE inbox_activity
            SET last_activity_at = \(instant), last_activity_kind = \(kind.rawValue)
            WHERE organization_id = \(organizationID) AND status = 'active' AND last_activity_at < \(instant)
            RETURNING organization_id, status, last_activity_at, last_activity_kind, deactivated_at
            """,
            logger: self.logger
        )
        for try await row in rows.decode((String, String, Date, String, Date?).self) { return Self.activity(row) }
        return try await self.activity(organizationID)
    }

    func activate(_ organizationID: String, at instant: Date) async throws -> InboxActivity? {
        let rows = try await self.client.query(
            """
            UPDATE inbox_activity
            SET status = 'active', last_activity_at = greatest(last_activity_at, \(instant)),
                last_activity_kind = 'activated', deactivated_at = NULL
            WHERE organization_id = \(organizationID)
            RETURNING organization_id, status, last_activity_at, last_activity_kind, deactivated_at
            """,
            logger: self.logger
        )
        for try await row in rows.decode((String, String, Date, String, Date?).self) { return Self.activity(row) }
        return nil
    }

    /// Deactivates every active inbox whose last activity is older than its organisation's
    /// inactivity days at `now`, once across replicas: the sweep runs under a transaction-scoped
    /// advisory lock that a replica skips when another holds it. Returns the organisations
    /// deactivated (nil when another replica was sweeping).
    func sweep(now: Date) async throws -> [String]? {
        try await self.client.withTransaction(logger: self.logger) { connection in
            let locked = try await connection.query(
                "SELECT pg_try_advisory_xact_lock(hashtext('social-inbox.policy.inbox-sweep'))", logger: self.logger)
            for try await got in locked.decode(Bool.self) where !got { return nil }
            let rows = try await connection.query(
                """
                UPDATE inbox_activity AS a SET status = 'deactivated', deactivated_at = \(now)
                FROM organizations AS o
                WHERE o.id = a.organization_id AND a.status = 'active'
                    AND a.last_activity_at + make_interval(days => o.inactivity_days) < \(now)
                RETURNING a.organization_id
                """,
                logger: self.logger
            )
            var deactivated: [String] = []
            for try await id in rows.decode(String.self) { deactivated.append(id) }
            return deactivated
        }
    }

    static func activity(_ row: (String, String, Date, String, Date?)) -> InboxActivity {
        InboxActivity(
            organizationID: row.0, status: InboxActivity.Status(rawValue: row.1) ?? .active, lastActivityAt: row.2,
            lastActivityKind: InboxActivity.Kind(rawValue: row.3) ?? .activated, deactivatedAt: row.4)
    }

    // MARK: Automatic reply rules

    static let ruleColumns = """
        id, organization_id, name, platforms, kinds, trigger::text, reply_text, cooldown_seconds, enabled, priority,
        created_at, updated_at
        """

    typealias RuleRow = (UUID, String, String, [String], [String], String, String, Int, Bool, Int, Date, Date)

    func createRule(_ rule: AutoReplyRule, idempotencyKey: String?, fingerprint: String) async throws -> AutoReplyRule {
        if let key = idempotencyKey,
            let existing = try await self.rule(idempotencyKey: key, organizationID: rule.organizationID)
        {
            guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
            return existing.rule
        }
        do {
            try await self.client.query(
                """
                INSERT INTO auto_reply_rules (organization_id, id, name, platforms, kinds, trigger_kind, trigger,
                    reply_text, cooldown_seconds, enabled, priority, idempotency_key, idempotency_fingerprint,
                    created_at, updated_at)
                VALUES (\(rule.organizationID), \(rule.id), \(rule.name), \(rule.platforms.map(\.rawValue).sorted()),
                    \(rule.kinds.map(\.rawValue).sorted()), \(rule.trigger.kind), \(try Self.json(rule.trigger))::jsonb,
                    \(rule.replyText), \(Int(rule.cooldown.components.seconds)), \(rule.enabled), \(rule.priority),
                    \(idempotencyKey), \(fingerprint), \(rule.createdAt), \(rule.updatedAt))
                """,
                logger: self.logger
            )
        } catch let error where Self.isUniqueViolation(error) {
            if let key = idempotencyKey,
                let existing = try await self.rule(idempotencyKey: key, organizationID: rule.organizationID)
            {
                guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
                return existing.rule
            }
            throw error
        }
        return rule
    }

    private func rule(idempotencyKey: String, organizationID: String) async throws
        -> (rule: AutoReplyRule, fingerprint: String)?
    {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.ruleColumns), coalesce(idempotency_fingerprint, '') FROM auto_reply_rules
            WHERE organization_id = \(organizationID) AND idempotency_key = \(idempotencyKey)
            """,
            logger: self.logger
        )
        for try await row in rows.decode(
            (UUID, String, String, [String], [String], String, String, Int, Bool, Int, Date, Date, String).self)
        {
            let rule = try Self.rule(
                (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11))
            return (rule, row.12)
        }
        return nil
    }

    func rule(_ id: UUID, organizationID: String) async throws -> AutoReplyRule? {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.ruleColumns) FROM auto_reply_rules
            WHERE organization_id = \(organizationID) AND id = \(id)
            """,
            logger: self.logger
        )
        for try await row in rows.decode(RuleRow.self) { return try Self.rule(row) }
        return nil
    }

    /// A page of an organisation's rules in evaluation order (priority, then id), after a cursor.
    func rules(organizationID: String, after cursor: (priority: Int, id: UUID)?, limit: Int) async throws
        -> [AutoReplyRule]
    {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.ruleColumns) FROM auto_reply_rules
            WHERE organization_id = \(organizationID)
                AND (\(cursor?.priority)::int IS NULL OR (priority, id) > (\(cursor?.priority), \(cursor?.id)))
            ORDER BY priority, id LIMIT \(limit)
            """,
            logger: self.logger
        )
        var result: [AutoReplyRule] = []
        for try await row in rows.decode(RuleRow.self) { result.append(try Self.rule(row)) }
        return result
    }

    /// Every enabled rule of these organisations (for evaluation).
    func enabledRules(organizationIDs: [String]) async throws -> [String: [AutoReplyRule]] {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.ruleColumns) FROM auto_reply_rules
            WHERE organization_id = ANY(\(organizationIDs)) AND enabled ORDER BY priority, id
            """,
            logger: self.logger
        )
        var result: [String: [AutoReplyRule]] = [:]
        for try await row in rows.decode(RuleRow.self) {
            let rule = try Self.rule(row)
            result[rule.organizationID, default: []].append(rule)
        }
        return result
    }

    func update(_ rule: AutoReplyRule) async throws -> AutoReplyRule? {
        let rows = try await self.client.query(
            """
            UPDATE auto_reply_rules SET name = \(rule.name), platforms = \(rule.platforms.map(\.rawValue).sorted()),
                kinds = \(rule.kinds.map(\.rawValue).sorted()), trigger_kind = \(rule.trigger.kind),
                trigger = \(try Self.json(rule.trigger))::jsonb, reply_text = \(rule.replyText),
                cooldown_seconds = \(Int(rule.cooldown.components.seconds)), enabled = \(rule.enabled),
                priority = \(rule.priority), updated_at = \(rule.updatedAt)
            WHERE organization_id = \(rule.organizationID) AND id = \(rule.id)
            RETURNING \(unescaped: Self.ruleColumns)
            """,
            logger: self.logger
        )
        for try await row in rows.decode(RuleRow.self) { return try Self.rule(row) }
        return nil
    }

    func deleteRule(_ id: UUID, organizationID: String) async throws -> Bool {
        let rows = try await self.client.query(
            "DELETE FROM auto_reply_rules WHERE organization_id = \(organizationID) AND id = \(id) RETURNING id",
            logger: self.logger
        )
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    // MARK: Automatic replies sent

    func lastAutomaticReplies(organizationID: String, conversationIDs: [String]) async throws -> [String: Date] {
        let rows = try await self.client.query(
            """
            SELECT conversation_id, sent_at FROM auto_replies_sent
            WHERE organization_id = \(organizationID) AND conversation_id = ANY(\(conversationIDs))
            """,
            logger: self.logger
        )
        var result: [String: Date] = [:]
        for try await (conversation, sentAt) in rows.decode((String, Date).self) { result[conversation] = sentAt }
        return result
    }

    /// Records automatic replies decided now, and counts them as activity (the seed's way to keep
    /// an inbox alive), in one transaction.
    func recordAutomaticReplies(
        _ replies: [(organizationID: String, conversationID: String, ruleID: UUID)], at instant: Date
    )
        async throws
    {
        guard !replies.isEmpty else { return }
        try await self.client.withTransaction(logger: self.logger) { connection in
            for reply in replies {
                try await connection.query(
                    """
                    INSERT INTO auto_replies_sent (organization_id, conversation_id, rule_id, sent_at)
                    VALUES (\(reply.organizationID), \(reply.conversationID), \(reply.ruleID), \(instant))
                    ON CONFLICT (organization_id, conversation_id)
                    DO UPDATE SET rule_id = excluded.rule_id, sent_at = excluded.sent_at
                    """,
                    logger: self.logger
                )
            }
            for organization in Set(replies.map(\.organizationID)) {
                try await connection.query(
                    """
                    UPDATE inbox_activity SET last_activity_at = \(instant), last_activity_kind = 'automatic_reply'
                    WHERE organization_id = \(organization) AND status = 'active' AND last_activity_at < \(instant)
                    """,
                    logger: self.logger
                )
            }
        }
    }

    // MARK: Agent presence

    /// Stores each organisation's latest report (an older report than the stored one is ignored).
    func recordPresence(_ reports: [(organizationID: String, online: Int, observedAt: Date)]) async throws {
        for report in reports {
            try await self.client.query(
                """
                INSERT INTO agent_presence (organization_id, agents_online, observed_at)
                VALUES (\(report.organizationID), \(report.online), \(report.observedAt))
                ON CONFLICT (organization_id) DO UPDATE
                    SET agents_online = excluded.agents_online, observed_at = excluded.observed_at
                    WHERE agent_presence.observed_at <= excluded.observed_at
                """,
                logger: self.logger
            )
        }
    }

    func presence(organizationIDs: [String]) async throws -> [String: Int] {
        let rows = try await self.client.query(
            "SELECT organization_id, agents_online FROM agent_presence WHERE organization_id = ANY(\(organizationIDs))",
            logger: self.logger
        )
        var result: [String: Int] = [:]
        for try await (id, online) in rows.decode((String, Int).self) { result[id] = online }
        return result
    }

    // MARK: Helpers

    static func rule(_ row: RuleRow) throws -> AutoReplyRule {
        AutoReplyRule(
            id: row.0, organizationID: row.1, name: row.2,
            platforms: Set(row.3.compactMap(PolicyPlatform.init(rawValue:))),
            kinds: Set(row.4.compactMap(PolicyKind.init(rawValue:))),
            trigger: try JSONDecoder().decode(AutoReplyTrigger.self, from: Data(row.5.utf8)),
            replyText: row.6, cooldown: .seconds(row.7), enabled: row.8, priority: row.9, createdAt: row.10,
            updatedAt: row.11)
    }

    static func json(_ trigger: AutoReplyTrigger) throws -> String {
        String(decoding: try JSONEncoder().encode(trigger), as: UTF8.self)
    }

    static func isUniqueViolation(_ error: (any Error)?) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }
}

extension AutoReplyTrigger {
    var kind: String {
        switch self {
        case .outsideBusinessHours: "outside_business_hours"
        case .noAgentOnline: "no_agent_online"
        case .keywords: "keywords"
        }
    }
}
