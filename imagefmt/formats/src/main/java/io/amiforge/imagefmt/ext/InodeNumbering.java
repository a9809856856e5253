package io.amiforge.imagefmt.ext;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inode numbers and link counts for a tree being written: root 2, lost+found 11, the rest from
 * 12 depth first in name order (a directory's children numbered before its subdirectories are
 * entered); hard links (nodes with the same link key) share one number. A directory has 2 links
 * plus one per subdirectory; every other inode one per name.
 */
final class InodeNumbering {

    /** Inode number of every node. */
    final Map<SourceTree.Node, Long> numbers = new IdentityHashMap<>();
    /** Link count of every inode number. */
    final Map<Long, Integer> links = new HashMap<>();

    private InodeNumbering() {
    }

    /** How many inodes {@code root}'s tree needs, counting hard links once and adding lost+found. */
    static long count(SourceTree.Node root) {
        long count = 0;
        Set<Object> keys = new HashSet<>();
        ArrayList<SourceTree.Node> stack = new ArrayList<>(List.of(root));
        while (!stack.isEmpty()) {
            SourceTree.Node n = stack.removeLast();
            if (n.linkKey == null || keys.add(n.linkKey)) {
                count++;
            }
            stack.addAll(n.children.values());
        }
        return count + 1; // lost+found
    }

    /** Numbers the tree under {@code root}, whose child {@code lostFound} gets inode 11. */
    static InodeNumbering of(SourceTree.Node root, SourceTree.Node lostFound) {
        InodeNumbering result = new InodeNumbering();
        result.number(root, lostFound);
        result.countLinks(root);
        return result;
    }

    private void number(SourceTree.Node root, SourceTree.Node lostFound) {
        Map<Object, Long> hardLinks = new HashMap<>();
        numbers.put(root, 2L);
        long next = Ext2Writer.FIRST_INO + 1;
        numbers.put(lostFound, (long) Ext2Writer.LOST_FOUND);
        ArrayList<SourceTree.Node> stack = new ArrayList<>(List.of(root));
        while (!stack.isEmpty()) {
            SourceTree.Node n = stack.removeLast();
            List<SourceTree.Node> kids = new ArrayList<>(n.children.values());
            for (SourceTree.Node c : kids) {
                if (numbers.containsKey(c)) {
                    continue;
                }
                if (c.linkKey != null && hardLinks.containsKey(c.linkKey)) {
                    numbers.put(c, hardLinks.get(c.linkKey));
                    continue;
                }
                numbers.put(c, next);
                if (c.linkKey != null) {
                    hardLinks.put(c.linkKey, next);
                }
                next++;
            }
            for (int i = kids.size() - 1; i >= 0; i--) {
                if (kids.get(i).type == FileType.DIRECTORY) {
                    stack.add(kids.get(i));
                }
            }
        }
    }

    private void countLinks(SourceTree.Node root) {
        ArrayList<SourceTree.Node> stack = new ArrayList<>(List.of(root));
        while (!stack.isEmpty()) {
            SourceTree.Node n = stack.removeLast();
            long ino = numbers.get(n);
            if (n.type == FileType.DIRECTORY) {
                int subdirs = (int) n.children.values().stream().filter(c -> c.type == FileType.DIRECTORY).count();
                links.put(ino, 2 + subdirs);
                stack.addAll(n.children.values().stream().filter(c -> c.type == FileType.DIRECTORY).toList());
                for (SourceTree.Node c : n.children.values()) {
                    if (c.type != FileType.DIRECTORY) {
                        links.merge(numbers.get(c), 1, Integer::sum);
                    }
                }
            }
        }
    }
}
