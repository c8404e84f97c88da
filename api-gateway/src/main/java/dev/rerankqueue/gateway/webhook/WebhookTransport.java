package dev.rerankqueue.gateway.webhook;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One webhook POST, sent to the address that was checked. A client that resolves the host name
 * again to connect can be sent elsewhere between the check and the connect by a DNS server that
 * answers a public address first and an internal one next (DNS rebinding); this one connects to the
 * checked address itself, with the URL's host name as Host header, TLS server name and the name the
 * certificate must carry. No proxy is used (a proxy would resolve the name itself), no redirect
 * followed, no connection kept; the response's body is never read, and the whole exchange has one
 * deadline, after which the connection is reset.
 */
public final class WebhookTransport implements AutoCloseable {

    private final HttpClient client;

    /**
     * @param connections the most connections at once to one receiver's address: as many as the
     *     gateway has senders, so that no attempt waits for another's connection
     */
    public WebhookTransport(Vertx vertx, Duration connectTimeout, int connections) {
        this.client =
                vertx.createHttpClient(
                        new HttpClientOptions()
                                .setConnectTimeout((int) Math.max(1, connectTimeout.toMillis()))
                                .setKeepAlive(false)
                                .setVerifyHost(true)
                                .setForceSni(true),
                        new PoolOptions().setHttp1MaxSize(Math.max(1, connections)));
    }

    /**
     * POSTs {@code body} to {@code url} over a connection to {@code address}; the response's status
     * code. Fails on a connection error, and with {@link TimeoutException} when no status came
     * within {@code deadline}.
     */
    public int post(
            URI url,
            InetAddress address,
            Map<String, String> headers,
            byte[] body,
            Duration deadline)
            throws TimeoutException, ExecutionException, InterruptedException {
        boolean tls = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : tls ? 443 : 80;
        String path =
                url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            path += "?" + url.getRawQuery();
        }
        RequestOptions options =
                new RequestOptions()
                        .setMethod(HttpMethod.POST)
                        .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
                        .setHost(url.getHost())
                        .setPort(port)
                        .setSsl(tls)
                        .setURI(path)
                        .setFollowRedirects(false);
        headers.forEach(options::putHeader);
        AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
        Future<Integer> status =
                client.request(options)
                        .compose(
                                request -> {
                                    sent.set(request);
                                    return request.send(Buffer.buffer(body));
                                })
                        .map(
                                response -> {
                                    int code = response.statusCode();
                                    response.request().connection().close(); // body unread
                                    return code;
                                });
        try {
            return status.toCompletionStage()
                    .toCompletableFuture()
                    .get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | InterruptedException e) {
            HttpClientRequest request = sent.get();
            if (request != null) {
                request.reset();
            }
            throw e;
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
