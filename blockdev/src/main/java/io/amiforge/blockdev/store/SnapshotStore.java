package io.amiforge.blockdev.store;

import io.amiforge.blockdev.BlockDevice;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** TEMPORARY API STUB for the cloud branch; replaced by the real store at merge. */
public final class SnapshotStore implements AutoCloseable {
    public static SnapshotStore open(Path dir) { throw new UnsupportedOperationException(); }
    public Volume createVolume(String name, long sizeBytes, VolumeOptions options) { throw new UnsupportedOperationException(); }
    public Volume openVolume(String name) { throw new UnsupportedOperationException(); }
    public List<VolumeInfo> listVolumes() { throw new UnsupportedOperationException(); }
    public void deleteVolume(String name) { throw new UnsupportedOperationException(); }
    public SnapshotInfo createSnapshot(String volumeName, String description) { throw new UnsupportedOperationException(); }
    public List<SnapshotInfo> listSnapshots() { throw new UnsupportedOperationException(); }
    public SnapshotInfo snapshot(String id) { throw new UnsupportedOperationException(); }
    public void setSnapshotAttribute(String id, String key, String value) { throw new UnsupportedOperationException(); }
    public BlockDevice openSnapshot(String id) { throw new UnsupportedOperationException(); }
    public Volume cloneVolume(String snapshotId, String newVolumeName) { throw new UnsupportedOperationException(); }
    public void rollback(String volumeName, String snapshotId) { throw new UnsupportedOperationException(); }
    public void deleteSnapshot(String id) { throw new UnsupportedOperationException(); }
    public ChangedBlocks diff(String from, String to) { throw new UnsupportedOperationException(); }
    public ChangedBlocks blocks(String id) { throw new UnsupportedOperationException(); }
    public SnapshotInfo importSnapshot(SnapshotInfo parent, BlockDevice layer, org.roaringbitmap.longlong.Roaring64Bitmap present, String description) { throw new UnsupportedOperationException(); }
    @Override public void close() { }
    public interface Volume extends BlockDevice { String volumeName(); }
    public record VolumeOptions() { public static VolumeOptions defaults() { return new VolumeOptions(); } }
    public record VolumeInfo(String name, String id, long size, int blockSize, String parentSnapshotId) { }
    public record SnapshotInfo(String id, String volumeName, String parentId, long size, int blockSize, String description, java.time.Instant createdAt, long blockCount, Map<String, String> attributes) { }
    public record ChangedBlocks(int blockSize, long[] blocks) { }
}
