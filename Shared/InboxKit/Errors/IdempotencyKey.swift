public import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `idempotency_key` convention of every mutation that takes one (README "API conventions"):
/// 1 to 128 printable ASCII characters without spaces; the same key with a different request
/// (another fingerprint) is `IDEMPOTENCY_KEY_REUSED`.
public enum IdempotencyKey {
    /// The key, nil when the caller sent none; INVALID_ARGUMENT (`idempotency_key`) when malformed.
    public static func optional(_ key: String) throws(DomainError) -> String? {
        guard !key.isEmpty else { return nil }
        guard key.utf8.count <= 128, key.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
            throw .invalidArgument(
                "idempotency_key must be 1 to 128 printable ASCII characters", field: "idempotency_key")
        }
        return key
    }

    /// The key of a call that requires one.
    public static func required(_ key: String) throws(DomainError) -> String {
        guard let key = try Self.optional(key) else {
            throw .invalidArgument("idempotency_key is required", field: "idempotency_key")
        }
        return key
    }

    /// The request itself, without its key (the caller clears it): the same key with another
    /// fingerprint is a reuse.
    public static func fingerprint(_ message: some SwiftProtobuf.Message) throws -> String {
        let bytes: [UInt8] = try message.serializedBytes()
        return Data(bytes).base64EncodedString()
    }
}
