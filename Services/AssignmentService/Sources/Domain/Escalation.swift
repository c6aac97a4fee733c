#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Escalation near a window's end: a conversation whose `respond_by` is at most `window` away
/// (or already past) goes ahead of the normal urgency order — routed before the rest of its batch,
/// first in its team's queue — and is flagged. Computed from the clock whenever a decision or a
/// read needs it, so no timer flips the flag: a queued conversation that comes within the window
/// while it waits is escalated from then on. A zero window turns escalation off.
struct Escalation: Sendable, Equatable {
    var window: TimeInterval

    static let `default` = Escalation(window: 2 * 3600)

    /// Whether a conversation due at `respondBy` is escalated at `now`; never without an end.
    func applies(to respondBy: Date?, at now: Date) -> Bool {
        guard self.window > 0, let respondBy else { return false }
        return respondBy.timeIntervalSince(now) <= self.window
    }

    /// When it came (or comes) within the window.
    func start(for respondBy: Date) -> Date { respondBy.addingTimeInterval(-self.window) }

    /// "respond_by in 37 min, within the 2 h escalation window" (or "... was 5 min ago, ...").
    func reason(respondBy: Date, at now: Date) -> String {
        let left = respondBy.timeIntervalSince(now)
        let when = left >= 0 ? "in \(Self.describe(left))" : "was \(Self.describe(-left)) ago"
        return "respond_by \(when), within the \(Self.describe(self.window)) escalation window"
    }

    /// The assignment as a read shows it: a queued conversation whose `respond_by` has come within
    /// the window since it was queued is escalated (at the moment it entered the window).
    func onRead(_ assignment: Assignment, at now: Date) -> Assignment {
        guard assignment.escalatedAt == nil, assignment.state == .queued,
            let respondBy = assignment.respondBy, self.applies(to: respondBy, at: now)
        else { return assignment }
        var shown = assignment
        shown.escalatedAt = self.start(for: respondBy)
        return shown
    }

    /// A duration as a person reads it: "37 min", "2 h", "3 h 5 min", "1 d 2 h"; under a minute
    /// "less than 1 min".
    static func describe(_ seconds: TimeInterval) -> String {
        let minutes = Int((seconds / 60).rounded(.down))
        guard minutes > 0 else { return "less than 1 min" }
        let days = minutes / 1440
        let hours = (minutes % 1440) / 60
        let rest = minutes % 60
        var parts: [String] = []
        if days > 0 { parts.append("\(days) d") }
        if hours > 0 { parts.append("\(hours) h") }
        if rest > 0, days == 0 { parts.append("\(rest) min") }
        return parts.joined(separator: " ")
    }
}
