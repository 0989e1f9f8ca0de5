package io.attest402.contracts.chain;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension giving a test class a real chain: anvil on a free port with every contract
 * deployed and the dev accounts funded. Inject {@link Chain} into test methods, constructors or
 * {@code @BeforeAll} methods. One chain per test class, stopped after the class, also when a test
 * fails. Use {@code @ExtendWith(ChainExtension.class)}.
 */
public final class ChainExtension implements BeforeAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(ChainExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    chain(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext context) {
    return p.getParameter().getType() == Chain.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext context) {
    return chain(context);
  }

  private static Chain chain(ExtensionContext context) {
    ExtensionContext classContext = context;
    while (classContext.getParent().isPresent() && classContext.getTestMethod().isPresent()) {
      classContext = classContext.getParent().get();
    }
    return classContext
        .getStore(NS)
        .getOrComputeIfAbsent("chain", k -> new Closing(Chain.start()), Closing.class)
        .chain;
  }

  /** Ties the chain's lifetime to the store, which closes it when the class's context ends. */
  private record Closing(Chain chain)
      implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    @Override
    public void close() {
      chain.close();
    }
  }
}
