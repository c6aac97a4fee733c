import InboxAPI
import InboxKit
import InboxRules
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Proto <-> domain mapping for policy-service, and nowhere else.

extension Organization {
    var proto: Inbox_V1_Organization {
        .with {
            $0.id = self.id
            $0.name = self.name
            $0.plan = self.plan.proto
            $0.inactivityDays = Int32(self.inactivityDays)
            $0.timeZone = self.timeZone
            $0.createdAt = Google_Protobuf_Timestamp(date: self.createdAt)
            $0.updatedAt = Google_Protobuf_Timestamp(date: self.updatedAt)
            if let target = self.firstResponseTarget {
                $0.firstResponseTarget = Google_Protobuf_Duration(seconds: target.components.seconds)
            }
        }
    }
}

extension Plan {
    var proto: Inbox_V1_Plan { self == .enterprise ? .enterprise : .standard }

    init(proto: Inbox_V1_Plan, field: String) throws(DomainError) {
        switch proto {
        case .standard: self = .standard
        case .enterprise: self = .enterprise
        default: throw .invalidArgument("\(field) must be PLAN_STANDARD or PLAN_ENTERPRISE", field: field)
        }
    }
}

extension InboxActivity {
    func proto(inactivityDays: Int, now: Date) -> Inbox_V1_InboxState {
        .with {
            $0.organizationID = self.organizationID
            $0.status = self.status == .active ? .active : .deactivated
            $0.lastActivityAt = Google_Protobuf_Timestamp(date: self.lastActivityAt)
            $0.lastActivityKind =
                switch self.lastActivityKind {
                case .inboxOpened: .inboxOpened
                case .teamReply: .teamReply
                case .automaticReply: .automaticReply
                case .activated: .activated
                }
            $0.daysLeft = Int32(self.daysLeft(inactivityDays: inactivityDays, now: now))
            if let deactivated = self.deactivatedAt, self.status == .deactivated {
                $0.deactivatedAt = Google_Protobuf_Timestamp(date: deactivated)
                $0.deactivatesAt = Google_Protobuf_Timestamp(date: deactivated)
            } else {
                $0.deactivatesAt = Google_Protobuf_Timestamp(date: self.deactivatesAt(inactivityDays: inactivityDays))
            }
        }
    }
}

extension AutoReplyRule {
    var proto: Inbox_V1_AutoReplyRule {
        .with {
            $0.id = self.id.uuidString.lowercased()
            $0.organizationID = self.organizationID
            $0.name = self.name
            $0.platforms = self.platforms.sorted { $0.rawValue < $1.rawValue }.map(\.proto)
            $0.kinds = self.kinds.sorted { $0.rawValue < $1.rawValue }.map(\.proto)
            switch self.trigger {
            case .outsideBusinessHours(let hours): $0.outsideBusinessHours = hours.proto
            case .noAgentOnline: $0.noAgentOnline = Inbox_V1_NoAgentOnlineTrigger()
            case .keywords(let keywords): $0.keywords = .with { $0.keywords = keywords }
            }
            $0.replyText = self.replyText
            $0.cooldown = Google_Protobuf_Duration(seconds: self.cooldown.components.seconds)
            $0.enabled = self.enabled
            $0.priority = Int32(self.priority)
            $0.createdAt = Google_Protobuf_Timestamp(date: self.createdAt)
            $0.updatedAt = Google_Protobuf_Timestamp(date: self.updatedAt)
        }
    }
}
