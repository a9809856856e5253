/** The Disruptor request pipeline shared by front ends that queue block requests. */
module io.amiforge.pipeline {
    requires transitive io.amiforge.blockdev;
    requires com.lmax.disruptor;

    exports io.amiforge.pipeline;
}
