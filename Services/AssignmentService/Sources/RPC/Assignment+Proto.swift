import InboxAPI
import InboxKit
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Proto <-> domain mapping for assignment-service, and nowhere else. The domain names platforms
// and kinds by the stable names below (they are also what the tables and stored rules hold).

enum ProtoNames {
    static let platforms: [(Inbox_V1_Platform, String)] = [
        (.facebook, "facebook"), (.instagram, "instagram"), (.whatsapp, "whatsapp"), (.x, "x"),
        (.linkedin, "linkedin"), (.tiktok, "tiktok"), (.telegram, "telegram"), (.twilioSms, "twilio_sms"),
        (.wechat, "wechat"), (.webChat, "web_chat"),
    ]
    static let kinds: [(Inbox_V1_MessageKind, String)] = [
        (.directMessage, "direct_message"), (.comment, "comment"), (.darkPostComment, "dark_post_comment"),
        (.wallPost, "wall_post"), (.mention, "mention"), (.post, "post"),
    ]

    /// The platform's name; "" for unspecified.
    static func platform(_ proto: Inbox_V1_Platform) -> String {
        self.platforms.first { $0.0 == proto }?.1 ?? ""
    }

    static func platform(_ name: String) -> Inbox_V1_Platform {
        self.platforms.first { $0.1 == name }?.0 ?? .unspecified
    }

    static func kind(_ proto: Inbox_V1_MessageKind) -> String {
        self.kinds.first { $0.0 == proto }?.1 ?? ""
    }

    static func kind(_ name: String) -> Inbox_V1_MessageKind {
        self.kinds.first { $0.1 == name }?.0 ?? .unspecified
    }

    /// A named platform (unspecified or unknown values refused, naming `field`).
    static func requiredPlatform(_ proto: Inbox_V1_Platform, field: String) throws(DomainError) -> String {
        let name = self.platform(proto)
        guard !name.isEmpty else { throw .invalidArgument("\(field) must name a platform", field: field) }
        return name
    }

    static func requiredKind(_ proto: Inbox_V1_MessageKind, field: String) throws(DomainError) -> String {
        let name = self.kind(proto)
        guard !name.isEmpty else { throw .invalidArgument("\(field) must name a message kind", field: field) }
        return name
    }
}

extension Team {
    var proto: Inbox_V1_Team {
        .with {
            $0.id = self.id.text
            $0.organizationID = self.organizationID
            $0.name = self.name
            $0.awayPolicy = self.awayPolicy.proto
            $0.createdAt = Google_Protobuf_Timestamp(date: self.createdAt)
        }
    }
}

extension AwayPolicy {
    var proto: Inbox_V1_AwayPolicy { self == .returnToQueue ? .returnToQueue : .reassignToColleagues }

    /// Unspecified means return to the queue.
    init(proto: Inbox_V1_AwayPolicy, field: String) throws(DomainError) {
        switch proto {
        case .unspecified, .returnToQueue: self = .returnToQueue
        case .reassignToColleagues: self = .reassignToColleagues
        default: throw .invalidArgument("\(field) is not an away policy", field: field)
        }
    }
}

extension Availability {
    var proto: Inbox_V1_Availability {
        switch self {
        case .online: .online
        case .away: .away
        case .offline: .offline
        }
    }

    init(proto: Inbox_V1_Availability, field: String) throws(DomainError) {
        switch proto {
        case .online: self = .online
        case .away: self = .away
        case .offline: self = .offline
        default: throw .invalidArgument("\(field) must be ONLINE, AWAY or OFFLINE", field: field)
        }
    }
}

extension Agent {
    var proto: Inbox_V1_Agent {
        .with {
            $0.id = self.id
            $0.organizationID = self.organizationID
            $0.displayName = self.displayName
            $0.email = self.email
            $0.teamIds = self.teamIDs.map(\.text)
            $0.capacity = Int32(clamping: self.capacity)
            $0.availability = self.availability.proto
            $0.openConversations = Int32(clamping: self.openConversations)
            $0.load = Int32(clamping: self.load)
            $0.updatedAt = Google_Protobuf_Timestamp(date: self.updatedAt)
            $0.weights = self.weights.map { weight in
                Inbox_V1_ConversationWeight.with {
                    $0.platform = ProtoNames.platform(weight.platform)
                    $0.kind = ProtoNames.kind(weight.kind)
                    $0.weight = Int32(clamping: weight.weight)
                }
            }
        }
    }
}

