#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A ``ContentFetch`` step as the inbound log keeps it (`inbound_events.content_fetch`, JSON).
extension ContentFetch {
    private struct Stored: Codable {
        var step: String
        var account: String
        var media: String
        var comment: String?
    }

    var storedJSON: String {
        let stored: Stored
        switch self {
        case .instagramMention(let igUserID, let mediaID, let commentID):
            stored = Stored(step: "instagram_mention", account: igUserID, media: mediaID, comment: commentID)
        case .tiktokComment(let businessID, let videoID, let commentID):
            stored = Stored(step: "tiktok_comment", account: businessID, media: videoID, comment: commentID)
        case .facebookPostVisibility(let postID):
            stored = Stored(step: "facebook_post_visibility", account: "", media: postID, comment: nil)
        }
        return (try? JSONEncoder().encode(stored)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    init?(storedJSON: String) {
        guard let stored = try? JSONDecoder().decode(Stored.self, from: Data(storedJSON.utf8)) else { return nil }
        switch stored.step {
        case "instagram_mention":
            self = .instagramMention(igUserID: stored.account, mediaID: stored.media, commentID: stored.comment)
        case "tiktok_comment":
            guard let comment = stored.comment else { return nil }
            self = .tiktokComment(businessID: stored.account, videoID: stored.media, commentID: comment)
        case "facebook_post_visibility":
            self = .facebookPostVisibility(postID: stored.media)
        default:
            return nil
        }
    }
}
