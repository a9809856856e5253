package io.amiforge.cloud.server.ec2;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cloud.Region;
import io.amiforge.cloud.server.ebs.EbsDirectApi;
import io.amiforge.cloud.server.http.ApiException;
import io.amiforge.cloud.shape.Gib;
import io.amiforge.cloud.shape.SnapshotShape;
import io.amiforge.cloud.shape.VolumeShape;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.TenantStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeInfo;
import io.amiforge.store.VolumeOptions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The EBS actions of the EC2 API: CreateVolume, DescribeVolumes, DeleteVolume, CreateSnapshot,
 * DescribeSnapshots, DeleteSnapshot, Describe/ModifySnapshotAttribute (createVolumePermission).
 * Volumes are the caller's store volumes (ids {@code vol-}); snapshots its store snapshots and
 * those shared with it. A volume being written through EBS direct is not shown.
 */
final class StorageActions {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long GIB = Gib.BYTES;

    private static final Map<String, Function<SnapshotInfo, List<String>>> SNAPSHOT_FILTERS = Map.of(
            "snapshot-id", s -> List.of(s.id()),
            "owner-id", s -> List.of(s.ownerId()),
            "status", _ -> List.of("completed"),
            "description", s -> List.of(s.description()),
            "volume-size", s -> List.of(Long.toString(Gib.ceil(s.size()))));

    private static final Map<String, Function<VolumeInfo, List<String>>> VOLUME_FILTERS = Map.of(
            "volume-id", v -> List.of(v.id()),
            "status", v -> List.of(v.attachedTo() == null ? "available" : "in-use"),
            "attachment.instance-id", v -> v.attachedTo() == null ? List.of() : List.of(v.attachedTo()),
            "snapshot-id", v -> v.parentSnapshotId() == null ? List.of() : List.of(v.parentSnapshotId()),
            "size", v -> List.of(Long.toString(Gib.ceil(v.size()))));

    private StorageActions() {
    }

    // ------------------------------------------------------------------ volumes

    static XmlWriter createVolume(Ec2Call call) {
        Ec2Params p = call.params();
        String snapshot = p.get("SnapshotId");
        if (snapshot != null) {
            Ids.snapshot(snapshot);
        }
        int size = p.integer("Size", 1, 65536, 0);
        if (snapshot == null && size == 0) {
            throw new ApiException(400, "MissingParameter", "The request must contain the parameter Size or SnapshotId");
        }
        String zone = Region.named(call.region()).zone(p.required("AvailabilityZone"));
        call.dryRunStop();
        TenantStore store = call.store();
        String name = "ec2-" + HexFormat.of().formatHex(RANDOM.generateSeed(8));
        Volume volume;
        if (snapshot != null) {
            SnapshotInfo info = store.snapshot(snapshot);
            if (size != 0 && (long) size * GIB != info.size()) {
                throw new ApiException(400, "InvalidParameterValue", "Size " + size + " GiB differs from snapshot " + snapshot
                        + "'s " + info.size() + " bytes: amiforge does not resize volumes created from snapshots");
            }
            volume = store.cloneVolume(snapshot, name);
        } else {
            volume = store.createVolume(name, size * GIB, VolumeOptions.defaults());
        }
        volume.close();
        VolumeInfo info = store.volume(name);
        XmlWriter w = call.response();
        volumeFields(w, VolumeShape.of(info, zone));
        return w;
    }

    private static void volumeFields(XmlWriter w, VolumeShape v) {
        w.element("volumeId", v.volumeId()).element("size", v.size()).element("snapshotId", v.snapshotId())
                .element("availabilityZone", v.availabilityZone()).element("status", v.state())
                .element("createTime", v.createTime()).element("volumeType", v.volumeType()).element("encrypted", v.encrypted())
                .element("multiAttachEnabled", v.multiAttachEnabled());
    }

    static XmlWriter describeVolumes(Ec2Call call) {
        Ec2Params p = call.params();
        List<String> ids = p.list("VolumeId");
        ids.forEach(Ids::volume);
        Map<String, List<String>> filters = p.filters();
        call.dryRunStop();
        List<VolumeInfo> volumes = call.store().listVolumes().stream()
                .filter(v -> !EbsDirectApi.isUploadVolume(v.name())).toList();
        for (String id : ids) {
            if (volumes.stream().noneMatch(v -> v.id().equals(id))) {
                throw volumeNotFound(id);
            }
        }
        if (!ids.isEmpty()) {
            volumes = volumes.stream().filter(v -> ids.contains(v.id())).toList();
        }
        volumes = Pages.filter(volumes, filters, VOLUME_FILTERS);
        Pages.Page<VolumeInfo> page = ids.isEmpty() ? Pages.page(volumes, p, 5, 500) : new Pages.Page<>(volumes, null);
        String zone = Region.named(call.region()).zone(null);
        XmlWriter w = call.response().start("volumeSet");
        for (VolumeInfo info : page.items()) {
            VolumeShape v = VolumeShape.of(info, zone);
            w.start("item");
            volumeFields(w, v);
            w.start("attachmentSet");
            for (VolumeShape.Attachment a : v.attachments()) {
                w.start("item").element("volumeId", a.volumeId()).element("instanceId", a.instanceId())
                        .element("device", a.device()).element("status", a.state()).end();
            }
            w.end().end();
        }
        return w.end().element("nextToken", page.nextToken());
    }

