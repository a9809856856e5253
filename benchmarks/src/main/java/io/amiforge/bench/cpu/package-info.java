/** Benchmarks of the real-mode CPU (MIPS on a loop program) and of whole simulated HVM boots. */
package io.amiforge.bench.cpu;
