package io.attest402.demo.cli;

import io.attest402.contracts.chain.Deployment;
import io.attest402.demo.provider.Pricing;
import io.attest402.demo.provider.ProviderConfig;
import io.attest402.demo.provider.SummaryProvider;
import io.attest402.demo.summary.ChatCompletionsSummarizer;
import io.attest402.demo.summary.Summarizer;
import io.attest402.demo.summary.TextRankSummarizer;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.web3j.crypto.Credentials;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code attest402 provider}: the document-summary service, paid per request. */
@Command(
    name = "provider",
    mixinStandardHelpOptions = true,
    description =
        "Run the document-summary provider: POST /summarize paid per 1,000 words through x402"
            + " (exact; and upto, charged the work done, when the facilitator supports it), a web"
            + " page at /, its ERC-8004 identity registered on start. It signs as --key-file or"
            + " --account, by default as the deployment's 'provider' dev account (owner of its"
            + " identity and payTo).")
public final class ProviderCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @picocli.CommandLine.Mixin io.attest402.contracts.cli.DeploymentOption deployment;

  @Option(
      names = "--facilitator",
      required = true,
      description =
          "Base URL of a facilitator to settle through; repeat it for failover, in order of"
              + " preference.")
  java.util.List<String> facilitators;

  @Option(
      names = "--port",
      defaultValue = "4021",
      description = "Port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Interface to listen on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--public-url",
      description = "URL others reach this provider at (default: http://HOST:PORT).")
  String publicUrl;

  @Option(
      names = "--data-dir",
      defaultValue = "data/provider",
      description =
          "Where the provider remembers its agentId and the payments it delivered for (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  /** The provider's key (owner of its identity and payTo); default: the 'provider' dev account. */
  @picocli.CommandLine.Mixin io.attest402.contracts.cli.SignerOption signer;

  @Option(
      names = "--price-per-1000-words",
      defaultValue = "2000",
      description =
          "Price per 1,000 words in USDC base units (default: ${DEFAULT-VALUE} = 0.002 USDC).")
  BigInteger perThousand;

  @Option(
      names = "--price-per-1000-tokens",
      description =
          "Price per 1,000 tokens of an --llm-url backend's reported usage, charged to upto"
              + " payments, in USDC base units (default: three quarters of --price-per-1000-words).")
  BigInteger perThousandTokens;

  @Option(
      names = "--min-price",
      defaultValue = "1000",
      description = "Minimum price in USDC base units (default: ${DEFAULT-VALUE} = 0.001 USDC).")
  BigInteger minimum;

  @Option(
      names = "--llm-url",
      description =
          "OpenAI-compatible base URL for abstractive summaries "
              + "(default: the offline extractive summarizer).")
  String llmUrl;

  @Option(names = "--llm-model", defaultValue = "gpt-4o-mini", description = "Model for --llm-url.")
  String llmModel;

  @Option(
      names = "--pccs",
      paramLabel = "URL",
      description =
          "Fetch each facilitator quote's collateral from this PCS/PCCS (Intel PCS v4 API) instead"
              + " of verifying the collateral the facilitator serves.")
  java.net.URI pccs;

  @picocli.CommandLine.Mixin io.attest402.verifier.cli.PolicyOptions policyOptions;

  @Override
  public Integer call() throws Exception {
    Deployment d = deployment.deployment();
    Credentials key = signer.credentialsOr(d, "provider");
    Summarizer summarizer =
        llmUrl == null
            ? new TextRankSummarizer()
            : new ChatCompletionsSummarizer(
                llmUrl, llmModel, System.getenv("ATTEST402_LLM_API_KEY"), Duration.ofSeconds(60));
    Credentials devPayer =
        d.accounts() != null && d.accounts().containsKey("agent")
            ? d.account("agent").credentials()
            : null;
    SummaryProvider provider =
        new SummaryProvider(
            new ProviderConfig(
                d,
                facilitators.get(0),
                host,
                port,
                publicUrl,
                key,
                dataDir,
                new Pricing(perThousand, minimum, perThousandTokens),
                summarizer,
                devPayer,
                null,
                policyOptions.policy(),
                facilitators.subList(1, facilitators.size()),
                pccs),
            Clock.systemUTC());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  provider.close();
                  stopped.countDown();
                },
                "provider-shutdown"));
    String url = provider.start();
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "summary provider listening on %s (agentId %s, payTo %s)%n",
        url, provider.agentId(), key.getAddress());
    out.printf(
        "  web page   %s/%n  paid API   POST %s/summarize%n  settles through %s%n",
        url, url, String.join(", then ", facilitators));
    out.flush();
    stopped.await();
    return 0;
  }
}
