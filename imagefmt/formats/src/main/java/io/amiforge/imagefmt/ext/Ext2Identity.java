package io.amiforge.imagefmt.ext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

/**
 * The filesystem UUID and directory hash seed of an ext2 filesystem being written, derived
 * from a SHA-256 of the tree's metadata (paths, types, modes, owners, clamped times, sizes,
 * link targets), the block count, the block size, the label and SOURCE_DATE_EPOCH, so the same
 * inputs give the same identity. A UUID given in the options wins.
 */
final class Ext2Identity {

    private final SourceTree tree;
    private final Ext2Writer.Options opts;
    private final long blocksCount;
    private UUID uuid;
    private byte[] hashSeed;

    Ext2Identity(SourceTree tree, Ext2Writer.Options opts, long blocksCount) {
        this.tree = tree;
        this.opts = opts;
        this.blocksCount = blocksCount;
    }

    UUID uuid() {
        if (uuid == null) {
            uuid = opts.uuid() != null ? opts.uuid() : UUID.nameUUIDFromBytes(digest("uuid"));
        }
        return uuid;
    }

    /** The 16-byte hash seed for the superblock. */
    byte[] hashSeed() {
        if (hashSeed == null) {
            hashSeed = Arrays.copyOf(digest("hash-seed"), 16);
        }
        return hashSeed;
    }

    private byte[] digest(String salt) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((salt + "|" + blocksCount + "|" + opts.blockSize() + "|" + opts.label() + "|" + opts.sourceDateEpoch() + "|")
                    .getBytes(StandardCharsets.UTF_8));
            ArrayList<Object[]> stack = new ArrayList<>();
            stack.add(new Object[] {"", tree.root()});
            while (!stack.isEmpty()) {
                Object[] item = stack.removeLast();
                SourceTree.Node n = (SourceTree.Node) item[1];
                md.update((item[0] + "|" + n.type + "|" + n.mode + "|" + n.uid + "|" + n.gid + "|"
                        + InodeRecords.clamp(n.mtime, opts.sourceDateEpoch()) + "|"
                        + (n.content != null ? n.content.size() : 0) + "|" + n.target + "\n").getBytes(StandardCharsets.UTF_8));
                for (Map.Entry<String, SourceTree.Node> e : n.children.entrySet()) {
                    stack.add(new Object[] {item[0] + "/" + e.getKey(), e.getValue()});
                }
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
