/**
 * The basic-block translator: hot straight-line 386 code, decoded by the interpreter, becomes
 * JVM bytecode written with {@code java.lang.classfile} ({@link io.amiforge.x86.jit.Translator}),
 * which the CPU defines as hidden classes and runs in place of the interpreter. Registered as
 * the {@link io.amiforge.x86.cpu.BlockTranslator} service; the CPU package does not depend on
 * this one.
 */
package io.amiforge.x86.jit;
