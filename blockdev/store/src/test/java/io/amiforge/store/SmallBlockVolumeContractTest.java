package io.amiforge.store;

/** The block-device contract for volumes of 512-byte blocks (cow, flat). */
class SmallBlockVolumeContractTest extends VolumeContractTest {
    @Override
    protected VolumeOptions options() {
        return VolumeOptions.defaults().blockSize(512).writeStrategy("cow");
    }
}
