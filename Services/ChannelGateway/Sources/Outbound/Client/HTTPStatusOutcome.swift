import Foundation

/// The fallback classification when a platform's body says nothing we recognise: 429 → rate
/// limited (with the header's delay), 401 → token, 5xx/408 → transient, 2xx without an id and
/// other 4xx → other.
enum HTTPStatusOutcome {
    static func classify(
        _ response: PlatformResponse, platform: String, nowUnixSeconds: Double = Date().timeIntervalSince1970
    ) -> OutboundOutcome {
        let snippet = String(decoding: response.body.prefix(300), as: UTF8.self)
        switch response.status {
        case 429:
            let delay = RetryAfterHeader.delay(in: response.headers, nowUnixSeconds: nowUnixSeconds)
            return .retryAfter(delay: delay, reason: .rateLimited)
        case 401:
            return .failed(reason: .tokenInvalid, detail: "\(platform) HTTP 401: \(snippet)")
        case 408, 500...599:
            return .retryAfter(delay: nil, reason: .transient)
        default:
            return .failed(reason: .other, detail: "\(platform) HTTP \(response.status): \(snippet)")
        }
    }
}
