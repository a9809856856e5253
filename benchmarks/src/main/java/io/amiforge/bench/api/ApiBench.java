package io.amiforge.bench.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.amiforge.cloud.Architecture;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.SimulatorBooter;
import io.amiforge.cloud.VirtualizationType;
import io.amiforge.cloud.server.CloudServer;
import io.amiforge.cloud.server.auth.AccessKey;
import io.amiforge.cloud.server.auth.AccessKeys;
import io.amiforge.store.TenantStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * The endpoint's figures, through real signed HTTP requests against an in-process server:
 * {@code blocks} (PutSnapshotBlock then GetSnapshotBlock with 16 parallel clients, each on its
 * own keep-alive connection; a warm-up round of the same 512 MiB first), {@code changed} (ListChangedBlocks of two
 * snapshots of a 1 TiB volume with 1% of its 512 KiB blocks changed, all pages), {@code images}
 * (DescribeImages latency percentiles with 10,000 images in the region). Clients sign with the
 * AWS SDK's SigV4 signer; block uploads use {@code UNSIGNED-PAYLOAD} with the SHA-256
 * {@code x-amz-Checksum} (precomputed: the server's cost is what is measured), as the SDK signs
 * them over HTTPS: the signer signs the payload whenever the URI is {@code http}, so each upload
 * is signed for the {@code https} URI of the same host and port (the scheme is not part of a
 * SigV4 signature) and sent over plain HTTP. {@code blocks-signed} is {@code blocks} with the
 * payload signed too (the client hashes every body for {@code x-amz-content-sha256}, the server
 * checks it with the one hash it computes for the checksum). Each phase prints the process's CPU
 * time per MiB (clients and server together: they share the JVM). Args: what...
 */
public final class ApiBench {

    private static final int BLOCK = 512 * 1024;
    private static final int CLIENTS = 16;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SET_BY_CLIENT = Set.of("host", "content-length", "connection");

    private final String endpoint;
    private final AccessKey key;
    private final ExecutorService clientThreads = Executors.newFixedThreadPool(CLIENTS,
            Thread.ofPlatform().daemon().name("bench-client-", 0).factory());
    private final ThreadLocal<BlockConnection> connections;
    private final ThreadLocal<HttpClient> clients = ThreadLocal.withInitial(
            () -> HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());

    private ApiBench(String endpoint, AccessKey key) {
        this.endpoint = endpoint;
        this.key = key;
        URI at = URI.create(endpoint);
        this.connections = ThreadLocal.withInitial(() -> {
            try {
                return new BlockConnection(at.getHost(), at.getPort(), BLOCK + 64 * 1024);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("amiforge-api-bench");
        List<String> imageIds = List.of(args).contains("images") ? imageSetup(dir) : List.of();
        try (Cloud cloud = Cloud.open(dir, new SimulatorBooter(1_000_000L));
             CloudServer server = CloudServer.builder(cloud).listen("127.0.0.1", 0).build()) {
            int port = server.start();
            ApiBench bench = new ApiBench("http://127.0.0.1:" + port, AccessKeys.of(dir).create("111122223333"));
            for (String what : args) {
                switch (what) {
                    case "blocks" -> bench.blocks(false);
                    case "blocks-signed" -> bench.blocks(true);
                    case "changed" -> bench.changed(cloud);
                    case "images" -> bench.images(imageIds);
                    default -> throw new IllegalArgumentException("unknown benchmark " + what + " (blocks, blocks-signed, changed, images)");
                }
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    // ------------------------------------------------------------------ blocks

    private void blocks(boolean signPayload) throws Exception {
        Random random = new Random(42);
        byte[][] data = new byte[CLIENTS][BLOCK];
        String[] checksums = new String[CLIENTS];
        ByteBuffer[] direct = new ByteBuffer[CLIENTS];
        for (int i = 0; i < CLIENTS; i++) {
            random.nextBytes(data[i]);
            direct[i] = ByteBuffer.allocateDirect(BLOCK).put(data[i]).flip().asReadOnlyBuffer();
            checksums[i] = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(data[i]));
        }
        for (int round = 0; round < 2; round++) {
            // the warm-up is as large as the measured round: 1,024 blocks fill every slot of the store journal's ring
            // once (each slot allocates its block-sized buffer on first use), so the measured round is a long-running
            // server's steady state, not the store's first 512 MiB
            int perClient = 64;
            String snapshot = JSON.readTree(send("ebs", "POST", "/snapshots", Map.of("Content-Type", "application/json"),
                    "{\"VolumeSize\":16}".getBytes(StandardCharsets.UTF_8), false, 201)).path("SnapshotId").asText();
            long putCpu = cpuNanos();
            long putClientCpu = clientCpuNanos();
            long putNanos = parallel(client -> {
                for (int n = 0; n < perClient; n++) {
                    long index = (long) client * perClient + n;
                    String target = "/snapshots/" + snapshot + "/blocks/" + index;
                    SignedRequest signed = sign("ebs", "PUT", target, Map.of("x-amz-Data-Length", Integer.toString(BLOCK),
                            "x-amz-Checksum", checksums[client], "x-amz-Checksum-Algorithm", "SHA256"), data[client], !signPayload);
                    BlockConnection connection = connections.get();
                    int status = connection.exchange("PUT", wireTarget(signed), signed.request().headers(), direct[client]);
                    if (status != 201) {
                        throw new IllegalStateException("PUT " + target + ": HTTP " + status + ": "
                                + StandardCharsets.UTF_8.decode(connection.body()));
                    }
                }
            });
            putCpu = cpuNanos() - putCpu;
            putClientCpu = clientCpuNanos() - putClientCpu;
            send("ebs", "POST", "/snapshots/completion/" + snapshot, Map.of("x-amz-ChangedBlocksCount",
                    Integer.toString(CLIENTS * perClient)), new byte[0], false, 202);
            List<String> tokens = new ArrayList<>();
            JsonNode listed = JSON.readTree(send("ebs", "GET", "/snapshots/" + snapshot + "/blocks", Map.of(), new byte[0], false, 200));
            listed.path("Blocks").forEach(b -> tokens.add(b.path("BlockToken").asText()));
            long getCpu = cpuNanos();
            long getClientCpu = clientCpuNanos();
            long getNanos = parallel(client -> {
                for (int n = 0; n < perClient; n++) {
                    int index = client * perClient + n;
                    String target = "/snapshots/" + snapshot + "/blocks/" + index + "?blockToken=" + tokens.get(index);
                    SignedRequest signed = sign("ebs", "GET", target, Map.of(), new byte[0], false);
                    BlockConnection connection = connections.get();
                    int status = connection.exchange("GET", wireTarget(signed), signed.request().headers(), null);
                    if (status != 200 || connection.body().mismatch(direct[client]) != -1) {
                        throw new IllegalStateException("GET " + target + ": HTTP " + status + (status == 200
                                ? ": block " + index + " read back differs" : ": " + StandardCharsets.UTF_8.decode(connection.body())));
                    }
                }
            });
            getCpu = cpuNanos() - getCpu;
            getClientCpu = clientCpuNanos() - getClientCpu;
            double mib = CLIENTS * perClient * (BLOCK / 1048576.0);
            System.out.printf("%s%s: %d clients, %.0f MiB: PutSnapshotBlock %.0f MiB/s (CPU %.2f ms/MiB, clients %.2f), "
                            + "GetSnapshotBlock %.0f MiB/s (CPU %.2f ms/MiB, clients %.2f)%n", round == 0 ? "warm-up" : "measured",
                    signPayload ? " (payload signed)" : "", CLIENTS, mib, mib / (putNanos / 1e9), putCpu / 1e6 / mib,
                    putClientCpu / 1e6 / mib, mib / (getNanos / 1e9), getCpu / 1e6 / mib, getClientCpu / 1e6 / mib);
        }
    }

    /** The CPU time the whole process has used (every thread: clients, server, store, GC, JIT). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * The CPU time of the live client threads (the bench's client pool and java.net.http's own
     * threads, by name); the rest of {@link #cpuNanos} is the server's, the store's and the JVM's.
     * A client thread that ended in between is missed, so this is a lower bound.
     */
    private static long clientCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && (info.getThreadName().startsWith("bench-client-") || info.getThreadName().startsWith("HttpClient-"))) {
                long t = threads.getThreadCpuTime(info.getThreadId());
                sum += Math.max(t, 0);
            }
        }
        return sum;
    }

    private interface ClientWork {
        void run(int client) throws Exception;
    }

    /**
     * Runs {@code work} on the {@link #CLIENTS} client threads at once; returns the wall time in ns.
     * The threads (and so their keep-alive connections) live as long as the bench.
     */
    private long parallel(ClientWork work) throws Exception {
        long t0 = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            futures.add(clientThreads.submit(() -> {
                work.run(client);
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        return System.nanoTime() - t0;
    }

    // ------------------------------------------------------------------ changed blocks

    private void changed(Cloud cloud) throws Exception {
        long size = 1L << 40;
        long ebsBlocks = size / BLOCK;
        TenantStore store = cloud.store("us-east-1", "111122223333");
        byte[] page = new byte[4096];
        new Random(7).nextBytes(page);
        String first;
        String second;
        long t0 = System.nanoTime();
        try (Volume v = store.createVolume("tib", size, VolumeOptions.defaults())) {
            for (long b = 0; b < ebsBlocks; b += 100) {
                v.write(b * BLOCK, MemorySegment.ofArray(page));
            }
            v.flush();
            first = store.createSnapshot("tib", "base").id();
            for (long b = 50; b < ebsBlocks; b += 100) {
                v.write(b * BLOCK, MemorySegment.ofArray(page));
            }
            v.flush();
            second = store.createSnapshot("tib", "1% changed").id();
        }
        System.out.printf("setup: 1 TiB volume, %d of %d 512 KiB blocks changed, in %.1f s%n", ebsBlocks / 100 + 1, ebsBlocks,
                (System.nanoTime() - t0) / 1e9);
        long d0 = System.nanoTime();
        long inFirst = store.blocks(first).count();
        long d1 = System.nanoTime();
        long diffed = store.diff(first, second).count();
        long d2 = System.nanoTime();
        System.out.printf("store alone (4 KiB store blocks): blocks(first) %d in %.0f ms, diff %d in %.0f ms%n", inFirst,
                (d1 - d0) / 1e6, diffed, (d2 - d1) / 1e6);
        // the server's and the client's code paths warmed (JIT) on another pair of about as many changed blocks, so
        // that "cold" is this pair's first listing (its block sets not yet read from the store), not the JVM's first
        try (Volume v = store.createVolume("warm-up", 16L << 30, VolumeOptions.defaults())) {
            v.write(0, MemorySegment.ofArray(page));
            String a = store.createSnapshot("warm-up", "a").id();
            for (long b = 1; b < 20_001; b++) {
                v.write(b * BLOCK, MemorySegment.ofArray(page));
            }
            String b = store.createSnapshot("warm-up", "b").id();
            for (int i = 0; i < 5; i++) {
                listChanged(a, b);
            }
        }
        for (int run = 0; run < 6; run++) {
            long start = System.nanoTime();
            int listed = listChanged(first, second);
            System.out.printf("ListChangedBlocks %s: %d blocks in %.0f ms (all pages)%n", run == 0 ? "cold" : "warm", listed,
                    (System.nanoTime() - start) / 1e6);
        }
    }

    /** Lists the blocks changed from {@code first} to {@code second} through HTTP, every page; returns how many. */
    private int listChanged(String first, String second) throws Exception {
        int listed = 0;
        String next = null;
        do {
            String query = "?firstSnapshotId=" + first + "&maxResults=10000" + (next == null ? "" : "&pageToken="
                    + java.net.URLEncoder.encode(next, StandardCharsets.UTF_8));
            JsonNode answer = JSON.readTree(send("ebs", "GET", "/snapshots/" + second + "/changedblocks" + query, Map.of(),
                    new byte[0], false, 200));
            listed += answer.path("ChangedBlocks").size();
            next = answer.hasNonNull("NextToken") ? answer.path("NextToken").asText() : null;
        } while (next != null);
        return listed;
    }

    // ------------------------------------------------------------------ images

    /**
     * 10,000 images of one owner in us-east-1, set up before the server's cloud opens the root:
     * 10,000 registrations through the API rewrite the registry 10,000 times (quadratic), so one
     * image is registered and its record copied with fresh ids and names, the file written once
     * (behind the registry's back, which a cloud already holding the registry would not notice).
     */
    private static List<String> imageSetup(Path dir) throws Exception {
        String owner = "111122223333";
        try (Cloud cloud = Cloud.open(dir, new SimulatorBooter(1_000_000L))) {
            TenantStore store = cloud.store("us-east-1", owner);
            try (Volume v = store.createVolume("img", 1L << 30, VolumeOptions.defaults())) {
                v.write(0, MemorySegment.ofArray(new byte[4096]));
            }
            String snapshot = store.createSnapshot("img", "root").id();
            String template = cloud.registerImage(owner, "us-east-1", new Cloud.RegisterRequest("image-0", null, snapshot,
                    VirtualizationType.HVM, Architecture.X86_64, null, null, null, List.of())).imageId();
            Path registry = cloud.regionDir("us-east-1").resolve("registry.json");
            ObjectNode state = (ObjectNode) JSON.readTree(registry.toFile());
            ArrayNode images = (ArrayNode) state.path("images");
            JsonNode one = images.get(0);
            Random random = new Random(1);
            List<String> ids = new ArrayList<>(List.of(template));
            for (int i = 1; i < 10_000; i++) {
                ObjectNode copy = one.deepCopy();
                String id = String.format("ami-%016x%x", random.nextLong(), random.nextInt(16));
                copy.put("ImageId", id);
                copy.put("Name", "image-" + i);
                images.add(copy);
                ids.add(id);
            }
            JSON.writeValue(registry.toFile(), state);
            return ids;
        }
    }

    private void images(List<String> ids) throws Exception {
        Random random = new Random(1);
        describeImages("DescribeImages ImageId.1 (one image)", () -> "&ImageId.1=" + ids.get(random.nextInt(ids.size())), 1);
        describeImages("DescribeImages Owner.1=self MaxResults=1000", () -> "&Owner.1=self&MaxResults=1000", 1000);
        describeImages("DescribeImages Filter name=image-1234", () -> "&Filter.1.Name=name&Filter.1.Value.1=image-1234", 1);
    }

    private void describeImages(String what, java.util.function.Supplier<String> params, int expected) throws Exception {
        int n = 200;
        long[] nanos = new long[n];
        for (int i = -20; i < n; i++) {
            String body = "Action=DescribeImages&Version=2016-11-15" + params.get();
            long t0 = System.nanoTime();
            String answer = send("ec2", "POST", "/", Map.of("Content-Type", "application/x-www-form-urlencoded"),
                    body.getBytes(StandardCharsets.UTF_8), false, 200);
            long t = System.nanoTime() - t0;
            if (i >= 0) {
                nanos[i] = t;
            }
            int items = answer.split("<imageId>", -1).length - 1;
            if (items != expected) {
                throw new IllegalStateException(what + ": " + items + " images, expected " + expected);
            }
        }
        Arrays.sort(nanos);
        System.out.printf("%s, 10,000 images in the region, %d requests: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms%n", what, n,
                nanos[n / 2] / 1e6, nanos[n * 9 / 10] / 1e6, nanos[n * 99 / 100] / 1e6);
    }

    // ------------------------------------------------------------------ HTTP

    private String send(String service, String method, String target, Map<String, String> headers, byte[] body,
                        boolean unsignedPayload, int expectStatus) throws Exception {
        HttpResponse<byte[]> response = exchange(service, method, target, headers, body, unsignedPayload);
        String text = new String(response.body(), StandardCharsets.UTF_8);
        if (response.statusCode() != expectStatus) {
            throw new IllegalStateException(method + " " + target + ": HTTP " + response.statusCode() + ": " + text);
        }
        return text;
    }

    private HttpResponse<byte[]> exchange(String service, String method, String target, Map<String, String> headers, byte[] body,
                                          boolean unsignedPayload) throws Exception {
        SignedRequest signed = sign(service, method, target, headers, body, unsignedPayload);
        HttpRequest.Builder out = HttpRequest.newBuilder(URI.create(signed.request().getUri().toString()
                        .replaceFirst("^https:", "http:")))
                .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        signed.request().headers().forEach((k, vs) -> {
            if (!SET_BY_CLIENT.contains(k.toLowerCase(java.util.Locale.ROOT))) {
                vs.forEach(v -> out.header(k, v));
            }
        });
        return clients.get().send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The path and query of a signed request as the signer encoded them (what its signature covers). */
    private static String wireTarget(SignedRequest signed) {
        URI uri = signed.request().getUri();
        return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    /** The request signed by the AWS SDK's SigV4 signer (Host included in its headers). */
    private SignedRequest sign(String service, String method, String target, Map<String, String> headers, byte[] body,
                               boolean unsignedPayload) {
        // the SDK signs the payload of any http request, so an unsigned one is signed as HTTPS clients sign it
        String signedEndpoint = unsignedPayload ? endpoint.replaceFirst("^http:", "https:") : endpoint;
        SdkHttpRequest.Builder request = SdkHttpRequest.builder().method(SdkHttpMethod.fromValue(method))
                .uri(URI.create(signedEndpoint + target));
        headers.forEach(request::putHeader);
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
                .identity(AwsCredentialsIdentity.create(key.accessKeyId(), key.secretAccessKey()))
                .request(request.build())
                .payload(ContentStreamProvider.fromByteArrayUnsafe(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, !unsignedPayload));
        return signed;
    }
}
