/// How long X says to wait after a 429 (CHANNELS.md §4.4: `x-rate-limit-limit/remaining/reset`).
///
/// X counts two kinds of window: the 15-minute one (`x-rate-limit-*`) and 24-hour caps per user
/// and per app (`x-user-limit-24hour-*`, `x-app-limit-24hour-*`; DMs: 1000 a day per user). Each
/// `*-reset` is the Unix second its window starts again. The delay is the latest reset among the
/// windows whose `*-remaining` is 0, so a spent daily cap waits until it lifts instead of
/// retrying every 15 minutes into it; when no window says it is spent, `Retry-After`, then the
/// 15-minute reset.
enum XRateLimitHeaders {
    static let windows = [
        ("x-rate-limit-remaining", "x-rate-limit-reset"),
        ("x-user-limit-24hour-remaining", "x-user-limit-24hour-reset"),
        ("x-app-limit-24hour-remaining", "x-app-limit-24hour-reset"),
    ]

    static func delay(in headers: [String: String], nowUnixSeconds: Double) -> Duration? {
        let spentResets = windows.compactMap { window -> Double? in
            let (remaining, reset) = window
            guard let left = headers[remaining].flatMap(Self.number), left <= 0 else { return nil }
            return headers[reset].flatMap(Self.number)
        }
        if let reset = spentResets.max() {
            return .milliseconds(Int64(max(0, reset - nowUnixSeconds) * 1000))
        }
        return RetryAfterHeader.delay(in: headers, nowUnixSeconds: nowUnixSeconds)
    }

    private static func number(_ value: String) -> Double? {
        Double(value.filter { $0 != " " })
    }
}