    static XmlWriter deleteVolume(Ec2Call call) {
        String id = Ids.volume(call.params().required("VolumeId"));
        call.dryRunStop();
        call.store().deleteVolume(volumeById(call.store(), id).name());
        return call.ok();
    }

    private static VolumeInfo volumeById(TenantStore store, String id) {
        return store.listVolumes().stream().filter(v -> v.id().equals(id) && !EbsDirectApi.isUploadVolume(v.name()))
                .findFirst().orElseThrow(() -> volumeNotFound(id));
    }

    private static ApiException volumeNotFound(String id) {
        return new ApiException(400, "InvalidVolume.NotFound", "The volume '" + id + "' does not exist.");
    }

    // ------------------------------------------------------------------ snapshots

    static XmlWriter createSnapshot(Ec2Call call) {
        Ec2Params p = call.params();
        String volumeId = Ids.volume(p.required("VolumeId"));
        String description = p.get("Description");
        call.dryRunStop();
        TenantStore store = call.store();
        VolumeInfo volume = volumeById(store, volumeId);
        SnapshotInfo s = store.createSnapshot(volume.name(), description);
        XmlWriter w = call.response();
        snapshotFields(w, s, Map.of(volume.name(), volume.id()));
        return w;
    }

    /**
     * CopySnapshot, sent to the destination region: a new snapshot of the caller's with the
     * contents of {@code SourceSnapshotId} in {@code SourceRegion} (its own, or one shared with it).
     */
    static XmlWriter copySnapshot(Ec2Call call) {
        Ec2Params p = call.params();
        String sourceRegion = p.required("SourceRegion");
        String sourceId = Ids.snapshot(p.required("SourceSnapshotId"));
        String destination = p.get("DestinationRegion");
        if (destination != null && !destination.equals(call.region())) {
            throw new ApiException(400, "InvalidParameterValue", "DestinationRegion " + destination + " differs from the region "
                    + call.region() + " the request was signed for (send CopySnapshot to the destination region)");
        }
        if (p.bool("Encrypted", false) || p.get("KmsKeyId") != null || !p.members("TagSpecification").isEmpty()) {
            throw new ApiException(400, "InvalidParameterValue", "CopySnapshot with Encrypted, KmsKeyId or TagSpecification "
                    + "is not supported by amiforge (snapshots are not encrypted; tag with CreateTags is not available either)");
        }
        String description = p.get("Description");
        call.dryRunStop();
        SnapshotInfo copy = call.cloud().copySnapshot(call.account(), sourceRegion, sourceId, call.region(), description);
        return call.response().element("snapshotId", copy.id());
    }

    private static void snapshotFields(XmlWriter w, SnapshotInfo s, Map<String, String> volumeIds) {
        snapshotFields(w, s, volumeIds, false);
    }

    private static void snapshotFields(XmlWriter w, SnapshotInfo info, Map<String, String> volumeIds, boolean pending) {
        SnapshotShape s = SnapshotShape.of(info, volumeIds, pending);
        w.element("snapshotId", s.snapshotId()).element("volumeId", s.volumeId()).element("status", s.state())
                .element("startTime", s.startTime()).element("progress", s.progress())
                .element("ownerId", s.ownerId()).element("volumeSize", s.volumeSize())
                .element("description", s.description()).element("encrypted", s.encrypted()).element("storageTier", s.storageTier());
        w.start("tagSet");
        for (SnapshotShape.Tag t : s.tags()) {
            w.start("item").element("key", t.key()).element("value", t.value()).end();
        }
        w.end();
    }

