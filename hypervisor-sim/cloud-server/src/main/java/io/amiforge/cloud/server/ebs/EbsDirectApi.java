package io.amiforge.cloud.server.ebs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.server.auth.Caller;
import io.amiforge.cloud.server.http.ApiException;
import io.amiforge.cloud.server.http.ApiRequest;
import io.amiforge.cloud.server.http.ApiResponse;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.TenantStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * The EBS direct API (rest-json): StartSnapshot, PutSnapshotBlock, CompleteSnapshot,
 * GetSnapshotBlock, ListSnapshotBlocks and ListChangedBlocks, over the same snapshot stores as
 * the EC2 API and the CLI. An upload writes 512 KiB blocks into a volume of the caller's; on
 * CompleteSnapshot that volume is snapshotted under the id StartSnapshot announced and
 * deleted, so the result is an ordinary snapshot (DescribeSnapshots, RegisterImage, launch).
 * Snapshots made elsewhere are read in 512 KiB blocks whatever their store block size.
 *
 * <p>Pending uploads are saved in the store ({@link PendingUploads}): a server started on the
 * same root continues them, or ends them in error if their Timeout passed meanwhile. Thread-safe.
 */
public final class EbsDirectApi implements AutoCloseable {

    /** EBS direct's one block size. */
    public static final int BLOCK_SIZE = 512 * 1024;
    /** How long listed block tokens stay valid (AWS: 7 days). */
    static final Duration TOKEN_LIFETIME = Duration.ofDays(7);
    private static final String VOLUME_PREFIX = "ebs-direct-";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();

