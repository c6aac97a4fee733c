public import struct Foundation.Date

/// How far a signed timestamp may lie from the receipt time, in either direction (clock skew),
/// for the platforms that sign one: TikTok's `t=` and WeChat's query `timestamp`. Outside it a
/// correctly signed request is a captured one being replayed.
public struct ReplayWindow: Sendable, Hashable {
    public var seconds: Double

    public init(seconds: Double) {
        self.seconds = seconds
    }

    /// Five minutes: long enough for clock skew and platform retries of one attempt, short enough
    /// that a captured request is soon worthless.
    public static let standard = ReplayWindow(seconds: 300)

    public func contains(signedAt: Int64, now: Date) -> Bool {
        abs(now.timeIntervalSince1970 - Double(signedAt)) <= seconds
    }

    /// Throws ``WebhookError/staleTimestamp(signedAt:now:window:)`` outside the window.
    public func check(signedAt: Int64, now: Date) throws(WebhookError) {
        guard contains(signedAt: signedAt, now: now) else {
            throw .staleTimestamp(signedAt: signedAt, now: Int64(now.timeIntervalSince1970), window: seconds)
        }
    }
}
