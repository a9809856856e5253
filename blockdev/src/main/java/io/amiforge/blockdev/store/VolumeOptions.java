package io.amiforge.blockdev.store;
/** TEMPORARY STUB. */
public final class VolumeOptions { public static VolumeOptions defaults() { return new VolumeOptions(); } public VolumeOptions blockSize(int b) { return this; } public VolumeOptions writeStrategy(String s) { return this; } public VolumeOptions readIndex(String s) { return this; } }
