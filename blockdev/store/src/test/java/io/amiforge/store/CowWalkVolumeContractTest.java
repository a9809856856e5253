package io.amiforge.store;

/** The block-device contract for copy-on-write volumes with the walk index. */
class CowWalkVolumeContractTest extends VolumeContractTest {
    @Override
    protected VolumeOptions options() {
        return VolumeOptions.defaults().writeStrategy("cow").readIndex("walk");
    }
}
