/// A minimal XML tree for WeChat pushes: elements, text and CDATA; attributes are skipped,
/// entities decoded. Deliberately not a general XML parser (no DTDs, no namespaces).
struct SimpleXMLElement: Sendable, Hashable {
    var name: String
    var text: String
    var children: [SimpleXMLElement]

    /// The text of the first direct child named `name`.
    func childText(_ name: String) -> String? {
        children.first { $0.name == name }?.text
    }

    static let maximumDepth = 16

    static func parse(_ bytes: [UInt8]) throws(WebhookError) -> SimpleXMLElement {
        var reader = SimpleXMLReader(bytes: bytes)
        return try reader.parseDocument()
    }
}

/// The recursive-descent reader behind ``SimpleXMLElement/parse(_:)``.
struct SimpleXMLReader {
    private let bytes: [UInt8]
    private var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func failure(_ reason: String) -> WebhookError {
        .malformedBody("invalid XML at byte \(index): \(reason)")
    }

    private func startsHere(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let chars = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        return bytes[index..<index + count].elementsEqual(chars)
    }

    private mutating func skip(until terminator: StaticString) throws(WebhookError) {
        while index < bytes.count, !startsHere(terminator) { index += 1 }
        guard index < bytes.count else { throw failure("unterminated \(terminator)") }
        index += terminator.utf8CodeUnitCount
    }

    private mutating func skipWhitespace() {
        while index < bytes.count,
            bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D
                || bytes[index] == 0x09
        {
            index += 1
        }
    }

    mutating func parseDocument() throws(WebhookError) -> SimpleXMLElement {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        while true {
            skipWhitespace()
            if startsHere("<?") {
                try skip(until: "?>")
            } else if startsHere("<!--") {
                try skip(until: "-->")
            } else {
                break
            }
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { throw failure("expected a root element") }
        let root = try parseElement(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected data after the root element") }
        return root
    }

    private mutating func parseName() throws(WebhookError) -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            let isNameByte =
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
            guard isNameByte else { break }
            index += 1
        }
        guard index > start else { throw failure("expected an element name") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseElement(depth: Int) throws(WebhookError) -> SimpleXMLElement {
        guard depth < SimpleXMLElement.maximumDepth else { throw failure("nesting too deep") }
        index += 1  // "<"
        let name = try parseName()
        // Skip attributes up to ">" or "/>".
        while index < bytes.count, bytes[index] != UInt8(ascii: ">") { index += 1 }
        guard index < bytes.count else { throw failure("unterminated start tag <\(name)>") }
        if bytes[index - 1] == UInt8(ascii: "/") {
            index += 1
            return SimpleXMLElement(name: name, text: "", children: [])
        }
        index += 1
        var text = [UInt8]()
        var children: [SimpleXMLElement] = []
        while true {
            guard index < bytes.count else { throw failure("unterminated element <\(name)>") }
            let byte = bytes[index]
            if byte != UInt8(ascii: "<"), byte != UInt8(ascii: "&") {
                text.append(byte)
                index += 1
            } else if startsHere("<![CDATA[") {
                index += 9
                let start = index
                while index < bytes.count, bytes[index] != UInt8(ascii: "]") || !startsHere("]]>") { index += 1 }
                guard index < bytes.count else { throw failure("unterminated CDATA in <\(name)>") }
                text.append(contentsOf: bytes[start..<index])
                index += 3
            } else if startsHere("<!--") {
                try skip(until: "-->")
            } else if startsHere("</") {
                index += 2
                let closing = try parseName()
                guard closing == name else { throw failure("</\(closing)> closes <\(name)>") }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw failure("bad end tag") }
                index += 1
                guard let decoded = String(validating: text, as: UTF8.self) else {
                    throw failure("invalid UTF-8 in <\(name)>")
                }
                return SimpleXMLElement(name: name, text: decoded, children: children)
            } else if bytes[index] == UInt8(ascii: "<") {
                children.append(try parseElement(depth: depth + 1))
            } else if bytes[index] == UInt8(ascii: "&") {
                try appendEntity(to: &text)
            } else {
                text.append(bytes[index])
                index += 1
            }
        }
    }

    private mutating func appendEntity(to text: inout [UInt8]) throws(WebhookError) {
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: ";"), index - start < 12 { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: ";") else { throw failure("unterminated entity") }
        let entity = String(decoding: bytes[(start + 1)..<index], as: UTF8.self)
        index += 1
        guard let decoded = HTMLEntities.decodeEntity(entity) else { throw failure("unknown entity &\(entity);") }
        text.append(contentsOf: Array(decoded.utf8))
    }
}