extension RoutingExplanation {
    var proto: Inbox_V1_RoutingExplanation {
        .with {
            $0.ruleID = self.ruleID?.text ?? ""
            $0.ruleName = self.ruleName
            $0.teamID = self.teamID?.text ?? ""
            $0.summary = self.summary
            $0.candidates = self.candidates.map { candidate in
                Inbox_V1_RoutingCandidate.with {
                    $0.agentID = candidate.agentID
                    $0.availability = candidate.availability.proto
                    $0.openConversations = Int32(clamping: candidate.openConversations)
                    $0.capacity = Int32(clamping: candidate.capacity)
                    $0.load = Int32(clamping: candidate.load)
                    $0.weight = Int32(clamping: candidate.weight)
                    $0.eligible = candidate.eligible
                    $0.note = candidate.note
                }
            }
        }
    }
}

extension Assignment.Source {
    var proto: Inbox_V1_AssignmentSource { self == .manual ? .manual : .automatic }
}

extension Assignment {
    var proto: Inbox_V1_Assignment {
        .with {
            $0.conversationID = self.conversationID
            $0.organizationID = self.organizationID
            $0.agentID = self.agentID ?? ""
            $0.teamID = self.teamID?.text ?? ""
            switch self.state {
            case .assigned: $0.state = .assigned
            case .queued: $0.state = .queued
            case .unassigned: $0.state = .unassigned
            case .released: $0.state = .released
            }
            $0.source = self.source.proto
            if let explanation = self.explanation { $0.explanation = explanation.proto }
            if let assignedAt = self.assignedAt { $0.assignedAt = Google_Protobuf_Timestamp(date: assignedAt) }
            $0.version = Int64(self.version)
            if let respondBy = self.respondBy { $0.respondBy = Google_Protobuf_Timestamp(date: respondBy) }
            if let escalatedAt = self.escalatedAt {
                $0.escalated = true
                $0.escalatedAt = Google_Protobuf_Timestamp(date: escalatedAt)
            }
        }
    }
}

extension AssignmentHistoryEntry {
    var proto: Inbox_V1_AssignmentHistoryEntry {
        .with {
            $0.id = "\(self.id)"
            $0.conversationID = self.conversationID
            switch self.change {
            case .assigned: $0.change = .assigned
            case .queued: $0.change = .queued
            case .reassigned: $0.change = .reassigned
            case .unassigned: $0.change = .unassigned
            case .released: $0.change = .released
            }
            $0.fromAgentID = self.fromAgentID ?? ""
            $0.toAgentID = self.toAgentID ?? ""
            $0.teamID = self.teamID?.text ?? ""
            $0.source = self.source.proto
            $0.actorAgentID = self.actorAgentID ?? ""
            $0.note = self.note
            if let explanation = self.explanation { $0.explanation = explanation.proto }
            $0.occurredAt = Google_Protobuf_Timestamp(date: self.occurredAt)
        }
    }
}

extension RoutingRule {
    var proto: Inbox_V1_RoutingRule {
        .with {
            $0.id = self.id.text
            $0.organizationID = self.organizationID
            $0.name = self.name
            $0.priority = Int32(clamping: self.priority)
            $0.teamID = self.teamID.text
            $0.enabled = self.enabled
            $0.createdAt = Google_Protobuf_Timestamp(date: self.createdAt)
            $0.condition = .with {
                $0.platforms = self.condition.platforms.map { ProtoNames.platform($0) }
                $0.kinds = self.condition.kinds.map { ProtoNames.kind($0) }
                $0.keywords = self.condition.keywords
                $0.contactIds = self.condition.contactIDs
                $0.channelIds = self.condition.channelIDs
            }
        }
    }
}

extension Workload {
    var proto: Inbox_V1_Workload {
        .with {
            $0.agents = self.agents.map { agent in
                Inbox_V1_AgentWorkload.with {
                    $0.agentID = agent.agentID
                    $0.availability = agent.availability.proto
                    $0.openConversations = Int32(clamping: agent.openConversations)
                    $0.capacity = Int32(clamping: agent.capacity)
                }
            }
            $0.teams = self.teams.map { team in
                Inbox_V1_TeamWorkload.with {
                    $0.teamID = team.teamID.text
                    $0.queuedConversations = Int32(clamping: team.queued)
                    $0.openConversations = Int32(clamping: team.open)
                    $0.agentsOnline = Int32(clamping: team.agentsOnline)
                }
            }
        }
    }
}
