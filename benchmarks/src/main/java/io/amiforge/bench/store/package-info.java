/**
 * JMH benchmarks of the snapshot store (chain reads, snapshot create, changed blocks, flatten)
 * and the same-run comparison with qemu-img on qcow2 backing chains.
 */
package io.amiforge.bench.store;
