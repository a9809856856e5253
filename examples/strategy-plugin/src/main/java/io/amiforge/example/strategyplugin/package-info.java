/**
 * An example strategy plug-in: {@link io.amiforge.example.strategyplugin.CountingCowWrite}
 * (copy-on-write that counts block writes and copy-outs), registered by
 * {@link io.amiforge.example.strategyplugin.CountingCowProvider} as {@code counting_cow}. Put the
 * jar on amiforge's plug-in path ({@code --plugin-path DIR} or {@code AMIFORGE_PLUGIN_PATH}).
 */
package io.amiforge.example.strategyplugin;
