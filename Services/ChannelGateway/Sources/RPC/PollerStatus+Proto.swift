import InboxAPI
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Domain -> proto mapping of a channel's poller for GetChannelHealth and ReconcileChannel, and
// nowhere else.

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

extension Inbox_V1_ReconcileChannelResponse {
    /// What an on-demand poll did, and the poller after it.
    init(_ report: PollReport, poller: PollerStatus?) {
        self.init()
        switch report.outcome {
        case .complete: self.outcome = .polled
        case .partial: self.outcome = .partial
        case .failed: self.outcome = .failed
        case .busy: self.outcome = .busy
        case .notPolled: self.outcome = .notPolled
        }
        self.storedEvents = Int32(clamping: report.stored)
        self.poller = Inbox_V1_PollerState(poller)
    }
}
