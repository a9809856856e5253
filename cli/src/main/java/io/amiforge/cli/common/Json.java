package io.amiforge.cli.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.Map;

/** The one JSON writer of the command line: pretty, stable field order (as declared). */
public final class Json {

    /** The mapper: indented output, fields in declaration order, empty beans allowed. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Json() {
    }

    /**
     * The fields of {@code shape} (a record of {@code io.amiforge.cloud.shape}, say) as a mutable
     * map in their JSON order, for a command that adds its own fields after them.
     */
    public static Map<String, Object> fieldsOf(Object shape) {
        return MAPPER.convertValue(shape, new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    /** A JSON object of the given name/value pairs, in that order ({@code object("VolumeName", n, "Return", true)}). */
    public static Map<String, Object> object(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values come in pairs, got " + namesAndValues.length + " items");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }

    /** {@code value} as JSON text. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON for " + value.getClass(), e);
        }
    }
}
