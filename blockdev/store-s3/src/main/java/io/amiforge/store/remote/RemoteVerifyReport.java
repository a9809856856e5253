package io.amiforge.store.remote;

import java.util.List;

/**
 * What {@link RemoteSnapshotStore#verify} found: every catalogued layer object read whole and
 * checked (whole-object CRC32C, header, index, every block's CRC32C).
 *
 * @param objectsChecked  layer objects read
 * @param blocksChecked   data blocks whose CRC32C was checked
 * @param damage          one line per problem, naming the object key and byte offset
 * @param unreferenced    layer objects no snapshot names (garbage for {@code gc}, or uploads in flight)
 */
public record RemoteVerifyReport(int objectsChecked, long blocksChecked, List<String> damage, List<String> unreferenced) {

    public RemoteVerifyReport {
        damage = List.copyOf(damage);
        unreferenced = List.copyOf(unreferenced);
    }

    public boolean clean() {
        return damage.isEmpty();
    }
}
