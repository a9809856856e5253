package io.amiforge.store.spi;

import io.amiforge.blockdev.AmiforgeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.regex.Pattern;

/**
 * The registry of strategies by name. The built-in ones (write strategies {@code row},
 * {@code cow}; read indexes {@code walk}, {@code flat}) and any other provider on the class or
 * module path are found with {@link ServiceLoader} when this class is first used; plug-ins in
 * other class loaders are added with {@link #register(ClassLoader)} (see {@link Plugins}).
 * Providers are never removed. Thread-safe.
 */
public final class Strategies {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,31}");

    /** Every registered provider, in registration order (built-ins first); replaced whole, never mutated. */
    private static volatile List<StrategyProvider> providers = List.copyOf(discover(Strategies.class.getClassLoader(), List.of()));

    private Strategies() {
    }

    /** Every registered provider, write strategies and read indexes, in registration order. */
    public static List<StrategyProvider> all() {
        return providers;
    }

    /** The registered write strategies, in registration order (built-ins first). */
    public static List<WriteStrategyProvider> writeStrategies() {
        List<WriteStrategyProvider> out = new ArrayList<>();
        for (StrategyProvider p : providers) {
            if (p instanceof WriteStrategyProvider w) {
                out.add(w);
            }
        }
        return out;
    }

    /** The registered read indexes, in registration order (built-ins first). */
    public static List<ReadIndexProvider> readIndexes() {
        List<ReadIndexProvider> out = new ArrayList<>();
        for (StrategyProvider p : providers) {
            if (p instanceof ReadIndexProvider r) {
                out.add(r);
            }
        }
        return out;
    }

    /** The names registered for {@code kind}, in registration order. */
    public static List<String> names(StrategyProvider.Kind kind) {
        return providers.stream().filter(p -> p.kind() == kind).map(StrategyProvider::name).toList();
    }

    /** The write strategy called {@code name}, if one is registered. */
    public static Optional<WriteStrategyProvider> findWriteStrategy(String name) {
        return find(WriteStrategyProvider.class, name);
    }

    /** The read index called {@code name}, if one is registered. */
    public static Optional<ReadIndexProvider> findReadIndex(String name) {
        return find(ReadIndexProvider.class, name);
    }

    /** The write strategy called {@code name}; an unknown name is a usage error listing the known ones. */
    public static WriteStrategyProvider writeStrategy(String name) {
        return findWriteStrategy(name).orElseThrow(() -> unknown(StrategyProvider.Kind.WRITE_STRATEGY, name));
    }

    /** The read index called {@code name}; an unknown name is a usage error listing the known ones. */
    public static ReadIndexProvider readIndex(String name) {
        return findReadIndex(name).orElseThrow(() -> unknown(StrategyProvider.Kind.READ_INDEX, name));
    }

    private static <T extends StrategyProvider> Optional<T> find(Class<T> type, String name) {
        for (StrategyProvider p : providers) {
            if (type.isInstance(p) && p.name().equals(name)) {
                return Optional.of(type.cast(p));
            }
        }
        return Optional.empty();
    }

    private static AmiforgeException unknown(StrategyProvider.Kind kind, String name) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                "unknown " + kind.label() + " '" + name + "' (known: " + String.join(", ", names(kind)) + ")");
    }

    /** Where {@code provider} comes from: "built-in" or the plug-in jar (see {@link Plugins#origin}). */
    public static String origin(StrategyProvider provider) {
        return Plugins.origin(provider.getClass());
    }

    /**
     * Registers every provider {@code loader} finds that is not registered yet (providers the
     * loader's parents already gave are skipped). A provider whose name is malformed or taken by
     * another provider of its kind fails the whole call and nothing is registered.
     *
     * @return the providers added, in discovery order
     */
    public static synchronized List<StrategyProvider> register(ClassLoader loader) {
        List<StrategyProvider> current = providers;
        List<StrategyProvider> added = discover(loader, current);
        if (!added.isEmpty()) {
            List<StrategyProvider> next = new ArrayList<>(current);
            next.addAll(added);
            providers = List.copyOf(next);
        }
        return added;
    }

    /** The providers {@code loader} finds, without those of the same class in {@code known}; checks names. */
    private static List<StrategyProvider> discover(ClassLoader loader, List<StrategyProvider> known) {
        List<StrategyProvider> found = new ArrayList<>();
        for (Class<? extends StrategyProvider> service : List.of(WriteStrategyProvider.class, ReadIndexProvider.class)) {
            try {
                for (ServiceLoader.Provider<? extends StrategyProvider> p : ServiceLoader.load(service, loader).stream().toList()) {
                    if (known.stream().noneMatch(k -> k.getClass() == p.type())
                            && found.stream().noneMatch(k -> k.getClass() == p.type())) {
                        found.add(check(p.get(), known, found));
                    }
                }
            } catch (ServiceConfigurationError e) {
                throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidPlugin",
                        "cannot load a " + service.getSimpleName() + " from " + Plugins.describe(loader) + ": " + e.getMessage(), e);
            }
        }
        return found;
    }

    private static StrategyProvider check(StrategyProvider p, List<StrategyProvider> known, List<StrategyProvider> found) {
        String where = p.getClass().getName() + " (" + Plugins.origin(p.getClass()) + ")";
        String name = p.name();
        if (name == null || !NAME.matcher(name).matches()) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidPlugin", p.kind().label() + " " + where
                    + " has name '" + name + "'; a name is 1 to 32 lower-case letters, digits and '_', starting with a letter");
        }
        for (List<StrategyProvider> list : List.of(known, found)) {
            for (StrategyProvider other : list) {
                if (other.kind() == p.kind() && other.name().equals(name)) {
                    throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidPlugin", p.kind().label() + " '"
                            + name + "' of " + where + " is already provided by " + other.getClass().getName() + " ("
                            + Plugins.origin(other.getClass()) + ")");
                }
            }
        }
        return p;
    }
}
