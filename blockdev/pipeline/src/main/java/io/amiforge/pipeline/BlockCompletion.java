package io.amiforge.pipeline;

/**
 * Called once per request, on the pipeline's consumer thread, when the request has completed.
 * The {@link BlockRequest} view is valid only during the call (the slot is reused afterwards),
 * so copy out what is needed. Implementations must not block and must not submit to the same
 * pipeline and wait for the result.
 */
@FunctionalInterface
public interface BlockCompletion {

    /**
     * @param request the finished request (read its {@link BlockRequest#tag()} and
     *                {@link BlockRequest#attachment()} to find the caller's context)
     * @param failure null on success, else what the device threw
     */
    void completed(BlockRequest request, Throwable failure);
}