    private final Cloud cloud;
    private final Clock clock;
    private final BlockTokens tokens = new BlockTokens();
    private final PendingUploads uploads;
    private final SnapshotReaders readers = new SnapshotReaders();
    private final BlockDigests digests = new BlockDigests();
    private final BlockBuffers buffers = new BlockBuffers(BLOCK_SIZE);
    private final Map<String, UploadSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, String> clientTokens = new ConcurrentHashMap<>();
    private final Map<String, Roaring64Bitmap> blockSets = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Roaring64Bitmap> eldest) {
                    return size() > 64;
                }
            });

    /**
     * Serves EBS direct over {@code cloud}, taking up the uploads a server on the same root left
     * pending (an upload whose volume another live process has open is left to it).
     */
    public EbsDirectApi(Cloud cloud, Clock clock) {
        this.cloud = cloud;
        this.clock = clock;
        this.uploads = new PendingUploads(cloud.root());
        for (PendingUploads.Found found : uploads.all()) {
            try {
                resume(found);
            } catch (RuntimeException ignored) {
                // one saved upload that cannot be taken up (a region or account its record names wrongly, a store
                // error) must not keep the server from starting: its files stay untouched and it is not served
            }
        }
    }

    /** Takes up one saved upload: pending again, completed after all, or in error (timed out, damaged, volume gone). */
    private void resume(PendingUploads.Found found) {
        PendingUploads.Saved saved = found.saved();
        if (saved == null) {
            return; // no record (StartSnapshot died before answering): nobody was told of this snapshot
        }
        TenantStore store = cloud.store(saved.region(), saved.account());
        if (saved.failure() == null && store.listSnapshots().stream().anyMatch(i -> i.id().equals(saved.snapshotId()))) {
            // CompleteSnapshot made the snapshot and died before tidying up
            if (store.listVolumes().stream().anyMatch(v -> v.name().equals(saved.volumeName()))) {
                store.deleteVolume(saved.volumeName());
            }
            uploads.remove(saved.region(), saved.snapshotId());
            return;
        }
        UploadSession session;
        if (saved.failure() != null) {
            session = UploadSession.of(saved, null, null);
        } else {
            Volume volume;
            try {
                volume = store.openVolume(saved.volumeName());
            } catch (AmiforgeException e) {
                if ("StoreLocked".equals(e.code())) {
                    return; // another server process has it
                }
                session = UploadSession.of(saved, null, null);
                fail(session, "its volume " + saved.volumeName() + " cannot be opened: " + e.getMessage());
                register(session);
                return;
            }
            session = UploadSession.of(saved, volume, uploads.log(saved.region(), saved.snapshotId()));
            session.digests.putAll(found.digests());
            long outside = found.digests().keySet().stream().filter(b -> b >= session.blockCount()).count();
            if (found.problem() != null || outside > 0) {
                register(session);
                fail(session, found.problem() != null ? found.problem()
                        : "its block log names " + outside + " blocks beyond the volume's end");
                return;
            }
        }
        register(session);
        if (session.status == UploadSession.Status.PENDING && clock.instant().isAfter(session.deadline)) {
            abort(session);
        }
    }

    private void register(UploadSession session) {
        if (session.failure != null) {
            session.status = UploadSession.Status.ERROR;
        }
        sessions.put(session.snapshotId, session);
        if (session.clientToken != null) {
            clientTokens.put(session.account + '/' + session.region + '/' + session.clientToken, session.snapshotId);
        }
    }

    /** Whether {@code rawPath} is one of EBS direct's ({@code /snapshots...}). */
    public static boolean handles(String rawPath) {
        return rawPath.equals("/snapshots") || rawPath.startsWith("/snapshots/");
    }

    /** Whether a volume name is that of an upload in progress (hidden from DescribeVolumes). */
    public static boolean isUploadVolume(String volumeName) {
        return volumeName.startsWith(VOLUME_PREFIX);
    }

    /**
     * The caller's uploads in progress in its region, as snapshots (size, description, start
     * time, tags; no blocks counted), for DescribeSnapshots to show as {@code pending}.
     */
    public List<SnapshotInfo> pending(Caller caller) {
        List<SnapshotInfo> out = new ArrayList<>();
        for (UploadSession s : sessions.values()) {
            if (s.status == UploadSession.Status.PENDING && clock.instant().isAfter(s.deadline)) {
                abort(s);
            }
            if (s.account.equals(caller.account()) && s.region.equals(caller.region()) && s.status == UploadSession.Status.PENDING) {
                Map<String, String> tags = new LinkedHashMap<>();
                s.tags.forEach(t -> tags.put("tag:" + t.getKey(), t.getValue()));
                out.add(new SnapshotInfo(s.snapshotId, s.volumeName, s.parentSnapshotId, s.volumeSizeGiB << 30, BLOCK_SIZE,
                        s.description == null ? "" : s.description, s.startTime, s.digests.size(), tags, s.account, List.of()));
            }
        }
        return out;
    }

    /** Answers one request of {@code caller}; throws {@link ApiException} with EBS direct's error. */
    public ApiResponse handle(ApiRequest request, Caller caller) {
        String[] p = request.rawPath().substring(1).split("/", -1);
        String method = request.method();
        try {
            if (p.length == 1 && method.equals("POST")) {
                return startSnapshot(request, caller);
            }
            if (p.length == 3 && p[1].equals("completion") && method.equals("POST")) {
                return completeSnapshot(request, caller, p[2]);
            }
            if (p.length == 4 && p[2].equals("blocks") && method.equals("PUT")) {
                return putBlock(request, caller, p[1], blockIndex(p[3]));
            }
            if (p.length == 4 && p[2].equals("blocks") && method.equals("GET")) {
                return getBlock(request, caller, p[1], blockIndex(p[3]));
            }
            if (p.length == 3 && p[2].equals("blocks") && method.equals("GET")) {
                return listSnapshotBlocks(request, caller, p[1]);
            }
            if (p.length == 3 && p[2].equals("changedblocks") && method.equals("GET")) {
                return listChangedBlocks(request, caller, p[1]);
            }
        } catch (AmiforgeException e) {
            throw EbsErrors.of(e);
        }
        throw new ApiException(404, "UnknownOperationException", "EBS direct has no operation " + method + " " + request.rawPath());
    }

    // ------------------------------------------------------------------ writing

    private ApiResponse startSnapshot(ApiRequest request, Caller caller) {
        JsonNode body = parseJson(request);
        long sizeGiB = body.path("VolumeSize").asLong(-1);
        if (!body.path("VolumeSize").isIntegralNumber() || sizeGiB < 1 || sizeGiB > 65536) {
            throw EbsErrors.validation("INVALID_VOLUME_SIZE", "VolumeSize must be a whole number of GiB from 1 to 65536, not "
                    + body.path("VolumeSize"));
        }
        String parent = text(body, "ParentSnapshotId");
        String description = text(body, "Description");
        if (description != null && description.length() > 255) {
            throw EbsErrors.validation("INVALID_PARAMETER_VALUE", "Description is longer than 255 characters");
        }
        String clientToken = text(body, "ClientToken");
        long timeoutMinutes = body.has("Timeout") ? body.path("Timeout").asLong(-1) : 60;
        if (timeoutMinutes < 10 || timeoutMinutes > 4320) {
            throw EbsErrors.validation("INVALID_PARAMETER_VALUE", "Timeout must be 10 to 4320 minutes, not " + body.path("Timeout"));
        }
        List<Map.Entry<String, String>> tags = new ArrayList<>();
        for (JsonNode tag : body.path("Tags")) {
            String key = text(tag, "Key");
            if (key == null || key.isEmpty() || key.length() > 127 || key.startsWith("aws:")) {
                throw EbsErrors.validation("INVALID_TAG", "tag key '" + key + "' must be 1 to 127 characters, not starting aws:");
            }
            String value = text(tag, "Value");
            tags.add(Map.entry(key, value == null ? "" : value));
        }
        if (clientToken != null) {
            String earlier = clientTokens.get(caller.account() + '/' + caller.region() + '/' + clientToken);
            UploadSession session = earlier == null ? null : sessions.get(earlier);
            if (session != null) {
                if (session.volumeSizeGiB != sizeGiB || !java.util.Objects.equals(session.parentSnapshotId, parent)) {
                    throw new ApiException(400, "ValidationException", "ClientToken " + clientToken
                            + " was used by another StartSnapshot with different parameters", "INVALID_PARAMETER_VALUE");
                }
                return started(session);
            }
        }
        TenantStore store = cloud.store(caller.region(), caller.account());
        String snapshotId = SnapshotStore.newSnapshotId();
        String volumeName = VOLUME_PREFIX + snapshotId;
        long sizeBytes = sizeGiB << 30;
        Volume volume;
        if (parent != null) {
            SnapshotInfo parentInfo;
            try {
                parentInfo = store.snapshot(parent);
                store.blocks(parent); // the caller must own it, not merely be permitted to clone it
            } catch (AmiforgeException e) {
                if (e.kind() == AmiforgeException.Kind.NOT_FOUND) {
                    throw new ApiException(404, "ResourceNotFoundException", "The parent snapshot " + parent
                            + " does not exist or is not yours", "DEPENDENCY_RESOURCE_NOT_FOUND");
                }
                throw e;
            }
            if (parentInfo.size() != sizeBytes) {
                throw EbsErrors.validation("INVALID_VOLUME_SIZE", "VolumeSize " + sizeGiB + " GiB differs from the parent "
                        + parent + "'s size of " + parentInfo.size() + " bytes (amiforge does not grow a volume on upload)");
            }
            volume = store.cloneVolume(parent, volumeName);
        } else {
            volume = store.createVolume(volumeName, sizeBytes, VolumeOptions.defaults().blockSize(BLOCK_SIZE));
        }
        Instant now = clock.instant();
        UploadSession session;
        BlockLog log = null;
        try {
            log = uploads.log(caller.region(), snapshotId);
            session = new UploadSession(snapshotId, caller.account(), caller.region(), volumeName, volume, log, sizeGiB, parent,
                    description, tags, clientToken, now, now.plus(Duration.ofMinutes(timeoutMinutes)));
            uploads.save(session.saved());
        } catch (RuntimeException e) {
            if (log != null) {
                log.close();
            }
            volume.close();
            store.deleteVolume(volumeName);
            uploads.remove(caller.region(), snapshotId);
            throw e;
        }
        register(session);
        return started(session);
    }

    private static ApiResponse started(UploadSession s) {
        ObjectNode out = JSON.createObjectNode();
        out.put("SnapshotId", s.snapshotId);
        out.put("OwnerId", s.account);
        out.put("Status", "pending");
        out.put("StartTime", s.startTime.getEpochSecond() + s.startTime.getNano() / 1e9);
        out.put("VolumeSize", s.volumeSizeGiB);
        out.put("BlockSize", BLOCK_SIZE);
        if (s.description != null) {
            out.put("Description", s.description);
        }
        if (s.parentSnapshotId != null) {
            out.put("ParentSnapshotId", s.parentSnapshotId);
        }
        ArrayNode tags = out.putArray("Tags");
        s.tags.forEach(t -> tags.addObject().put("Key", t.getKey()).put("Value", t.getValue()));
        out.put("SseType", "none");
        return ApiResponse.text(201, "application/json", out.toString());
    }

    /** The caller's pending upload {@code snapshotId}, or the error EBS direct gives. */
    private UploadSession session(String snapshotId, Caller caller) {
        UploadSession s = sessions.get(snapshotId);
        if (s == null || !s.account.equals(caller.account()) || !s.region.equals(caller.region())) {
            throw EbsErrors.notFound("The snapshot '" + snapshotId + "' does not exist or is not being written");
        }
        if (s.status == UploadSession.Status.PENDING && clock.instant().isAfter(s.deadline)) {
            abort(s);
        }
        if (s.status != UploadSession.Status.PENDING) {
            throw EbsErrors.validation("INVALID_SNAPSHOT_ID", "snapshot " + snapshotId + " is " + s.status.name().toLowerCase(java.util.Locale.ROOT)
                    + (s.status == UploadSession.Status.ERROR ? " (" + s.failure + ")" : "")
                    + ": blocks can be written only while it is pending");
        }
        return s;
    }

    private ApiResponse putBlock(ApiRequest request, Caller caller, String snapshotId, long index) {
        UploadSession s = session(snapshotId, caller);
        if (index >= s.blockCount()) {
            throw EbsErrors.validation("INVALID_BLOCK", "BlockIndex " + index + " is beyond the volume's last block "
                    + (s.blockCount() - 1) + " (" + s.volumeSizeGiB + " GiB of 512 KiB blocks)");
        }
        String lengthHeader = request.header("x-amz-Data-Length");
        if (lengthHeader == null || !lengthHeader.equals(Integer.toString(BLOCK_SIZE)) || request.bodyLength() != BLOCK_SIZE) {
            throw EbsErrors.validation("INVALID_BLOCK", "a block must be exactly " + BLOCK_SIZE + " bytes: x-amz-Data-Length is "
                    + lengthHeader + " and the body has " + request.bodyLength());
        }
        String algorithm = request.header("x-amz-Checksum-Algorithm");
        if (!"SHA256".equals(algorithm)) {
            throw EbsErrors.validation("INVALID_PARAMETER_VALUE", "x-amz-Checksum-Algorithm must be SHA256, not " + algorithm);
        }
        String checksum = request.header("x-amz-Checksum");
        byte[] digest = request.bodySha256();
        if (checksum == null || !MessageDigest.isEqual(checksum.getBytes(StandardCharsets.US_ASCII),
                B64.encode(digest))) {
            throw EbsErrors.validation("INVALID_PARAMETER_VALUE", "x-amz-Checksum " + checksum
                    + " is not the SHA-256 of the block's data (" + B64.encodeToString(digest) + ")");
        }
        String progress = request.header("x-amz-Progress");
        if (progress != null && !progress.matches("\\d{1,3}") || progress != null && Integer.parseInt(progress) > 100) {
            throw EbsErrors.validation("INVALID_PARAMETER_VALUE", "x-amz-Progress must be 0 to 100, not " + progress);
        }
        s.volume.write(index * BLOCK_SIZE, MemorySegment.ofBuffer(request.body()));
        s.log.append(index, digest);
        s.digests.put(index, digest);
        return new ApiResponse(201, "application/json", Map.of("x-amz-Checksum", checksum, "x-amz-Checksum-Algorithm", "SHA256"),
                ByteBuffer.allocate(0));
    }

    private ApiResponse completeSnapshot(ApiRequest request, Caller caller, String snapshotId) {
        UploadSession s = session(snapshotId, caller);
        String countHeader = request.header("x-amz-ChangedBlocksCount");
        long count;
        try {
            count = Long.parseLong(countHeader);
        } catch (NumberFormatException e) {
            throw EbsErrors.validation("INVALID_PARAMETER_VALUE", "x-amz-ChangedBlocksCount '" + countHeader + "' is not a number");
        }
        if (count != s.digests.size()) {
            throw EbsErrors.validation("INVALID_PARAMETER_VALUE", "ChangedBlocksCount is " + count + " but "
                    + s.digests.size() + " distinct blocks were written to " + snapshotId);
        }
        String checksum = request.header("x-amz-Checksum");
        if (checksum != null) {
            String algorithm = request.header("x-amz-Checksum-Algorithm");
            String method = request.header("x-amz-Checksum-Aggregation-Method");
            if (!"SHA256".equals(algorithm) || !"LINEAR".equals(method)) {
                throw EbsErrors.validation("INVALID_PARAMETER_VALUE", "an aggregated checksum needs x-amz-Checksum-Algorithm "
                        + "SHA256 and x-amz-Checksum-Aggregation-Method LINEAR, not " + algorithm + " and " + method);
            }
            String expected = B64.encodeToString(linearChecksum(s));
            if (!expected.equals(checksum)) {
                throw EbsErrors.validation("INVALID_PARAMETER_VALUE", "the aggregated checksum " + checksum
                        + " is not that of the blocks written (" + expected + ", SHA-256 over their SHA-256s in block order)");
            }
        }
        synchronized (s) {
            if (s.status != UploadSession.Status.PENDING) {
                throw EbsErrors.conflict("snapshot " + snapshotId + " is already " + s.status);
            }
            s.status = UploadSession.Status.COMPLETING;
        }
        TenantStore store = cloud.store(s.region, s.account);
        try {
            s.volume.flush();
            s.volume.close();
            store.createSnapshot(s.volumeName, s.description == null ? "" : s.description, s.snapshotId);
            for (Map.Entry<String, String> tag : s.tags) {
                store.setSnapshotAttribute(s.snapshotId, "tag:" + tag.getKey(), tag.getValue());
            }
            digests.putAll(digestKey(store, s.snapshotId), s.digests);
            store.deleteVolume(s.volumeName);
            s.log.close();
            uploads.remove(s.region, s.snapshotId);
            s.status = UploadSession.Status.COMPLETED;
        } catch (RuntimeException e) {
            s.status = UploadSession.Status.ERROR;
            s.failure = "CompleteSnapshot failed: " + e.getMessage();
            saveQuietly(s);
            throw e;
        } finally {
            sessions.remove(s.snapshotId);
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("Status", "completed");
        return ApiResponse.text(202, "application/json", out.toString());
    }

    /** SHA-256 over the blocks' SHA-256s in ascending block order (EBS direct's LINEAR aggregation). */
    private static byte[] linearChecksum(UploadSession s) {
        MessageDigest digest = sha256();
        s.digests.values().forEach(digest::update);
        return digest.digest();
    }

    /** Ends a pending upload whose Timeout passed: its volume and block log are deleted, the record says why. */
    private void abort(UploadSession s) {
        fail(s, "its Timeout passed at " + s.deadline + " before CompleteSnapshot");
    }

    private void fail(UploadSession s, String why) {
        synchronized (s) {
            if (s.status == UploadSession.Status.COMPLETING || s.status == UploadSession.Status.COMPLETED) {
                return;
            }
            s.status = UploadSession.Status.ERROR;
            if (s.failure == null) {
                s.failure = why;
            }
        }
        try {
            if (s.log != null) {
                s.log.close();
            }
            if (s.volume != null) {
                s.volume.close();
                cloud.store(s.region, s.account).deleteVolume(s.volumeName);
            }
        } catch (RuntimeException ignored) {
            // the volume is named ebs-direct-SNAPSHOT and can be deleted by hand; the session is over either way
        }
        saveQuietly(s);
    }

    /** Saves an ended session's record (so a restarted server still answers that it is in error), best effort. */
    private void saveQuietly(UploadSession s) {
        try {
            uploads.save(s.saved());
        } catch (RuntimeException ignored) {
            // the answer does not depend on it; a restarted server finds the volume gone and ends the upload in error again
        }
    }

    // ------------------------------------------------------------------ reading

    private ApiResponse getBlock(ApiRequest request, Caller caller, String snapshotId, long index) {
        String token = request.queryParam("blockToken");
        if (token == null || !tokens.valid(token, caller.account(), snapshotId, index, clock.instant())) {
            throw EbsErrors.validation("INVALID_BLOCK_TOKEN", "the block token of block " + index + " of " + snapshotId
                    + " is missing, expired or not one ListSnapshotBlocks or ListChangedBlocks gave this account for it");
        }
        TenantStore store = cloud.store(caller.region(), caller.account());
        ByteBuffer data = buffers.take();
        byte[] digest;
        try {
            try {
                readBlock(readers.open(store, snapshotId), snapshotId, index, data);
            } catch (ApiException e) {
                throw e;
            } catch (RuntimeException e) {
                // a kept device of a snapshot deleted meanwhile, or the store's own error: open afresh once
                readers.forget(store, snapshotId);
                readBlock(store.openSnapshot(snapshotId), snapshotId, index, data);
            }
            String key = digestKey(store, snapshotId);
            digest = digests.get(key, index);
            if (digest == null) {
                MessageDigest sha = sha256();
                sha.update(data.duplicate());
                digest = sha.digest();
                digests.put(key, index, digest);
            }
        } catch (RuntimeException e) {
            buffers.give(data);
            throw e;
        }
        return new ApiResponse(200, "application/octet-stream", Map.of("x-amz-Data-Length", Integer.toString(BLOCK_SIZE),
                "x-amz-Checksum", B64.encodeToString(digest), "x-amz-Checksum-Algorithm", "SHA256"), data,
                () -> buffers.give(data));
    }

    /** The key of a snapshot's digests: its store directory (one per region and store) and id. */
    private static String digestKey(TenantStore store, String snapshotId) {
        return store.directory() + "/" + snapshotId;
    }

    private static void readBlock(BlockDevice device, String snapshotId, long index, ByteBuffer into) {
        long offset = index * BLOCK_SIZE;
        long length = Math.min(BLOCK_SIZE, device.size() - offset);
        if (length <= 0) {
            throw EbsErrors.validation("INVALID_BLOCK", "block " + index + " is beyond the end of " + snapshotId);
        }
        device.read(offset, MemorySegment.ofBuffer(into).asSlice(0, length));
    }

    /** Tells GetSnapshotBlock that {@code snapshotId} of the caller's was deleted (its kept device is dropped). */
    public void snapshotDeleted(Caller caller, String snapshotId) {
        TenantStore store = cloud.store(caller.region(), caller.account());
        readers.forget(store, snapshotId);
        digests.forget(digestKey(store, snapshotId));
    }

    private ApiResponse listSnapshotBlocks(ApiRequest request, Caller caller, String snapshotId) {
        TenantStore store = cloud.store(caller.region(), caller.account());
        SnapshotInfo info = store.snapshot(snapshotId);
        Roaring64Bitmap blocks = allBlocks(store, info);
        Page page = page(request, blocks);
        Instant expiry = clock.instant().plus(TOKEN_LIFETIME);
        BlockTokens.Issuer issuer = tokens.issuer(expiry);
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = out.putArray("Blocks");
        for (long block : page.blocks) {
            list.addObject().put("BlockIndex", block).put("BlockToken", issuer.issue(caller.account(), snapshotId, block));
        }
        return listAnswer(out, page, expiry, info);
    }

    private ApiResponse listChangedBlocks(ApiRequest request, Caller caller, String secondId) {
        TenantStore store = cloud.store(caller.region(), caller.account());
        SnapshotInfo second = store.snapshot(secondId);
        String firstId = request.queryParam("firstSnapshotId");
        Roaring64Bitmap secondBlocks = allBlocks(store, second);
        Roaring64Bitmap firstBlocks = null;
        Roaring64Bitmap changed;
        if (firstId == null) {
            changed = secondBlocks;
        } else {
            SnapshotInfo first = store.snapshot(firstId);
            if (first.size() != second.size()) {
                throw EbsErrors.validation("UNRELATED_SNAPSHOTS", "snapshots " + firstId + " and " + secondId
                        + " have different volume sizes");
            }
            firstBlocks = allBlocks(store, first);
            String key = store.account().value() + '/' + store.directory() + '/' + firstId + ".." + secondId;
            changed = blockSets.get(key);
            if (changed == null) {
                changed = first.id().equals(second.id()) ? new Roaring64Bitmap() : diff(store, first, second);
                blockSets.put(key, changed);
            }
        }
        Page page = page(request, changed);
        Instant expiry = clock.instant().plus(TOKEN_LIFETIME);
        BlockTokens.Issuer issuer = tokens.issuer(expiry);
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = out.putArray("ChangedBlocks");
        for (long block : page.blocks) {
            ObjectNode entry = list.addObject().put("BlockIndex", block);
            if (firstBlocks != null && firstBlocks.contains(block)) {
                entry.put("FirstBlockToken", issuer.issue(caller.account(), firstId, block));
            }
            if (secondBlocks.contains(block)) {
                entry.put("SecondBlockToken", issuer.issue(caller.account(), secondId, block));
            }
        }
        return listAnswer(out, page, expiry, second);
    }

    private static ApiResponse listAnswer(ObjectNode out, Page page, Instant expiry, SnapshotInfo info) {
        out.put("ExpiryTime", (double) expiry.getEpochSecond());
        out.put("VolumeSize", Math.ceilDiv(info.size(), 1L << 30));
        out.put("BlockSize", BLOCK_SIZE);
        if (page.next >= 0) {
            out.put("NextToken", B64.encodeToString(("next:" + page.next).getBytes(StandardCharsets.US_ASCII)));
        }
        return ApiResponse.text(200, "application/json", out.toString());
    }

    private record Page(long[] blocks, long next) {
    }

    /** The slice of {@code blocks} that StartingBlockIndex / NextToken / MaxResults select. */
    private static Page page(ApiRequest request, Roaring64Bitmap blocks) {
        long start = 0;
        String startText = request.queryParam("startingBlockIndex");
        if (startText != null) {
            start = nonNegative(startText, "StartingBlockIndex");
        }
        String token = request.queryParam("pageToken");
        if (token != null) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(token), StandardCharsets.US_ASCII);
            } catch (IllegalArgumentException e) {
                decoded = "";
            }
            if (!decoded.matches("next:\\d{1,18}")) {
                throw EbsErrors.validation("INVALID_PAGE_TOKEN", "NextToken '" + token + "' is not one this API gave out");
            }
            start = Math.max(start, Long.parseLong(decoded.substring(5)));
        }
        int max = 10000;
        String maxText = request.queryParam("maxResults");
        if (maxText != null) {
            long m = nonNegative(maxText, "MaxResults");
            if (m < 100 || m > 10000) {
                throw EbsErrors.validation("INVALID_PARAMETER_VALUE", "MaxResults must be 100 to 10000, not " + m);
            }
            max = (int) m;
        }
        long[] out = new long[max];
        int n = 0;
        var it = blocks.getLongIterator();
        // Roaring64Bitmap iterates ascending; skip below start by advancing
        if (start > 0) {
            it = blocks.getLongIteratorFrom(start);
        }
        while (it.hasNext() && n < max) {
            out[n++] = it.next();
        }
        long next = it.hasNext() ? it.next() : -1;
        return new Page(java.util.Arrays.copyOf(out, n), next);
    }

    /**
     * Every block of the snapshot (its layer and its ancestors'), in 512 KiB block indices;
     * cached per snapshot, ancestors included (snapshots are immutable).
     */
    private Roaring64Bitmap allBlocks(TenantStore store, SnapshotInfo info) {
        String key = store.account().value() + '/' + store.directory() + '/' + info.id();
        Roaring64Bitmap cached = blockSets.get(key);
        if (cached != null) {
            return cached;
        }
        Roaring64Bitmap all = layerBlocks(store, info);
        if (info.parentId() != null) {
            all = Roaring64Bitmap.or(all, allBlocks(store, store.snapshot(info.parentId())));
        }
        blockSets.put(key, all);
        return all;
    }

    /** The blocks of the snapshot's own layer (written since its parent), in 512 KiB block indices; cached. */
    private Roaring64Bitmap layerBlocks(TenantStore store, SnapshotInfo info) {
        String key = store.account().value() + '/' + store.directory() + '/' + info.id() + "/layer";
        Roaring64Bitmap cached = blockSets.get(key);
        if (cached == null) {
            cached = toEbsBlocks(store.blocks(info.id()).bitmap(), info.blockSize());
            blockSets.put(key, cached);
        }
        return cached;
    }

    /**
     * The blocks that differ between two snapshots of one lineage: when one descends from the
     * other, the union of the layers between them (the same layers {@link #allBlocks} has read, so
     * a first listing scans each layer once); otherwise the store says they are unrelated.
     */
    private Roaring64Bitmap diff(TenantStore store, SnapshotInfo first, SnapshotInfo second) {
        if (first.blockSize() != second.blockSize()) {
            throw EbsErrors.validation("UNRELATED_SNAPSHOTS", "snapshots " + first.id() + " and " + second.id()
                    + " have different block sizes");
        }
        Roaring64Bitmap between = layersBetween(store, second, first.id());
        if (between == null) {
            between = layersBetween(store, first, second.id());
        }
        if (between != null) {
            return between;
        }
        try {
            return toEbsBlocks(store.diff(first.id(), second.id()).bitmap(), second.blockSize());
        } catch (AmiforgeException e) {
            if ("InvalidSnapshot.Unrelated".equals(e.code())) {
                throw EbsErrors.validation("UNRELATED_SNAPSHOTS", e.getMessage());
            }
            throw e;
        }
    }

    /** The union of the layers from {@code from} up its lineage to (excluding) {@code ancestor}; null if it is not one. */
    private Roaring64Bitmap layersBetween(TenantStore store, SnapshotInfo from, String ancestor) {
        Roaring64Bitmap union = new Roaring64Bitmap();
        Set<String> seen = new HashSet<>();
        for (SnapshotInfo s = from; s != null && seen.add(s.id()); s = s.parentId() == null ? null : store.snapshot(s.parentId())) {
            if (s.id().equals(ancestor)) {
                return union;
            }
            union.or(layerBlocks(store, s));
        }
        return null;
    }

    /** Store blocks of {@code blockSize} bytes as 512 KiB block indices. */
    private static Roaring64Bitmap toEbsBlocks(Roaring64Bitmap storeBlocks, int blockSize) {
        if (blockSize == BLOCK_SIZE) {
            return storeBlocks;
        }
        int shift = Integer.numberOfTrailingZeros(BLOCK_SIZE / blockSize);
        Roaring64Bitmap out = new Roaring64Bitmap();
        storeBlocks.forEach(b -> out.addLong(b >>> shift));
        return out;
    }

    // ------------------------------------------------------------------ parsing

    private static long blockIndex(String text) {
        return nonNegative(text, "BlockIndex");
    }

    private static long nonNegative(String text, String name) {
        if (!text.matches("\\d{1,18}")) {
            throw EbsErrors.validation("INVALID_PARAMETER_VALUE", name + " '" + text + "' is not a non-negative integer");
        }
        return Long.parseLong(text);
    }

    private static JsonNode parseJson(ApiRequest request) {
        try {
            JsonNode node = JSON.readTree(request.bodyText());
            if (node == null || !node.isObject()) {
                throw new ApiException(400, "SerializationException", "the request body is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "SerializationException", "the request body is not valid JSON: "
                    + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr());
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new ApiException(400, "SerializationException", field + " must be a string, not " + value.getNodeType());
        }
        return value.asText();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is unavailable", e);
        }
    }

    /**
     * Stops serving: every pending upload's volume and block log are made durable and closed; the
     * uploads stay saved for the next server on this root.
     */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (UploadSession s : List.copyOf(sessions.values())) {
            if (s.status != UploadSession.Status.PENDING) {
                continue;
            }
            try {
                s.volume.flush();
                s.volume.close();
                s.log.force();
                s.log.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        sessions.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
