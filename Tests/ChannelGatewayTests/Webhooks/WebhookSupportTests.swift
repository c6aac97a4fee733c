import Foundation
import Testing

@testable import ChannelGateway

@Suite("Webhook support: JSON, forms, XML, registry")
struct WebhookSupportTests {
    func parse(_ text: String) throws(WebhookError) -> RawJSON {
        try RawJSON.parse(Array(text.utf8))
    }

    @Test func numbersKeepTheirExactText() throws {
        let value = try parse(#"{"id":7247303576418566913,"f":-1.5e+3,"z":0}"#)
        #expect(value == .object(["id": .number("7247303576418566913"), "f": .number("-1.5e+3"), "z": .number("0")]))
        let node = JSONNode(value, path: "")
        #expect(try node.id("id") == "7247303576418566913")
        #expect(throws: WebhookError.invalidValue("f", reason: "id -1.5e+3 is not an integer")) { try node.id("f") }
    }

    @Test func stringsDecodeEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""\u00e4\u00f6\u00e5 \ud83d\ude00 \n\"\\\/""#) == .string("äöå 😀 \n\"\\/"))
    }

    @Test(arguments: [
        (#"{"a":1,}"#, "expected a key"), (#"[1 2]"#, "expected ',' or ']'"), (#"{"a":01}"#, "expected ',' or '}'"),
        (#""\ud800""#, "unpaired surrogate"), (#""\udc00x""#, "unpaired surrogate"), (#"{"a":tru}"#, "invalid literal"),
        (#"{"a":1} x"#, "unexpected data after the JSON value"), (#""abc"#, "unterminated string"),
        ("", "unexpected end of input"),
        ("\"a\u{01}\"", "control character in string"), (#"-"#, "invalid number"), (#"1."#, "invalid fraction"),
    ])
    func malformedJSONIsNamed(text: String, reason: String) {
        do {
            _ = try parse(text)
            Issue.record("parsed \(text)")
        } catch {
            guard case .malformedBody(let message) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(message.hasSuffix(reason), "\(message)")
        }
    }

    @Test func invalidUTF8AndDeepNestingAreRejected() {
        #expect(throws: WebhookError.malformedBody("invalid JSON at byte 3: invalid UTF-8 in string")) {
            try RawJSON.parse([0x22, 0x61, 0xFF, 0x22])
        }
        #expect(throws: WebhookError.malformedBody("invalid JSON at byte 64: nesting deeper than 64")) {
            try RawJSON.parse(Array(repeating: UInt8(ascii: "["), count: 100_000))
        }
    }

    @Test func typeErrorsNameThePath() throws {
        let node = try JSONNode.parse(Array(#"{"a":{"b":[1,true]}}"#.utf8))
        let items = try node.field("a").array("b")
        #expect(throws: WebhookError.wrongType("a.b[1]", expected: "integer, found boolean")) {
            _ = try items.map { (item) throws(WebhookError) in try item.unixSeconds() }
        }
        #expect(throws: WebhookError.missingField("a.c")) { try node.field("a").field("c") }
        #expect(throws: WebhookError.wrongType("(root)", expected: "array, found object")) { try node.array() }
    }

    @Test func extremeTimestampsAreRejectedNotTrapped() throws {
        let node = try JSONNode.parse(
            Array(#"{"a":-9223372036854775808,"b":"9223372036854775807","c":9223372036854775808}"#.utf8))
        #expect(throws: WebhookError.invalidValue("a", reason: "timestamp -9223372036854775808 out of range")) {
            try node.field("a").unixSeconds()
        }
        #expect(throws: WebhookError.invalidValue("b", reason: "timestamp 9223372036854775807 out of range")) {
            try node.field("b").unixMilliseconds()
        }
        #expect(throws: WebhookError.invalidValue("c", reason: "9223372036854775808 is not a 64-bit integer")) {
            try node.field("c").unixSeconds()
        }
    }

    @Test func formDecoding() throws {
        let pairs = try FormDecoding.decode(Array("a=1&b=x+y%2Bz&empty=&flag&=v&%C3%A4=%E2%82%AC".utf8))
        #expect(pairs.map(\.name) == ["a", "b", "empty", "flag", "", "ä"])
        #expect(pairs.map(\.value) == ["1", "x y+z", "", "", "v", "€"])
        #expect(throws: WebhookError.malformedBody("form field 0: bad percent escape")) {
            try FormDecoding.decode(Array("a=%G1".utf8))
        }
    }

    @Test func xmlReader() throws {
        let xml = try SimpleXMLElement.parse(
            Array(
                #"<?xml version="1.0"?><!-- c --><xml a="1"><A><![CDATA[<b>&amp;]]></A><B>x &lt; y &#x4E2D;</B><C/><D><E>1</E></D></xml>"#
                    .utf8))
        #expect(xml.childText("A") == "<b>&amp;")
        #expect(xml.childText("B") == "x < y 中")
        #expect(xml.childText("C") == "")
        #expect(xml.children.last?.childText("E") == "1")
        #expect(throws: WebhookError.malformedBody("invalid XML at byte 10: unknown entity &bogus;")) {
            try SimpleXMLElement.parse(Array("<x>&bogus;</x>".utf8))
        }
        #expect(throws: WebhookError.malformedBody("invalid XML at byte 48: nesting too deep")) {
            try SimpleXMLElement.parse(Array(String(repeating: "<a>", count: 1000).utf8))
        }
    }

    @Test func htmlUnescape() {
        #expect(
            HTMLEntities.unescape("a &amp; b &lt;3 &#39;q&#39; &#x1F600; &unknown; & end")
                == "a & b <3 'q' 😀 &unknown; & end")
    }

    @Test func macDigestAndSharedSecretChecks() {
        #expect(SignatureSupport.sharedSecretsEqual("abc", "abc"))
        #expect(!SignatureSupport.sharedSecretsEqual("abc", "abd"))
        #expect(!SignatureSupport.sharedSecretsEqual("abc", "abcd"))
        let message = Array("message".utf8)
        let mac = TestSigning.hmacSHA256("key", message)
        #expect(SignatureSupport.isValidHMACSHA256(mac, key: "key", message: message))
        #expect(!SignatureSupport.isValidHMACSHA256(mac, key: "other", message: message))
        #expect(!SignatureSupport.isValidHMACSHA256(Array(mac.dropLast()), key: "key", message: message))
        let sha1MAC = SignatureSupport.hmacSHA1(key: "key", message: message)
        #expect(SignatureSupport.isValidHMACSHA1(sha1MAC, key: "key", message: message))
        #expect(!SignatureSupport.isValidHMACSHA1(sha1MAC, key: "key", message: message + [0]))
        let digest = SignatureSupport.sha1(message)
        #expect(SignatureSupport.isValidSHA1(digest, of: message))
        #expect(!SignatureSupport.isValidSHA1(digest + [0], of: message))
        #expect(SignatureSupport.decodeHex("0aFf") == [0x0A, 0xFF])
        #expect(SignatureSupport.decodeHex("0g") == nil)
        #expect(SignatureSupport.decodeHex("abc") == nil)
    }

    @Test func headerLookupIgnoresCase() {
        let request = WebhookRequest(
            method: "post", path: "/", headers: [.init(name: "X-Hub-Signature-256", value: "v")])
        #expect(request.header("x-hub-signature-256") == "v")
        #expect(request.method == "POST")
    }

    @Test func errorStatuses() {
        #expect(WebhookError.methodNotAllowed("PUT").httpStatus == 405)
        #expect(WebhookError.staleTimestamp(signedAt: 1, now: 1000, window: 300).httpStatus == 401)
        #expect(WebhookError.handshakeRejected("x").httpStatus == 403)
        #expect(WebhookError.decryptionFailed("x").httpStatus == 400)
        #expect(WebhookError.notConfigured("x").httpStatus == 500)
    }
}
