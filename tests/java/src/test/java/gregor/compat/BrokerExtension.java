/*
 * Gives every test class the one shared Broker: started on first use, kept in the root store so
 * JUnit closes it (AutoCloseable) after the last test of the run. A failed start is remembered,
 * so the remaining tests fail at once with the same message instead of each trying again.
 */
package gregor.compat;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

public final class BrokerExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(BrokerExtension.class);

    /** The outcome of the one start attempt: a broker, or why there is none. */
    private static final class Started implements AutoCloseable {
        final Broker broker;
        final Exception failure;

        Started(Broker broker, Exception failure) {
            this.broker = broker;
            this.failure = failure;
        }

        @Override
        public void close() throws Exception {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Broker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Started s = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("broker", key -> {
            try {
                return new Started(Broker.start(), null);
            } catch (Exception e) {
                return new Started(null, e);
            }
        }, Started.class);
        if (s.failure != null) {
            throw new ParameterResolutionException("could not start the broker: " + s.failure.getMessage(), s.failure);
        }
        return s.broker;
    }
}
