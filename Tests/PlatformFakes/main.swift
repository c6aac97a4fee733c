import Foundation
import TestSupport

// Runs every platform fake on 127.0.0.1 (free ports) for demos, staging and benchmarks, prints one
// `export NAME=URL` line per platform API base URL the gateway reads (OutboundEndpoints+Environment)
// and, last, `export PLATFORM_FAKES_ADMIN_URL=URL`, where `GET /requests` answers how many requests
// each fake received by endpoint (FakeRequestCounts) and `POST /status-webhooks`, `/statuses` and
// `/echoes` have the Meta fakes post their webhooks (PlatformFakesAdmin); serves until SIGINT or
// SIGTERM. Written unbuffered so a script reading a pipe sees the lines at once: `swift run
// platform-fakes > fakes.env &`, then `. ./fakes.env` before starting the gateway.
let fakes = try await FakePlatforms.startAll(credentials: .demo)
let counts = try await PlatformFakesAdmin.serve(fakes)
let exports = [
    ("FACEBOOK_API_BASE_URL", fakes.facebook.baseURL),
    // One Instagram fake serves both hosts' shapes (Facebook Login and Instagram Login).
    ("INSTAGRAM_API_BASE_URL", fakes.instagram.baseURL),
    ("INSTAGRAM_LOGIN_API_BASE_URL", fakes.instagram.baseURL),
    ("WHATSAPP_API_BASE_URL", fakes.whatsApp.baseURL),
    ("X_API_BASE_URL", fakes.x.baseURL),
    ("LINKEDIN_API_BASE_URL", fakes.linkedIn.baseURL),
    ("TIKTOK_API_BASE_URL", fakes.tiktok.baseURL),
    ("TELEGRAM_API_BASE_URL", fakes.telegram.baseURL),
    ("TWILIO_API_BASE_URL", fakes.twilio.baseURL),
    ("WECHAT_API_BASE_URL", fakes.weChat.baseURL),
    // Last: a script that sees this line has all the others.
    ("PLATFORM_FAKES_ADMIN_URL", counts.baseURL),
]
FileHandle.standardOutput.write(Data(exports.map { "export \($0.0)=\($0.1)\n" }.joined().utf8))
await FakePlatforms.waitForTermination()
await counts.stop()
await fakes.stopAll()
