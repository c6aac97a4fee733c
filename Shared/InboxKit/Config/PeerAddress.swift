#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where another service is, as its `*_ADDR` variable (and inboxctl's `--<service>-addr`) gives
/// it: `host:port`, or several separated by commas (`10.0.0.5:50052,10.0.0.6:50052`). Each host is
/// an IPv4 literal, an IPv6 literal in brackets (`[fd00::5]:50052`) or a DNS name, which stands for
/// every A and AAAA record it has (a headless Kubernetes Service: one per pod; a Compose service
/// with several containers: one per container). Calls are balanced round-robin over all of them
/// (``PeerAddress/transport()``).
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The entries in the order given; never empty.
    public let entries: [HostAndPort]

    /// One `host:port`.
    public init(_ entry: HostAndPort) {
        self.entries = [entry]
    }

    /// `entries` (nil when there are none).
    public init?(entries: [HostAndPort]) {
        guard !entries.isEmpty else { return nil }
        self.entries = entries
    }

    /// Parses `host:port[,host:port...]`; blanks around an entry are ignored, an empty entry is
    /// an error (`a:1,,b:2`, a trailing comma).
    public init?(_ text: String) {
        var entries: [HostAndPort] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let entry = HostAndPort(String(part).trimmingCharacters(in: .whitespacesAndNewlines)),
                entry.hostKind != .name || Self.isHostName(entry.host)
            else {
                return nil
            }
            entries.append(entry)
        }
        self.init(entries: entries)
    }

    /// A DNS name: dot-separated labels of letters, digits, `-` and `_` (what `getaddrinfo` is
    /// asked for); anything else (`a:1;b`, a stray colon) is a typo, not a host.
    static func isHostName(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count)
                && label.utf8.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                        || byte == UInt8(ascii: "_")
                }
        }
    }

    /// The entries as given, comma-separated (what `*_ADDR` said, normalised).
    public var description: String {
        self.entries.map(\.description).joined(separator: ",")
    }

    /// The usage text of the syntax, for error messages.
    public static let syntax = "host:port, or several separated by commas (IPv6 in brackets: [::1]:50051)"
}

extension HostAndPort {
    /// What kind of host this is: an IP address written out, or a name for DNS.
    public enum HostKind: Sendable, Hashable {
        case ipv4
        case ipv6
        case name
    }

    /// Read as the system reads addresses (`inet_pton`), so what counts as a literal here is
    /// exactly what the transport's static IPv4 and IPv6 targets accept; anything else (a
    /// scoped IPv6 address `fe80::1%eth0` included) is left to the resolver.
    public var hostKind: HostKind {
        var ipv4 = in_addr()
        if inet_pton(AF_INET, self.host, &ipv4) == 1 { return .ipv4 }
        var ipv6 = in6_addr()
        if inet_pton(AF_INET6, self.host, &ipv6) == 1 { return .ipv6 }
        return .name
    }
}
