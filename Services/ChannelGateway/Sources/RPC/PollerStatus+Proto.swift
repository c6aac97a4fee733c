import InboxAPI
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Domain -> proto mapping of a channel's poller for GetChannelHealth, and nowhere else.

extension Inbox_V1_PollerState {
    /// `status` nil (no poller: a platform without one, or a channel no round has seen yet) is
    /// `enabled: false` and nothing else.
    init(_ status: PollerStatus?) {
        self.init()
        guard let status else { return }
        self.enabled = status.enabled
        if let at = status.lastPollAt { self.lastPollAt = Google_Protobuf_Timestamp(date: at) }
        if status.enabled { self.nextPollAt = Google_Protobuf_Timestamp(date: status.nextPollAt) }
        self.lastError = status.lastError ?? ""
    }
}
