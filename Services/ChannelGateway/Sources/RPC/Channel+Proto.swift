import InboxAPI
import InboxKit
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Proto <-> domain mapping of channel accounts, and nowhere else.

extension ChannelAccount {
    var proto: Inbox_V1_Channel {
        .with {
            $0.id = self.id.uuidString.lowercased()
            $0.organizationID = self.organizationID
            $0.platform = self.platform.proto
            $0.externalAccountID = self.externalAccountID
            $0.displayName = self.displayName
            $0.status = self.status.proto
            $0.webhookPath = self.webhookPath
            $0.settings = self.settings
            $0.checklist = self.checklist.map { item in
                .with {
                    $0.key = item.key
                    $0.description_p = item.description
                    $0.satisfied = item.satisfied
                }
            }
            $0.configuredCredentials = self.configuredCredentials
            $0.createdAt = Google_Protobuf_Timestamp(date: self.createdAt)
            $0.updatedAt = Google_Protobuf_Timestamp(date: self.updatedAt)
            if let expiresAt = self.tokenExpiresAt { $0.tokenExpiresAt = Google_Protobuf_Timestamp(date: expiresAt) }
        }
    }
}

extension ChannelAccount.Status {
    var proto: Inbox_V1_ChannelStatus {
        switch self {
        case .active: .active
        case .tokenInvalid: .tokenInvalid
        case .disconnected: .disconnected
        case .subscriptionRevoked: .subscriptionRevoked
        }
    }
}

extension Platform {
    var proto: Inbox_V1_Platform {
        switch self {
        case .facebook: .facebook
        case .instagram: .instagram
        case .whatsapp: .whatsapp
        case .x: .x
        case .linkedin: .linkedin
        case .tiktok: .tiktok
        case .telegram: .telegram
        case .twilio: .twilioSms
        case .wechat: .wechat
        case .webChat: .webChat
        }
    }

    init(proto: Inbox_V1_Platform, field: String) throws(DomainError) {
        switch proto {
        case .facebook: self = .facebook
        case .instagram: self = .instagram
        case .whatsapp: self = .whatsapp
        case .x: self = .x
        case .linkedin: self = .linkedin
        case .tiktok: self = .tiktok
        case .telegram: self = .telegram
        case .twilioSms: self = .twilio
        case .wechat: self = .wechat
        case .webChat: self = .webChat
        default: throw .invalidArgument("\(field) must name a platform", field: field)
        }
    }
}

extension ChannelSecrets {
    init(proto: Inbox_V1_ChannelCredentials) {
        self.init(
            accessToken: proto.accessToken, signingSecret: proto.signingSecret, verifyToken: proto.verifyToken,
            encodingAESKey: proto.encodingAesKey, appID: proto.appID, appSecret: proto.appSecret,
            refreshToken: proto.refreshToken)
    }

    /// The mask path of `ChannelCredentials.access_token_expires_at`: not a sealed field (the expiry
    /// is the plain column `channels.token_expires_at`), but RotateChannelCredentials accepts it.
    static let expiryField = "access_token_expires_at"
}

extension Inbox_V1_ChannelCredentials {
    /// `access_token_expires_at`, nil when unset.
    var accessTokenExpiry: Date? {
        self.hasAccessTokenExpiresAt ? self.accessTokenExpiresAt.date : nil
    }
}

/// Channel lists page by the last channel's id.
enum ChannelPageToken {
    static func encode(_ channel: ChannelAccount) -> String {
        PageToken.encode("channels", channel.id.uuidString)
    }

    static func decode(_ token: String) throws(DomainError) -> UUID? {
        guard let cursor = try PageToken.decode("channels", token) else { return nil }
        guard let id = UUID(uuidString: cursor) else { throw PageToken.invalid }
        return id
    }
}
