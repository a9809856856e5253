package io.amiforge.imagefmt.ext;

import io.amiforge.blockdev.AmiforgeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What to put in a filesystem: a tree of directories, regular files (content from a host file
 * or from memory), symbolic links and device/fifo/socket nodes, each with mode, owner and
 * modification time. {@link #scan} reads a host directory without following symbolic links;
 * hard links in it (same device and inode) stay hard links. Children are kept sorted by name,
 * so the same tree always gives the same filesystem.
 */
public final class SourceTree {

    /** The content of a regular file. */
    public interface Content {
        long size();

        InputStream open() throws IOException;

        /** The byte ranges {@code [start, end)} that may hold data, in order; null when unknown (all of it). */
        default java.util.List<long[]> dataRegions() {
            return null;
        }
    }

    /** One entry of the tree. */
    public static final class Node {
        final FileType type;
        int mode;
        long uid;
        long gid;
        FileTime mtime;
        final Map<String, Node> children = new TreeMap<>();
        Content content;
        String target;
        long rdev;
        Object linkKey;

        Node(FileType type, int mode, long uid, long gid, FileTime mtime) {
            this.type = type;
            this.mode = mode & 07777;
            this.uid = uid;
            this.gid = gid;
            this.mtime = mtime;
        }

        public FileType type() {
            return type;
        }

        public Map<String, Node> children() {
            return children;
        }
    }

    private final Node root;
    private final List<String> warnings = new ArrayList<>();

    private SourceTree(Node root) {
        this.root = root;
    }

    /** An empty tree: a root directory 0755 owned by 0:0 with the given modification time. */
    public static SourceTree empty(FileTime mtime) {
        return new SourceTree(new Node(FileType.DIRECTORY, 0755, 0, 0, mtime));
    }

    /** Reads the host directory {@code dir} (iteratively; symbolic links are not followed). */
    public static SourceTree scan(Path dir) {
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", dir + ": not a directory");
            }
            SourceTree tree = new SourceTree(node(dir));
            Deque<Object[]> work = new ArrayDeque<>();
            work.push(new Object[] {dir, tree.root});
            while (!work.isEmpty()) {
                Object[] item = work.pop();
                Path path = (Path) item[0];
                Node parent = (Node) item[1];
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
                    for (Path child : entries) {
                        Node n = node(child);
                        if (n == null) {
                            tree.warnings.add(child + ": unsupported file type, skipped");
                            continue;
                        }
                        parent.children.put(child.getFileName().toString(), n);
                        if (n.type == FileType.DIRECTORY) {
                            work.push(new Object[] {child, n});
                        }
                    }
                }
            }
            return tree;
        } catch (IOException e) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue",
                    "cannot read source directory " + dir + ": " + e, e);
        }
    }

    private static Node node(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,ino,dev,nlink,rdev,size",
                LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        FileType type = FileType.ofMode(mode);
        if (type == FileType.UNKNOWN) {
            return null;
        }
        Node n = new Node(type, mode, ((Number) a.get("uid")).longValue(), ((Number) a.get("gid")).longValue(),
                (FileTime) a.get("lastModifiedTime"));
        switch (type) {
            case REGULAR -> {
                long size = (Long) a.get("size");
                n.content = new Content() {
                    @Override
                    public long size() {
                        return size;
                    }

                    @Override
                    public InputStream open() throws IOException {
                        return Files.newInputStream(p);
                    }

                    @Override
                    public List<long[]> dataRegions() {
                        return HostHoles.dataRegions(p, size);
                    }
                };
                if ((Integer) a.get("nlink") > 1) {
                    n.linkKey = a.get("dev") + ":" + a.get("ino");
                }
            }
            case SYMLINK -> n.target = Files.readSymbolicLink(p).toString();
            case CHAR_DEVICE, BLOCK_DEVICE -> n.rdev = ((Number) a.get("rdev")).longValue();
            default -> {
            }
        }
        return n;
    }

    public Node root() {
        return root;
    }

    /** Entries {@link #scan} skipped, one line each. */
    public List<String> warnings() {
        return warnings;
    }

    /** The directory at {@code path}, created (0755, root-owned, with {@code mtime}) where missing. */
    public Node mkdirs(String path, FileTime mtime) {
        Node cur = root;
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            Node next = cur.children.get(part);
            if (next == null) {
                next = new Node(FileType.DIRECTORY, 0755, 0, 0, mtime);
                cur.children.put(part, next);
            } else if (next.type != FileType.DIRECTORY) {
                throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue",
                        path + ": '" + part + "' exists and is not a directory");
            }
            cur = next;
        }
        return cur;
    }

    /** Puts (or replaces) a regular file with in-memory content at {@code path}, creating parents. */
    public void putFile(String path, byte[] data, int mode, long uid, long gid, FileTime mtime) {
        byte[] copy = data.clone();
        Node n = new Node(FileType.REGULAR, mode, uid, gid, mtime);
        n.content = new Content() {
            @Override
            public long size() {
                return copy.length;
            }

            @Override
            public InputStream open() {
                return new ByteArrayInputStream(copy);
            }
        };
        put(path, n, mtime);
    }

    /** Puts (or replaces) a symbolic link at {@code path}, creating parents. */
    public void putSymlink(String path, String target, long uid, long gid, FileTime mtime) {
        Node n = new Node(FileType.SYMLINK, 0777, uid, gid, mtime);
        n.target = target;
        put(path, n, mtime);
    }

    private void put(String path, Node n, FileTime mtime) {
        int slash = path.lastIndexOf('/');
        String name = path.substring(slash + 1);
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "'" + path + "' is not a valid file path");
        }
        mkdirs(slash <= 0 ? "" : path.substring(0, slash), mtime).children.put(name, n);
    }

    /** Reads {@code n}'s content fully (for small files only). */
    static byte[] readContent(Node n) {
        try (InputStream in = n.content.open()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
