package io.amiforge.store;

import io.amiforge.store.spi.LayerStack;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * An immutable list of layers, bottom (ordinal 0) to top, with the snapshot id that owns each
 * (null for a volume's current layer): what a volume or snapshot reads through.
 */
final class Stack implements LayerStack {

    /** Marks a layer looked at by {@link #pack} that reads through no shared pack mapping. */
    private static final MemorySegment NO_PACK = MemorySegment.ofArray(new byte[0]);

    final Layer[] layers;
    final String[] owners;
    private final long blocks;
    /** Per ordinal, the pack mapping its layer reads through, {@link #NO_PACK}, or null until first asked. */
    private final MemorySegment[] packs;

    Stack(Layer[] layers, String[] owners, long blocks) {
        this.layers = layers;
        this.owners = owners;
        this.blocks = blocks;
        this.packs = new MemorySegment[layers.length];
    }

    /**
     * The shared mapping of the pack the layer at {@code ordinal} keeps its slots in, or null
     * (not packed). Asked once per layer, then read from an array: a read of a packed chain
     * touches the same mapping whatever the layer, not a thousand layer objects. Ask only after
     * the layer was read from (its index, and so its mapping, is loaded by then).
     */
    MemorySegment pack(int ordinal) {
        MemorySegment m = packs[ordinal];
        if (m == null) {
            m = layers[ordinal].sharedMapping();
            packs[ordinal] = m == null ? NO_PACK : m; // a benign race: every thread finds the same answer
        }
        return m == NO_PACK ? null : m;
    }

    /** This stack with {@code top} pushed on top. */
    Stack push(Layer top, String owner) {
        Layer[] l = Arrays.copyOf(layers, layers.length + 1);
        String[] o = Arrays.copyOf(owners, owners.length + 1);
        l[layers.length] = top;
        o[owners.length] = owner;
        return new Stack(l, o, blocks);
    }

    /** This stack with the layers at {@code ordinals} replaced by {@code with} (same owners, same depth). */
    Stack replacing(int[] ordinals, Layer[] with) {
        Layer[] l = layers.clone();
        for (int i = 0; i < ordinals.length; i++) {
            l[ordinals[i]] = with[i];
        }
        return new Stack(l, owners, blocks);
    }

    /** The lowest {@code depth} layers of this stack, as the view of a volume of {@code blocks} blocks. */
    Stack bottom(int depth, long blocks) {
        return new Stack(Arrays.copyOf(layers, depth), Arrays.copyOf(owners, depth), blocks);
    }

    /** This stack with its top layer's owner renamed (a frozen layer now belongs to a snapshot). */
    Stack withTopOwner(String owner) {
        String[] o = owners.clone();
        o[o.length - 1] = owner;
        return new Stack(layers, o, blocks);
    }

    Layer top() {
        return layers[layers.length - 1];
    }

    @Override
    public int depth() {
        return layers.length;
    }

    @Override
    public long entry(int ordinal, long block) {
        return layers[ordinal].entry(block);
    }

    @Override
    public void forEachEntry(int ordinal, EntryVisitor action) {
        layers[ordinal].forEach((block, entry) -> {
            action.accept(block, entry);
            return 0;
        });
    }

    @Override
    public void replay(int ordinal, EntryVisitor action) {
        layers[ordinal].replay(action);
    }

    @Override
    public long blocks() {
        return blocks;
    }

    /** Whether this stack holds {@code layer} at {@code ordinal} (a snapshot layer has one ordinal in every stack). */
    boolean holds(int ordinal, Layer layer) {
        return ordinal < layers.length && layers[ordinal] == layer;
    }

    boolean contains(Layer layer) {
        for (Layer l : layers) {
            if (l == layer) {
                return true;
            }
        }
        return false;
    }
}
