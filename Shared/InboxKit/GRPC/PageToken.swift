#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `page_token` / `page_size` convention of every list (README "API conventions"): a token is
/// opaque to clients — base64url of `<list>:<cursor>`, so a token of one list is refused by another
/// (`PAGE_TOKEN_INVALID`) — and a page holds 1 to 100 items, 50 when the caller says 0.
public enum PageToken {
    public static let defaultPageSize = 50
    public static let maxPageSize = 100

    public static func encode(_ list: String, _ cursor: String) -> String {
        Data("\(list):\(cursor)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The cursor of `token`, nil for an empty token (the first page).
    public static func decode(_ list: String, _ token: String) throws(DomainError) -> String? {
        guard !token.isEmpty else { return nil }
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("\(list):")
        else {
            throw Self.invalid
        }
        return String(text.dropFirst(list.count + 1))
    }

    public static var invalid: DomainError {
        .invalidArgument("page_token is not a token of this list", reason: .pageTokenInvalid, field: "page_token")
    }

    public static func pageSize(_ requested: Int32) throws(DomainError) -> Int {
        if requested == 0 { return Self.defaultPageSize }
        guard (1...Self.maxPageSize).contains(Int(requested)) else {
            throw .invalidArgument("page_size must be from 1 to 100 (0 for 50)", field: "page_size")
        }
        return Int(requested)
    }
}
