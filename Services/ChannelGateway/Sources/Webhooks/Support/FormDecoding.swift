/// `application/x-www-form-urlencoded` decoding (Twilio bodies, query strings), strict about
/// percent escapes and UTF-8 so that a garbled body is an error, not silently different text.
enum FormDecoding {
    /// Name/value pairs in wire order; `+` is a space.
    static func decode(_ bytes: [UInt8]) throws(WebhookError) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        guard !bytes.isEmpty else { return pairs }
        for (position, part) in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).enumerated()
        {
            let separator = part.firstIndex(of: UInt8(ascii: "="))
            let rawName = separator.map { part[part.startIndex..<$0] } ?? part[...]
            let rawValue = separator.map { part[part.index(after: $0)...] } ?? []
            let name = try percentDecode(rawName, position: position)
            let value = try percentDecode(rawValue, position: position)
            pairs.append((name, value))
        }
        return pairs
    }

    static func percentDecode(_ bytes: ArraySlice<UInt8>, position: Int) throws(WebhookError) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                    let high = SignatureSupport.hexDigitValue(bytes[index + 1]),
                    let low = SignatureSupport.hexDigitValue(bytes[index + 2])
                else { throw .malformedBody("form field \(position): bad percent escape") }
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw .malformedBody("form field \(position): invalid UTF-8")
        }
        return text
    }
}
