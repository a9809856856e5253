package io.amiforge.blockdev.store;
/** TEMPORARY STUB. */
public interface Volume extends io.amiforge.blockdev.BlockDevice { String volumeName(); }