    static XmlWriter describeSnapshots(Ec2Call call) {
        Ec2Params p = call.params();
        List<String> ids = p.list("SnapshotId");
        ids.forEach(Ids::snapshot);
        List<String> owners = p.list("Owner");
        List<String> restorable = p.list("RestorableBy");
        Map<String, List<String>> filters = p.filters();
        call.dryRunStop();
        TenantStore store = call.store();
        String me = call.account();
        List<SnapshotInfo> pending = call.uploads().pending(call.caller());
        Set<String> pendingIds = pending.stream().map(SnapshotInfo::id).collect(Collectors.toSet());
        List<SnapshotInfo> all = new ArrayList<>(store.listSnapshots());
        all.addAll(pending);
        for (String id : ids) {
            if (all.stream().noneMatch(s -> s.id().equals(id))) {
                throw snapshotNotFound(id);
            }
        }
        List<SnapshotInfo> snapshots = all.stream()
                .filter(s -> ids.isEmpty() || ids.contains(s.id()))
                .filter(s -> owners.isEmpty() || owners.stream().anyMatch(o -> o.equals("self") ? s.ownerId().equals(me) : o.equals(s.ownerId())))
                .filter(s -> restorable.isEmpty() || restorable.stream().anyMatch(r -> r.equals("all")
                        ? s.createVolumePermission().contains("all")
                        : r.equals("self") || r.equals(me) ? true : s.ownerId().equals(r) || s.createVolumePermission().contains(r)))
                .toList();
        List<String> statuses = filters.remove("status");
        if (statuses != null) {
            snapshots = snapshots.stream().filter(s -> statuses.stream().anyMatch(want -> Pages.matches(want,
                    pendingIds.contains(s.id()) ? "pending" : "completed"))).toList();
        }
        snapshots = Pages.filter(snapshots, filters, SNAPSHOT_FILTERS);
        Pages.Page<SnapshotInfo> page = ids.isEmpty() ? Pages.page(snapshots, p, 5, 1000) : new Pages.Page<>(snapshots, null);
        Map<String, String> volumeIds = new HashMap<>();
        store.listVolumes().forEach(v -> volumeIds.put(v.name(), v.id()));
        XmlWriter w = call.response().start("snapshotSet");
        for (SnapshotInfo s : page.items()) {
            w.start("item");
            snapshotFields(w, s, s.ownerId().equals(me) ? volumeIds : Map.of(), pendingIds.contains(s.id()));
            w.end();
        }
        return w.end().element("nextToken", page.nextToken());
    }

    private static ApiException snapshotNotFound(String id) {
        return new ApiException(400, "InvalidSnapshot.NotFound", "The snapshot '" + id + "' does not exist.");
    }

    static XmlWriter deleteSnapshot(Ec2Call call) {
        String id = Ids.snapshot(call.params().required("SnapshotId"));
        call.dryRunStop();
        call.cloud().deleteSnapshot(call.account(), call.region(), id);
        call.uploads().snapshotDeleted(call.caller(), id);
        return call.ok();
    }

    /** The caller's own snapshot (a shared one is NotFound here, as the store treats it). */
    private static SnapshotInfo owned(Ec2Call call, String id) {
        SnapshotInfo s;
        try {
            s = call.store().snapshot(id);
        } catch (AmiforgeException e) {
            if (e.kind() == AmiforgeException.Kind.NOT_FOUND) {
                throw snapshotNotFound(id);
            }
            throw e;
        }
        if (!s.ownerId().equals(call.account())) {
            throw snapshotNotFound(id);
        }
        return s;
    }

    static XmlWriter describeSnapshotAttribute(Ec2Call call) {
        Ec2Params p = call.params();
        String id = Ids.snapshot(p.required("SnapshotId"));
        String attribute = p.required("Attribute");
        if (!attribute.equals("createVolumePermission")) {
            throw Ec2Params.invalid("Attribute", attribute, "createVolumePermission");
        }
        call.dryRunStop();
        SnapshotInfo s = owned(call, id);
        XmlWriter w = call.response().element("snapshotId", id).start("createVolumePermission");
        for (String who : s.createVolumePermission()) {
            w.start("item").element(who.equals("all") ? "group" : "userId", who).end();
        }
        return w.end();
    }

    static XmlWriter modifySnapshotAttribute(Ec2Call call) {
        Ec2Params p = call.params();
        String id = Ids.snapshot(p.required("SnapshotId"));
        String attribute = p.get("Attribute");
        if (attribute != null && !attribute.equals("createVolumePermission")) {
            throw Ec2Params.invalid("Attribute", attribute, "createVolumePermission");
        }
        PermissionChange change = PermissionChange.of(p, "CreateVolumePermission", UnaryOperator.identity());
        if (change.isEmpty()) {
            throw new ApiException(400, "MissingParameter",
                    "ModifySnapshotAttribute needs CreateVolumePermission.Add/Remove or OperationType with UserId/UserGroup");
        }
        call.dryRunStop();
        owned(call, id);
        call.store().modifyCreateVolumePermission(id, change.add(), change.remove());
        return call.ok();
    }
}
