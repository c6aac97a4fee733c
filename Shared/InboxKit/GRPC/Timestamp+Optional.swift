public import SwiftProtobuf

#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

extension Google_Protobuf_Timestamp {
    /// nil when unset: in requests a zero timestamp means "not given".
    public var dateIfSet: Date? {
        self.seconds == 0 && self.nanos == 0 ? nil : self.date
    }
}

extension UUID {
    /// The id as every API and table shows it (lowercase).
    public var text: String { self.uuidString.lowercased() }
}

extension UUID {
    /// A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Rows keyed by
    /// these ids are inserted at the right edge of their B-tree instead of at random pages, which
    /// keeps a write-heavy table's index small in cache and its WAL (full-page writes) small.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - index))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
