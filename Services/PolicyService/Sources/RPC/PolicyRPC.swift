import GRPCCore
import InboxAPI
import InboxKit
import InboxRules
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `inbox.v1.PolicyService` handlers: organisations and plans, the inbox's activity (the
/// 60-day rule), reply decisions and automatic replies. Every call acts on the caller's
/// organisation (operators and services name it); `now` is injectable for the tests.
struct PolicyRPC: Inbox_V1_PolicyService.SimpleServiceProtocol {
    let repository: PolicyRepository
    let cache: IngestFactsCache
    /// `INBOX_INACTIVITY_DAYS`: the inactivity days of new organisations.
    let defaultInactivityDays: Int
    let now: @Sendable () -> Date

    // MARK: Organisations

    func createOrganization(request: Inbox_V1_CreateOrganizationRequest, context: ServerContext) async throws
        -> Inbox_V1_Organization
    {
        try Caller.authenticated().require(.operator)
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard PolicyLimits.nameLength.contains(name.count) else {
            throw DomainError.invalidArgument("name must be 1 to 200 characters", field: "name")
        }
        let plan = try Plan(proto: request.plan, field: "plan")
        let zone = request.timeZone.isEmpty ? "UTC" : request.timeZone
        guard PolicyLimits.isValidTimeZone(zone) else {
            throw DomainError.invalidArgument("time_zone '\(zone)' is not an IANA time zone", field: "time_zone")
        }
        let now = self.now()
        let organization = Organization(
            id: "org_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""), name: name, plan: plan,
            inactivityDays: self.defaultInactivityDays, timeZone: zone, firstResponseTarget: nil, createdAt: now,
            updatedAt: now)
        var unkeyed = request
        unkeyed.idempotencyKey = ""
        let created = try await self.repository.createOrganization(
            organization, idempotencyKey: try IdempotencyKey.optional(request.idempotencyKey),
            fingerprint: try IdempotencyKey.fingerprint(unkeyed))
        return created.proto
    }

    func getOrganization(request: Inbox_V1_GetOrganizationRequest, context: ServerContext) async throws
        -> Inbox_V1_Organization
    {
        let id = try Caller.authenticated().organization(requested: request.organizationID)
        return try await self.organization(id).proto
    }

