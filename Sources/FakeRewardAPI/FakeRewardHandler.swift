import NIOCore
import NIOHTTP1

/// One connection's requests: collects each request, waits out its latency on the event loop (a timer, no task),
/// asks the server for the answer and writes it. `configureHTTPServerPipeline` in front of it keeps pipelined
/// requests in order, so there is at most one request in flight here.
final class FakeRewardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: FakeRewardServer
    /// The request being read, with its head (the answer's version and keep-alive come from it).
    private var reading: (head: HTTPRequestHead, request: FakeRewardRequest)?
    /// False once the connection is gone: a timer that fires later writes nothing.
    private var open = true
    /// A request is complete and its answer not yet written.
    private var answering = false
    /// The client will send nothing more (half-close): close once the answer in progress is written.
    private var inputClosed = false

    init(server: FakeRewardServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first
            let request = FakeRewardRequest(
                method: head.method,
                path: path.map(String.init) ?? head.uri,
                idempotencyKey: head.headers.first(name: "Idempotency-Key")
            )
            reading = (head, request)
        case .body(let chunk):
            guard var request = reading?.request, !request.bodyTooLarge else { return }
            if request.body.count + chunk.readableBytes > FakeRewardRequest.maximumBody {
                request.bodyTooLarge = true
                request.body = []
            } else {
                request.body.append(contentsOf: chunk.readableBytesView)
            }
            reading?.request = request
        case .end:
            guard let (head, request) = reading else { return }
            reading = nil
            answering = true
            let faults = server.faults
            // The summary is the fake's own read-out, not part of the simulated API: no latency.
            let delay = request.path == "/v1/ledger/summary" ? .zero : server.delay(for: faults)
            // Like a real API, the fake handles a request whose client gave up during the latency: it may pay.
            after(delay, context: context, evenIfClosed: true) { handler, context in
                let answer = handler.server.answer(request, faults: faults)
                handler.after(answer.hang, context: context) { handler, context in
                    handler.respond(answer, to: head, context: context)
                }
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else {
            return context.fireUserInboundEventTriggered(event)
        }
        inputClosed = true
        if !answering { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        open = false
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        open = false
    }

    /// Runs `body` on this loop after `delay` (at once when zero), unless the connection closed meanwhile.
    private func after(
        _ delay: Duration,
        context: ChannelHandlerContext,
        evenIfClosed: Bool = false,
        _ body: @escaping (FakeRewardHandler, ChannelHandlerContext) -> Void
    ) {
        guard delay > .zero else { return body(self, context) }
        context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
            guard self.open || evenIfClosed else { return }
            body(self, context)
        }
    }

    private func respond(_ answer: FakeRewardServer.Answer, to head: HTTPRequestHead, context: ChannelHandlerContext) {
        answering = false
        guard open else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(answer.body.count))
        if let seconds = answer.retryAfterSeconds { headers.add(name: "Retry-After", value: String(seconds)) }
        let keepAlive = head.isKeepAlive && !inputClosed
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if head.version.major == 1 && head.version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        var body = context.channel.allocator.buffer(capacity: answer.body.count)
        body.writeBytes(answer.body)
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: answer.status, headers: headers))),
            promise: nil
        )
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
