/// Reads a delay hint from HTTP headers: `Retry-After` (seconds; the HTTP-date form is rare on
/// these APIs and ignored) or X's `x-rate-limit-reset` (Unix seconds when the window resets).
enum RetryAfterHeader {
    static func delay(in headers: [String: String], nowUnixSeconds: Double) -> Duration? {
        if let value = headers["retry-after"], let seconds = Double(value.trimmed), seconds >= 0 {
            return .milliseconds(Int64(seconds * 1000))
        }
        if let value = headers["x-rate-limit-reset"], let reset = Double(value.trimmed) {
            return .milliseconds(Int64(max(0, reset - nowUnixSeconds) * 1000))
        }
        return nil
    }
}

extension String {
    fileprivate var trimmed: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