    func listOrganizations(request: Inbox_V1_ListOrganizationsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListOrganizationsResponse
    {
        try Caller.authenticated().require(.operator)
        let size = try PageToken.pageSize(request.pageSize)
        let after = try PageToken.decode("organizations", request.pageToken)
        let page = try await self.repository.organizations(after: after, limit: size + 1)
        return .with {
            $0.organizations = page.prefix(size).map(\.proto)
            if page.count > size, let last = page.prefix(size).last {
                $0.nextPageToken = PageToken.encode("organizations", last.id)
            }
        }
    }

    func updateOrganization(request: Inbox_V1_UpdateOrganizationRequest, context: ServerContext) async throws
        -> Inbox_V1_Organization
    {
        let caller = try Caller.authenticated()
        try caller.require(.operator, .admin)
        let id = try caller.organization(requested: request.organization.id)
        var organization = try await self.organization(id)
        guard !request.updateMask.paths.isEmpty else {
            throw DomainError.invalidArgument("update_mask must name the fields to change", field: "update_mask")
        }
        let update = request.organization
        for path in request.updateMask.paths {
            switch path {
            case "name":
                let name = update.name.trimmingCharacters(in: .whitespacesAndNewlines)
                guard PolicyLimits.nameLength.contains(name.count) else {
                    throw DomainError.invalidArgument(
                        "organization.name must be 1 to 200 characters", field: "organization.name")
                }
                organization.name = name
            case "plan":
                try caller.require(.operator)
                organization.plan = try Plan(proto: update.plan, field: "organization.plan")
            case "inactivity_days":
                try caller.require(.operator)
                guard PolicyLimits.inactivityDays.contains(Int(update.inactivityDays)) else {
                    throw DomainError.invalidArgument(
                        "organization.inactivity_days must be from 1 to 3650", field: "organization.inactivity_days")
                }
                organization.inactivityDays = Int(update.inactivityDays)
            case "time_zone":
                guard PolicyLimits.isValidTimeZone(update.timeZone) else {
                    throw DomainError.invalidArgument(
                        "organization.time_zone '\(update.timeZone)' is not an IANA time zone",
                        field: "organization.time_zone")
                }
                organization.timeZone = update.timeZone
            case "first_response_target":
                if update.hasFirstResponseTarget {
                    guard update.firstResponseTarget.seconds > 0 else {
                        throw DomainError.invalidArgument(
                            "organization.first_response_target must be positive",
                            field: "organization.first_response_target")
                    }
                    organization.firstResponseTarget = .seconds(update.firstResponseTarget.seconds)
                } else {
                    organization.firstResponseTarget = nil
                }
            default:
                throw DomainError.invalidArgument("update_mask names an unknown field '\(path)'", field: "update_mask")
            }
        }
        organization.updatedAt = self.now()
        guard let updated = try await self.repository.update(organization) else {
            throw DomainError.notFound("organization \(id) not found", resource: "organization")
        }
        self.cache.invalidate(id)
        return updated.proto
    }

    // MARK: The 60-day rule

    func getInboxState(request: Inbox_V1_GetInboxStateRequest, context: ServerContext) async throws
        -> Inbox_V1_InboxState
    {
        let id = try Caller.authenticated().organization(requested: request.organizationID)
        return try await self.state(id)
    }

    func recordActivity(request: Inbox_V1_RecordActivityRequest, context: ServerContext) async throws
        -> Inbox_V1_InboxState
    {
        let caller = try Caller.authenticated()
        let id = try caller.organization(requested: request.organizationID)
        let kind: InboxActivity.Kind
        switch request.kind {
        case .inboxOpened: kind = .inboxOpened
        case .teamReply: kind = .teamReply
        case .automaticReply: kind = .automaticReply
        default:
            throw DomainError.invalidArgument(
                "kind must be INBOX_OPENED, TEAM_REPLY or AUTOMATIC_REPLY (activation is ActivateInbox)", field: "kind")
        }
        let now = self.now()
        // A report from the future (a skewed clock) counts as now.
        let at = min(request.occurredAt.dateIfSet ?? now, now)
        let organization = try await self.organization(id)
        guard let activity = try await self.repository.record(kind, at: at, organizationID: id) else {
            throw DomainError.notFound("organization \(id) not found", resource: "organization")
        }
        return activity.proto(inactivityDays: organization.inactivityDays, now: now)
    }

    func activateInbox(request: Inbox_V1_ActivateInboxRequest, context: ServerContext) async throws
        -> Inbox_V1_InboxState
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .operator)
        let id = try caller.organization(requested: request.organizationID)
        let organization = try await self.organization(id)
        let now = self.now()
        guard let activity = try await self.repository.activate(id, at: now) else {
            throw DomainError.notFound("organization \(id) not found", resource: "organization")
        }
        self.cache.invalidate(id)
        return activity.proto(inactivityDays: organization.inactivityDays, now: now)
    }

    func checkIngest(request: Inbox_V1_CheckIngestRequest, context: ServerContext) async throws
        -> Inbox_V1_CheckIngestResponse
    {
        try Caller.authenticated().require(.service, .operator)
        try BatchLimit.check(request.queries.count, field: "queries")
        var platforms: [PolicyPlatform] = []
        for (index, query) in request.queries.enumerated() {
            guard !query.organizationID.isEmpty else {
                throw DomainError.invalidArgument(
                    "queries[\(index)].organization_id is required", field: "queries[\(index)].organization_id")
            }
            platforms.append(try PolicyPlatform(proto: query.platform, field: "queries[\(index)].platform"))
        }
        let facts = try await self.ingestFacts(Set(request.queries.map(\.organizationID)))
        return .with {
            $0.verdicts = zip(request.queries, platforms).map { query, platform in
                Inbox_V1_IngestVerdict.with {
                    $0.query = query
                    guard let known = facts[query.organizationID] ?? nil else {
                        $0.decision = .reject
                        $0.reasonCode = .resourceNotFound
                        $0.reason = "organization \(query.organizationID) does not exist"
                        return
                    }
                    if !known.plan.allows(platform) {
                        $0.decision = .reject
                        $0.reasonCode = .planDoesNotAllowPlatform
                        $0.reason = "the \(known.plan.rawValue) plan does not include \(platform.rawValue)"
                    } else if !known.inboxActive {
                        $0.decision = .hold
                        $0.reasonCode = .inboxDeactivated
                        $0.reason = "the inbox is deactivated after inactivity; activate it to receive events"
                    } else {
                        $0.decision = .deliver
                    }
                }
            }
        }
    }

    // MARK: Replies

    func checkReply(request: Inbox_V1_CheckReplyRequest, context: ServerContext) async throws
        -> Inbox_V1_CheckReplyResponse
    {
        _ = try Caller.authenticated().organization(requested: request.organizationID)
        let platform = try PolicyPlatform(proto: request.platform, field: "platform")
        let kind = try PolicyKind(proto: request.conversationKind, field: "conversation_kind")
        var sendKind = ReplySendKind.defaultFor(kind)
        if request.sendKind != .unspecified {
            guard let named = ReplySendKind(proto: request.sendKind) else {
                throw DomainError.invalidArgument("send_kind is not a send kind", field: "send_kind")
            }
            sendKind = named
        }
        if request.hasTemplate { sendKind = .template }
        if sendKind == .template, request.template.name.isEmpty {
            throw DomainError.invalidArgument("template.name is required for a template", field: "template.name")
        }
        guard request.privateRepliesSent >= 0 else {
            throw DomainError.invalidArgument("private_replies_sent cannot be negative", field: "private_replies_sent")
        }
        let facts = ReplyFacts(
            platform: platform, conversationKind: kind, sendKind: sendKind,
            humanAuthored: request.humanAuthored, lastCustomerMessageAt: request.lastCustomerMessageAt.dateIfSet,
            commentCreatedAt: request.commentCreatedAt.dateIfSet, privateRepliesSent: Int(request.privateRepliesSent),
            contactOptedOut: request.contactOptedOut, channelStatus: ChannelState(proto: request.channelStatus))
        return ReplyRules.decide(facts, now: self.now()).proto
    }

    // MARK: Automatic replies

    func createAutoReplyRule(request: Inbox_V1_CreateAutoReplyRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_AutoReplyRule
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .operator)
        let id = try caller.organization(requested: request.rule.organizationID)
        _ = try await self.organization(id)
        let now = self.now()
        var rule = try Self.rule(from: request.rule, field: "rule")
        rule.id = UUID()
        rule.organizationID = id
        rule.createdAt = now
        rule.updatedAt = now
        var unkeyed = request
        unkeyed.idempotencyKey = ""
        return try await self.repository.createRule(
            rule, idempotencyKey: try IdempotencyKey.optional(request.idempotencyKey),
            fingerprint: try IdempotencyKey.fingerprint(unkeyed)
        ).proto
    }

    func listAutoReplyRules(request: Inbox_V1_ListAutoReplyRulesRequest, context: ServerContext) async throws
        -> Inbox_V1_ListAutoReplyRulesResponse
    {
        let id = try Caller.authenticated().organization(requested: "")
        let size = try PageToken.pageSize(request.pageSize)
        let cursor = try PageToken.decode("rules", request.pageToken).map { text throws(DomainError) in
            let parts = text.split(separator: "/")
            guard parts.count == 2, let priority = Int(parts[0]), let uuid = UUID(uuidString: String(parts[1])) else {
                throw DomainError.invalidArgument(
                    "page_token is not a token of this list", reason: .pageTokenInvalid, field: "page_token")
            }
            return (priority: priority, id: uuid)
        }
        let page = try await self.repository.rules(organizationID: id, after: cursor, limit: size + 1)
        return .with {
            $0.rules = page.prefix(size).map(\.proto)
            if page.count > size, let last = page.prefix(size).last {
                $0.nextPageToken = PageToken.encode("rules", "\(last.priority)/\(last.id.uuidString)")
            }
        }
    }

    func updateAutoReplyRule(request: Inbox_V1_UpdateAutoReplyRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_AutoReplyRule
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .operator)
        let id = try caller.organization(requested: request.rule.organizationID)
        guard let ruleID = UUID(uuidString: request.rule.id) else {
            throw DomainError.invalidArgument("rule.id is not a rule id", field: "rule.id")
        }
        guard var rule = try await self.repository.rule(ruleID, organizationID: id) else {
            throw DomainError.notFound("rule \(request.rule.id) not found", resource: "auto_reply_rule")
        }
        guard !request.updateMask.paths.isEmpty else {
            throw DomainError.invalidArgument("update_mask must name the fields to change", field: "update_mask")
        }
        let update = try Self.rule(from: request.rule, field: "rule", requireAll: false)
        for path in request.updateMask.paths {
            switch path {
            case "name":
                guard PolicyLimits.nameLength.contains(update.name.count) else {
                    throw DomainError.invalidArgument("rule.name must be 1 to 200 characters", field: "rule.name")
                }
                rule.name = update.name
            case "platforms": rule.platforms = update.platforms
            case "kinds": rule.kinds = update.kinds
            case "trigger", "outside_business_hours", "no_agent_online", "keywords":
                guard request.rule.trigger != nil else {
                    throw DomainError.invalidArgument("rule must carry the new trigger", field: "rule.trigger")
                }
                rule.trigger = update.trigger
            case "reply_text":
                guard PolicyLimits.replyTextLength.contains(update.replyText.count) else {
                    throw DomainError.invalidArgument(
                        "rule.reply_text must be 1 to 2000 characters", field: "rule.reply_text")
                }
                rule.replyText = update.replyText
            case "cooldown": rule.cooldown = update.cooldown
            case "enabled": rule.enabled = update.enabled
            case "priority": rule.priority = update.priority
            default:
                throw DomainError.invalidArgument("update_mask names an unknown field '\(path)'", field: "update_mask")
            }
        }
        rule.updatedAt = self.now()
        guard let updated = try await self.repository.update(rule) else {
            throw DomainError.notFound("rule \(request.rule.id) not found", resource: "auto_reply_rule")
        }
        return updated.proto
    }

    func deleteAutoReplyRule(request: Inbox_V1_DeleteAutoReplyRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_DeleteAutoReplyRuleResponse
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .operator)
        let id = try caller.organization(requested: "")
        guard let ruleID = UUID(uuidString: request.ruleID),
            try await self.repository.deleteRule(ruleID, organizationID: id)
        else {
            throw DomainError.notFound("rule \(request.ruleID) not found", resource: "auto_reply_rule")
        }
        return .init()
    }

    func evaluateAutoReply(request: Inbox_V1_EvaluateAutoReplyRequest, context: ServerContext) async throws
        -> Inbox_V1_EvaluateAutoReplyResponse
    {
        let caller = try Caller.authenticated()
        try caller.require(.service, .operator)
        try BatchLimit.check(request.candidates.count, field: "candidates")
        var candidates: [AutoReplyCandidate] = []
        for (index, item) in request.candidates.enumerated() {
            let path = "candidates[\(index)]"
            guard !item.organizationID.isEmpty, !item.conversationID.isEmpty else {
                throw DomainError.invalidArgument(
                    "\(path) needs organization_id and conversation_id", field: "\(path).organization_id")
            }
            candidates.append(
                AutoReplyCandidate(
                    organizationID: item.organizationID, conversationID: item.conversationID, messageID: item.messageID,
                    platform: try PolicyPlatform(proto: item.platform, field: "\(path).platform"),
                    kind: try PolicyKind(proto: item.conversationKind, field: "\(path).conversation_kind"),
                    text: item.text, isEcho: item.isEcho,
                    isNewMessage: item.eventType == .message || item.eventType == .unspecified,
                    receivedAt: item.receivedAt.dateIfSet ?? self.now(),
                    presence: item.agentPresence == .noneOnline
                        ? .noneOnline : item.agentPresence == .someOnline ? .someOnline : .unknown,
                    lastAutomaticReplyAt: item.lastAutomaticReplyAt.dateIfSet))
        }
        let organizations = Set(candidates.map(\.organizationID))
        let rules = try await self.repository.enabledRules(organizationIDs: Array(organizations))
        // Unknown presence: what assignment-service reported last; nothing reported stays unknown
        // (a "no agent online" rule never fires on a guess).
        let reported = try await self.repository.presence(organizationIDs: Array(organizations))
        for index in candidates.indices where candidates[index].presence == .unknown {
            if let online = reported[candidates[index].organizationID] {
                candidates[index].presence = online == 0 ? .noneOnline : .someOnline
            }
        }
        var sent: [String: [String: Date]] = [:]
        for organization in organizations {
            sent[organization] = try await self.repository.lastAutomaticReplies(
                organizationID: organization,
                conversationIDs: candidates.filter { $0.organizationID == organization }.map(\.conversationID))
        }
        var decisions: [Inbox_V1_AutoReplyDecision] = []
        var fired: [(organizationID: String, conversationID: String, ruleID: UUID)] = []
        var firedNow: Set<String> = []
        for var candidate in candidates {
            // Policy's own record bounds the cooldown too, whatever the caller says; and one batch
            // never answers one conversation twice.
            let recorded = sent[candidate.organizationID]?[candidate.conversationID]
            candidate.lastAutomaticReplyAt = [candidate.lastAutomaticReplyAt, recorded].compactMap { $0 }.max()
            let key = "\(candidate.organizationID)/\(candidate.conversationID)"
            var decision = AutoReplyEvaluation.evaluate(candidate, rules: rules[candidate.organizationID] ?? [])
            if decision.reply, firedNow.contains(key) {
                decision = AutoReplyDecision(reply: false, text: "", reason: "already answered in this batch")
            }
            if decision.reply, let ruleID = decision.ruleID {
                fired.append((candidate.organizationID, candidate.conversationID, ruleID))
                firedNow.insert(key)
            }
            decisions.append(
                .with {
                    $0.conversationID = candidate.conversationID
                    $0.messageID = candidate.messageID
                    $0.reply = decision.reply
                    $0.text = decision.text
                    $0.ruleID = decision.ruleID?.uuidString.lowercased() ?? ""
                    $0.reason = decision.reason
                })
        }
        try await self.repository.recordAutomaticReplies(fired, at: self.now())
        return .with { $0.decisions = decisions }
    }

    func recordAgentPresence(request: Inbox_V1_RecordAgentPresenceRequest, context: ServerContext) async throws
        -> Inbox_V1_RecordAgentPresenceResponse
    {
        try Caller.authenticated().require(.service, .operator)
        try BatchLimit.check(request.reports.count, field: "reports")
        var reports: [(organizationID: String, online: Int, observedAt: Date)] = []
        for (index, report) in request.reports.enumerated() {
            guard !report.organizationID.isEmpty else {
                throw DomainError.invalidArgument(
                    "reports[\(index)].organization_id is required", field: "reports[\(index)].organization_id")
            }
            guard report.agentsOnline >= 0 else {
                throw DomainError.invalidArgument(
                    "reports[\(index)].agents_online cannot be negative", field: "reports[\(index)].agents_online")
            }
            reports.append((report.organizationID, Int(report.agentsOnline), report.observedAt.dateIfSet ?? self.now()))
        }
        try await self.repository.recordPresence(reports)
        return .init()
    }

    // MARK: Helpers

    func organization(_ id: String) async throws -> Organization {
        guard let organization = try await self.repository.organization(id) else {
            throw DomainError.notFound("organization \(id) not found", resource: "organization")
        }
        return organization
    }

    func state(_ id: String) async throws -> Inbox_V1_InboxState {
        let organization = try await self.organization(id)
        guard let activity = try await self.repository.activity(id) else {
            throw DomainError.notFound("organization \(id) not found", resource: "organization")
        }
        return activity.proto(inactivityDays: organization.inactivityDays, now: self.now())
    }

    func ingestFacts(_ ids: Set<String>) async throws -> [String: IngestFactsCache.Facts?] {
        var facts = self.cache.cached(ids)
        let missing = ids.subtracting(facts.keys)
        guard !missing.isEmpty else { return facts }
        let organizations = try await self.repository.organizations(ids: Array(missing))
        let activities = try await self.repository.activities(Array(missing))
        var loaded: [String: IngestFactsCache.Facts?] = [:]
        for id in missing { loaded[id] = .some(nil) }
        for organization in organizations {
            let active = activities.first { $0.organizationID == organization.id }?.status != .deactivated
            loaded[organization.id] = IngestFactsCache.Facts(plan: organization.plan, inboxActive: active)
        }
        self.cache.store(loaded)
        for (id, value) in loaded { facts[id] = value }
        return facts
    }

    /// A rule from its proto, validated; `requireAll: false` validates only what an update may
    /// carry partially (the mask decides what is applied).
    static func rule(from proto: Inbox_V1_AutoReplyRule, field: String, requireAll: Bool = true) throws(DomainError)
        -> AutoReplyRule
    {
        var platforms: Set<PolicyPlatform> = []
        for (index, platform) in proto.platforms.enumerated() {
            platforms.insert(try PolicyPlatform(proto: platform, field: "\(field).platforms[\(index)]"))
        }
        var kinds: Set<PolicyKind> = []
        for (index, kind) in proto.kinds.enumerated() {
            kinds.insert(try PolicyKind(proto: kind, field: "\(field).kinds[\(index)]"))
        }
        let trigger: AutoReplyTrigger
        switch proto.trigger {
        case .outsideBusinessHours(let hours):
            trigger = .outsideBusinessHours(try BusinessHours(proto: hours, field: "\(field).outside_business_hours"))
        case .noAgentOnline:
            trigger = .noAgentOnline
        case .keywords(let keywords):
            let words = keywords.keywords.map { $0.trimmingCharacters(in: .whitespaces) }
            guard PolicyLimits.keywords.contains(words.count),
                words.allSatisfy({ PolicyLimits.keywordLength.contains($0.count) })
            else {
                throw .invalidArgument(
                    "\(field).keywords must hold 1 to 50 words of 1 to 100 characters", field: "\(field).keywords")
            }
            trigger = .keywords(words)
        case nil:
            if requireAll {
                throw .invalidArgument(
                    "\(field) needs a trigger: outside_business_hours, no_agent_online or keywords",
                    field: "\(field).trigger")
            }
            trigger = .noAgentOnline
        }
        let name = proto.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if requireAll {
            guard PolicyLimits.nameLength.contains(name.count) else {
                throw .invalidArgument("\(field).name must be 1 to 200 characters", field: "\(field).name")
            }
            guard PolicyLimits.replyTextLength.contains(proto.replyText.count) else {
                throw .invalidArgument("\(field).reply_text must be 1 to 2000 characters", field: "\(field).reply_text")
            }
        }
        let cooldown = proto.hasCooldown ? Int(proto.cooldown.seconds) : 86_400
        guard PolicyLimits.cooldown.contains(cooldown) else {
            throw .invalidArgument("\(field).cooldown must be from 0 to 30 days", field: "\(field).cooldown")
        }
        return AutoReplyRule(
            id: UUID(), organizationID: "", name: name, platforms: platforms, kinds: kinds, trigger: trigger,
            replyText: proto.replyText, cooldown: .seconds(cooldown), enabled: requireAll ? true : proto.enabled,
            priority: Int(proto.priority), createdAt: Date(), updatedAt: Date())
    }
}
