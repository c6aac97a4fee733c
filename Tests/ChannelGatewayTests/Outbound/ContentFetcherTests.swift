import TestSupport
import Testing

@testable import ChannelGateway

@Suite("Content fetcher")
struct ContentFetcherTests {
    let page = FacebookCredentials(pageID: "111000111", accessToken: "EAAfakePageToken")
    /// The same Page token, as the credentials of an Instagram account connected through Facebook Login.
    let instagramViaPage = InstagramCredentials.facebookLogin(pageID: "111000111", accessToken: "EAAfakePageToken")
    let tiktok = TikTokCredentials(accessToken: "tt-token", businessID: "biz-1")

    @Test("request shapes for the three steps")
    func requests() throws {
        let endpoints = OutboundEndpoints.production
        let mention = try ContentFetch.instagramMention(
            igUserID: "17841400000000001", mediaID: "1791", commentID: "1789"
        )
        .request(endpoints: endpoints, credentials: instagramViaPage)
        #expect(mention.method == "GET")
        #expect(
            mention.url
                == "https://graph.facebook.com/v26.0/17841400000000001?fields=mentioned_comment.comment_id%281789%29%7Btext%2Cusername%2Ctimestamp%7D"
        )
        #expect(mention.headers == ["authorization": "Bearer EAAfakePageToken"])
        let caption = try ContentFetch.instagramMention(igUserID: "1784", mediaID: "1791", commentID: nil)
            .request(endpoints: endpoints, credentials: instagramViaPage)
        #expect(caption.url.hasSuffix("?fields=mentioned_media.media_id%281791%29%7Bcaption%2Cusername%2Ctimestamp%7D"))
        let post = try ContentFetch.facebookPostVisibility(postID: "111000111_444000444").request(
            endpoints: endpoints, credentials: page)
        #expect(
            post.url == "https://graph.facebook.com/v26.0/111000111_444000444?fields=is_published%2Cpromotion_status")
        let comment = try ContentFetch.tiktokComment(
            businessID: "biz-1", videoID: "7203946942097902849", commentID: "7247303576418566913"
        )
        .request(endpoints: endpoints, credentials: tiktok)
        #expect(
            comment.url
                == "https://business-api.tiktok.com/open_api/v1.3/business/comment/list/?business_id=biz-1&video_id=7203946942097902849&comment_ids=%5B%227247303576418566913%22%5D"
        )
        #expect(comment.headers == ["access-token": "tt-token"])
        #expect(throws: OutboundBuildError.wrongCredentials(platform: .tiktok)) {
            try ContentFetch.tiktokComment(businessID: "b", videoID: "v", commentID: "c").request(
                endpoints: endpoints, credentials: page)
        }
    }

    @Test("Instagram mention text is read from the fake, for a comment and for a caption")
    func instagramMention() async throws {
        try await withFake(
            try await MetaGraphFake.start(
                .instagram, accountIDs: ["17841400000000001"], accessToken: "EAAfakePageToken")
        ) { fake in
            fake.registerMention(objectID: "17894227972186120", text: "Great service from @myshop", username: "anna")
            fake.registerMention(objectID: "17918195224117851", text: "Look @myshop", username: "ben")
            var endpoints = OutboundEndpoints.production
            endpoints[InstagramOutboundAdapter.facebookLoginAPI] = .init(baseURL: fake.baseURL, version: "v26.0")
            try await OutboundTestHarness.with { harness in
                let fetcher = ContentFetcher(http: harness.http, endpoints: endpoints)
                let comment = try await fetcher.fetch(
                    .instagramMention(
                        igUserID: "17841400000000001", mediaID: "17918195224117851", commentID: "17894227972186120"),
                    credentials: instagramViaPage)
                #expect(comment == .fetched(.text("Great service from @myshop", authorHandle: "anna")))
                let caption = try await fetcher.fetch(
                    .instagramMention(igUserID: "17841400000000001", mediaID: "17918195224117851", commentID: nil),
                    credentials: instagramViaPage)
                #expect(caption == .fetched(.text("Look @myshop", authorHandle: "ben")))
                let unknown = try await fetcher.fetch(
                    .instagramMention(igUserID: "17841400000000001", mediaID: "1", commentID: "404"),
                    credentials: instagramViaPage)
                #expect(unknown == .failed(reason: .other, detail: "Graph error 100/33: (#100) Error"))
            }
        }
    }

    @Test("Facebook post visibility tells a dark post apart")
    func postVisibility() async throws {
        try await withFake(
            try await MetaGraphFake.start(.facebook, accountIDs: ["111000111"], accessToken: "EAAfakePageToken")
        ) { fake in
            fake.registerPost(id: "111000111_444000444", isPublished: false, promotionStatus: "ineligible")
            var endpoints = OutboundEndpoints.production
            endpoints[FacebookOutboundAdapter.api] = .init(baseURL: fake.baseURL, version: "v26.0")
            let outcome = try await OutboundTestHarness.with {
                try await ContentFetcher(http: $0.http, endpoints: endpoints).fetch(
                    .facebookPostVisibility(postID: "111000111_444000444"), credentials: page)
            }
            #expect(outcome == .fetched(.postVisibility(isPublished: false, promotionStatus: "ineligible")))
        }
    }

    @Test("TikTok comment text comes from the comment list; a throttled read is retried later")
    func tiktokComment() async throws {
        try await withFake(try await TikTokAPIFake.start(accessToken: "tt-token", businessID: "biz-1")) { fake in
            fake.registerComment(
                id: "7247303576418566913", videoID: "7203946942097902849", text: "So cute!", username: "user_7c2f")
            var endpoints = OutboundEndpoints.production
            endpoints[TikTokOutboundAdapter.api] = .init(baseURL: fake.baseURL, version: "v1.3")
            let step = ContentFetch.tiktokComment(
                businessID: "biz-1", videoID: "7203946942097902849", commentID: "7247303576418566913")
            try await OutboundTestHarness.with { harness in
                let fetcher = ContentFetcher(http: harness.http, endpoints: endpoints)
                let fetched = try await fetcher.fetch(step, credentials: tiktok)
                #expect(fetched == .fetched(.text("So cute!", authorHandle: "user_7c2f")))
                fake.script.enqueue(.rateLimited(retryAfterSeconds: 1), on: TikTokAPIFake.Endpoint.commentList.rawValue)
                let throttled = try await fetcher.fetch(step, credentials: tiktok)
                #expect(throttled == .retryAfter(delay: .seconds(300), reason: .rateLimited))
            }
        }
    }
}
