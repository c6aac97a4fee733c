import ArgumentParser
import BenchSupport
import Crypto
import Foundation

/// Writes the signed webhooks one wrk run sends: what Meta posts to the shared endpoint for a
/// Messenger text message, signed as Meta signs it (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of
/// the body under the app secret>`). One line per request, `<64 hex digits> <body>`, the body a
/// one-line JSON, so that wrk.lua reads a line with two `sub` calls.
struct Requests: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requests",
        abstract: "Write signed Messenger webhooks for wrk.lua, one a line.",
        discussion: """
            Request i goes to Page i mod P (round-robin over --pages), from customer \
            (i / P) mod --senders of that Page, with the mid <prefix>_<i>: every mid is distinct \
            within a file, and across files with different prefixes (the gateway counts a repeated \
            mid as a duplicate). Timestamps are now, a millisecond apart every ten requests.
            """
    )

    @Option(help: "The app secret the gateway verifies with (its FACEBOOK_APP_SECRET).")
    var appSecret: String

    @Option(help: "The Page ids, comma-separated (as setup prints them).")
    var pages: String

    @Option(help: "How many requests to write.")
    var count: Int

    @Option(help: "The file to write.")
    var out: String

    @Option(help: "The mids' prefix: give each file its own.")
    var prefix: String = "m_gb"

    @Option(help: "Customers per Page (each one a conversation at conversation-service).")
    var senders: Int = 1000

    func validate() throws {
        guard !self.appSecret.isEmpty else { throw ValidationError("--app-secret must not be empty") }
        guard !self.pageIDs.isEmpty, self.pageIDs.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
            throw ValidationError("--pages must be Page ids (digits), comma-separated")
        }
        guard self.count > 0 else { throw ValidationError("--count must be positive") }
        guard self.senders > 0 else { throw ValidationError("--senders must be positive") }
        guard !self.prefix.isEmpty,
            self.prefix.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0.isAlphanumeric })
        else {
            throw ValidationError("--prefix must be letters, digits, '_' or '-'")
        }
    }

    var pageIDs: [String] {
        self.pages.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
    }

    /// Customer messages, some with accents (escaped as Meta escapes them), none with a quote, a
    /// backslash other than those escapes, or a line break.
    static let texts = [
        #"Hello, has my order shipped yet?"#,
        #"Bonjour, o\u00f9 en est ma commande ?"#,
        #"Can I change the delivery address for my parcel?"#,
        #"Je voudrais annuler ma r\u00e9servation pour samedi"#,
        #"Do you have this jacket in size M?"#,
        #"Merci pour votre r\u00e9ponse, \u00e0 bient\u00f4t"#,
        #"The package arrived damaged, what should I do?"#,
        #"Is the store open on Sunday?"#,
    ]

    func run() async throws {
        let pages = self.pageIDs
        let key = SymmetricKey(data: Array(self.appSecret.utf8))
        let hexDigits = Array("0123456789abcdef".utf8)
        let started = Date()
        let nowMilliseconds = Int64(started.timeIntervalSince1970 * 1000)
        guard FileManager.default.createFile(atPath: self.out, contents: nil) else {
            throw BenchError("cannot create \(self.out)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: self.out))
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 22)
        var written = 0
        for index in 0..<self.count {
            let page = pages[index % pages.count]
            let sender = 7_100_000_000_000_000 + (index / pages.count) % self.senders
            // Not in the future, and in the order of the mids.
            let time = nowMilliseconds - Int64((self.count - index) / 10)
            let text = Self.texts[index % Self.texts.count]
            let body = Array(
                (#"{"object":"page","entry":[{"id":"\#(page)","time":\#(time),"messaging":[{"sender":{"id":"\#(sender)"},"#
                    + #""recipient":{"id":"\#(page)"},"timestamp":\#(time),"message":{"mid":"\#(self.prefix)_\#(index)","#
                    + #""text":"\#(text) (\#(index))"}}]}]}"#).utf8)
            for byte in HMAC<SHA256>.authenticationCode(for: body, using: key) {
                buffer.append(hexDigits[Int(byte >> 4)])
                buffer.append(hexDigits[Int(byte & 0x0f)])
            }
            buffer.append(UInt8(ascii: " "))
            buffer.append(contentsOf: body)
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= 1 << 22 {
                try handle.write(contentsOf: buffer)
                written += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
        written += buffer.count
        try handle.close()
        FileHandle.standardError.write(
            Data(
                ("gateway-bench: \(self.count) signed webhooks for \(pages.count) Pages in \(self.out) ("
                    + String(format: "%.1f", Double(written) / 1_048_576) + " MiB, "
                    + String(format: "%.1f", Date().timeIntervalSince(started)) + " s)\n").utf8))
    }
}

extension UInt8 {
    fileprivate var isAlphanumeric: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
}
