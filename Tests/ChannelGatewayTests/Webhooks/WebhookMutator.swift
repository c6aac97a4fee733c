/// Deterministic mutations of valid payloads for the fuzz tests: bit flips, truncations,
/// insertions, deletions, duplicated ranges, swapped and replaced JSON tokens, huge numbers and
/// invalid UTF-8.
struct WebhookMutator {
    /// SplitMix64: small, seedable, identical on every run.
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int {
        bound <= 0 ? 0 : Int(next() % UInt64(bound))
    }

    static let replacements: [[UInt8]] = [
        "123456789012345678901234567890", "-1", "1e999", "0.5", "null", "true", "{}", "[]", "\"\"", "\"x\"", "0",
        "\"\\ud800\"", "[[[[[[[[", "\"\\u00e4\"",
    ].map { Array($0.utf8) }
    static let invalidUTF8: [[UInt8]] = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF]]
    static let interesting: [UInt8] = Array("\"{}[],:\\0-9e&<>=%+".utf8) + [0x00, 0x0A, 0x7F, 0x80]

    /// One to three mutations of `input`.
    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0...below(3) {
            bytes = mutateOnce(bytes)
        }
        return bytes
    }

    private mutating func mutateOnce(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        guard !bytes.isEmpty else { return Self.replacements[below(Self.replacements.count)] }
        let position = below(bytes.count)
        switch below(9) {
        case 0:
            bytes[position] ^= UInt8(1 << below(8))
        case 1:
            bytes.removeSubrange(position...)
        case 2:
            let byte =
                below(2) == 0 ? Self.interesting[below(Self.interesting.count)] : UInt8(truncatingIfNeeded: next())
            bytes.insert(byte, at: position)
        case 3:
            bytes.removeSubrange(position..<min(bytes.count, position + 1 + below(16)))
        case 4:
            bytes.insert(contentsOf: Self.invalidUTF8[below(Self.invalidUTF8.count)], at: position)
        case 5:
            let end = min(bytes.count, position + 1 + below(64))
            bytes.insert(contentsOf: bytes[position..<end], at: end)
        default:
            bytes = mutateTokens(bytes)
        }
        return bytes
    }

    /// Swaps two tokens, or replaces one with a value of another type or a huge number.
    private mutating func mutateTokens(_ bytes: [UInt8]) -> [UInt8] {
        let tokens = Self.tokens(bytes)
        guard tokens.count > 1 else { return bytes }
        let first = tokens[below(tokens.count)]
        if below(2) == 0 {
            var out = bytes
            out.replaceSubrange(first, with: Self.replacements[below(Self.replacements.count)])
            return out
        }
        var second = tokens[below(tokens.count)]
        guard first != second else { return bytes }
        var a = first
        if a.lowerBound > second.lowerBound { swap(&a, &second) }
        guard a.upperBound <= second.lowerBound else { return bytes }
        return Array(bytes[..<a.lowerBound]) + bytes[second] + bytes[a.upperBound..<second.lowerBound] + bytes[a]
            + bytes[second.upperBound...]
    }

    /// Rough JSON tokens: strings (with escapes), number/word runs, single punctuation.
    static func tokens(_ bytes: [UInt8]) -> [Range<Int>] {
        var tokens: [Range<Int>] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let start = index
            if byte == UInt8(ascii: "\"") {
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index = min(index + 1, bytes.count)
            } else if isWordByte(byte) {
                while index < bytes.count, isWordByte(bytes[index]) { index += 1 }
            } else {
                index += 1
                if byte == 0x20 || byte == 0x0A { continue }
            }
            tokens.append(start..<index)
        }
        return tokens
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "+")
    }
}
