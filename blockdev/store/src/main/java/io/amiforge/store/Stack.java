package io.amiforge.store;

import io.amiforge.store.spi.LayerStack;
import java.util.Arrays;

/**
 * An immutable list of layers, bottom (ordinal 0) to top, with the snapshot id that owns each
 * (null for a volume's current layer): what a volume or snapshot reads through.
 */
final class Stack implements LayerStack {

    final Layer[] layers;
    final String[] owners;
    private final long blocks;

    Stack(Layer[] layers, String[] owners, long blocks) {
        this.layers = layers;
        this.owners = owners;
        this.blocks = blocks;
    }

    /** This stack with {@code top} pushed on top. */
    Stack push(Layer top, String owner) {
        Layer[] l = Arrays.copyOf(layers, layers.length + 1);
        String[] o = Arrays.copyOf(owners, owners.length + 1);
        l[layers.length] = top;
        o[owners.length] = owner;
        return new Stack(l, o, blocks);
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

    boolean contains(Layer layer) {
        for (Layer l : layers) {
            if (l == layer) {
                return true;
            }
        }
        return false;
    }
}
