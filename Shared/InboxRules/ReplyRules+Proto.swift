public import InboxAPI
public import InboxKit
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The rules' types as the v1 protos name them: one mapping for every service that uses them.
extension ReplyPlatform {
    public init(proto: Inbox_V1_Platform, field: String) throws(DomainError) {
        switch proto {
        case .facebook: self = .facebook
        case .instagram: self = .instagram
        case .whatsapp: self = .whatsApp
        case .x: self = .x
        case .linkedin: self = .linkedIn
        case .tiktok: self = .tikTok
        case .telegram: self = .telegram
        case .twilioSms: self = .twilioSMS
        case .wechat: self = .weChat
        case .webChat: self = .webChat
        default: throw .invalidArgument("\(field) must name a platform", field: field)
        }
    }

    public var proto: Inbox_V1_Platform {
        switch self {
        case .facebook: .facebook
        case .instagram: .instagram
        case .whatsApp: .whatsapp
        case .x: .x
        case .linkedIn: .linkedin
        case .tikTok: .tiktok
        case .telegram: .telegram
        case .twilioSMS: .twilioSms
        case .weChat: .wechat
        case .webChat: .webChat
        }
    }

}

extension ConversationKind {
    public init(proto: Inbox_V1_MessageKind, field: String) throws(DomainError) {
        switch proto {
        case .directMessage: self = .directMessage
        case .comment: self = .comment
        case .darkPostComment: self = .darkPostComment
        case .wallPost: self = .wallPost
        case .mention: self = .mention
        case .post: self = .post
        default: throw .invalidArgument("\(field) must name a conversation kind", field: field)
        }
    }

    public var proto: Inbox_V1_MessageKind {
        switch self {
        case .directMessage: .directMessage
        case .comment: .comment
        case .darkPostComment: .darkPostComment
        case .wallPost: .wallPost
        case .mention: .mention
        case .post: .post
        }
    }

}

extension ReplyVerdict {
    public var proto: Inbox_V1_CheckReplyResponse {
        .with {
            $0.decision =
                switch self.decision {
                case .allowed: .allowed
                case .needsHumanAgentTag: .needsHumanAgentTag
                case .needsTemplate: .needsTemplate
                case .denied: .denied
                }
            if let reason = self.reason { $0.reason = reason.proto }
            $0.message = self.message
            if let end = self.windowEndsAt { $0.windowEndsAt = Google_Protobuf_Timestamp(date: end) }
            if let end = self.humanAgentWindowEndsAt {
                $0.humanAgentWindowEndsAt = Google_Protobuf_Timestamp(date: end)
            }
            if let end = self.privateReplyAvailableUntil {
                $0.privateReplyAvailableUntil = Google_Protobuf_Timestamp(date: end)
            }
            if self.requiresHumanAgentTag { $0.requiredTag = .humanAgent }
        }
    }
}

extension RefusalReason {
    public var proto: Inbox_V1_ReplyRefusalReason {
        switch self {
        case .windowClosed: .windowClosed
        case .templateRequired: .templateRequired
        case .privateReplyAlreadySent: .privateReplyAlreadySent
        case .privateReplyWindowClosed: .privateReplyWindowClosed
        case .optedOut: .optedOut
        case .unsupported: .unsupported
        case .tagNotAllowed: .tagNotAllowed
        case .humanAgentTagRequired: .humanAgentTagRequired
        case .channelDisconnected: .channelDisconnected
        case .channelTokenInvalid: .channelTokenInvalid
        }
    }
}

extension ReplySendKind {
    public init?(proto: Inbox_V1_SendKind) {
        switch proto {
        case .directMessage: self = .directMessage
        case .publicReply: self = .publicReply
        case .privateReply: self = .privateReply
        case .template: self = .template
        default: return nil
        }
    }
}

extension ChannelState {
    public init(proto: Inbox_V1_ChannelStatus) {
        switch proto {
        case .active: self = .active
        case .tokenInvalid: self = .tokenInvalid
        case .disconnected: self = .disconnected
        case .subscriptionRevoked: self = .subscriptionRevoked
        default: self = .unknown
        }
    }
}

extension ReplySendKind {
    public var proto: Inbox_V1_SendKind {
        switch self {
        case .directMessage: .directMessage
        case .publicReply: .publicReply
        case .privateReply: .privateReply
        case .template: .template
        }
    }
}

extension ChannelState {
    public var proto: Inbox_V1_ChannelStatus {
        switch self {
        case .unknown: .unspecified
        case .active: .active
        case .tokenInvalid: .tokenInvalid
        case .disconnected: .disconnected
        case .subscriptionRevoked: .subscriptionRevoked
        }
    }
}

extension ReplyVerdict.Decision {
    public var proto: Inbox_V1_ReplyDecision {
        switch self {
        case .allowed: .allowed
        case .needsHumanAgentTag: .needsHumanAgentTag
        case .needsTemplate: .needsTemplate
        case .denied: .denied
        }
    }
}
