/**
 * The block-device core: {@link io.amiforge.blockdev.BlockDevice}, its memory and file
 * backends, the one allocation-status vocabulary every layer speaks, and neutral exceptions.
 * No third-party dependency, so an emulator can embed it alone.
 */
module io.amiforge.blockdev {
    exports io.amiforge.blockdev;
}
