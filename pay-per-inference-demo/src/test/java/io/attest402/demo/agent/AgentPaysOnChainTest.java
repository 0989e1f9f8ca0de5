package io.attest402.demo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.demo.provider.SummaryProvider;
import io.attest402.demo.stack.LocalStack;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;

/**
 * {@code agent --pay-onchain} against the local stack (anvil, the facilitator from its enclave
 * artifact, the summary provider): the agent pays by its own USDC transfer, gets a credential from
 * the facilitator and buys the summary with it; the transfer is the only payment on chain.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentPaysOnChainTest {
  static final String DOC =
      "Carol pays on chain herself. The facilitator only vouches for her transfer. ";
  LocalStack stack;

  @BeforeAll
  void start(@TempDir Path dir) {
    stack = new LocalStack(dir, Clock.systemUTC());
    stack.startChain();
    stack.startFacilitator();
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  BigInteger balance(String who) throws Exception {
    return TestUSDC.load(
            stack.deployment().contracts().usdc(),
            stack.chain().web3j(),
            new ReadonlyTransactionManager(stack.chain().web3j(), who),
            new DefaultGasProvider())
        .balanceOf(who)
        .send();
  }

  @Test
  void theAgentPaysByItsOwnTransferAndIsServedWithACredential() throws Exception {
    SummaryProvider p = stack.startProvider("onchain-provider", DevAccounts.account(7), null);
    String payTo = DevAccounts.account(7).getAddress();
    String agent = DevAccounts.account(DevAccounts.AGENT).getAddress();
    BigInteger payToBefore = balance(payTo);
    BigInteger agentBefore = balance(agent);
    SummaryAgent.Result r =
        new SummaryAgent(
                stack.deployment(), DevAccounts.account(DevAccounts.AGENT), Clock.systemUTC())
            .runOnChain(
                new SummaryAgent.Request(
                    URI.create(p.baseUrl() + "/summarize"),
                    DOC.getBytes(StandardCharsets.UTF_8),
                    "text/plain",
                    SummaryAgent.Trust.NONE,
                    BigInteger.valueOf(1_000_000),
                    Set.of(),
                    stack.attestationPolicy(),
                    null,
                    0,
                    false),
                s -> {});
    assertEquals("paid", r.outcome(), String.join("; ", r.refusalReasons()));
    assertEquals(200, r.httpStatus());
    assertNotNull(r.body());
    assertTrue(r.body().has("summary"), r.body().toString());
    assertTrue(r.receiptCheck().startsWith("valid: credential"), r.receiptCheck());
    assertEquals(payToBefore.add(r.amount()), balance(payTo), "the agent's transfer reached payTo");
    assertEquals(agentBefore.subtract(r.amount()), balance(agent), "and is its only payment");
  }
}
