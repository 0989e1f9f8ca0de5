package io.attest402.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/**
 * The compiled registries against the ERC-8004 interface of 2026-01-25, entry by entry: every
 * function and event declaration below is transcribed from the specification (names, parameter
 * names, indexed flags, outputs, mutability) with the selector / topic0 of the reference deployment
 * (erc-8004-contracts v2.0.0). The test recomputes each selector and topic from the compiled ABI
 * JSON and from the transcription, and requires the ABI to contain exactly the spec's entries plus
 * the extras listed here, each with the reason it is there.
 */
class Erc8004AbiConformanceTest {

  /**
   * A transcribed declaration and the hash the table gives for it (4 bytes for functions, 32 for
   * events).
   */
  private record Spec(String declaration, String expectedHash) {}

  // -------------------------------------------------------------------------------------------
  // Identity Registry

  private static final List<Spec> IDENTITY_FUNCTIONS =
      List.of(
          new Spec("register() returns (uint256 agentId)", "0x1aa3a008"),
          new Spec("register(string agentURI) returns (uint256 agentId)", "0xf2c298be"),
          new Spec(
              "register(string agentURI, (string metadataKey, bytes metadataValue)[] metadata) "
                  + "returns (uint256 agentId)",
              "0x8ea42286"),
          new Spec("setAgentURI(uint256 agentId, string newURI)", "0x0af28bd3"),
          new Spec(
              "getMetadata(uint256 agentId, string metadataKey) view returns (bytes)",
              "0xcb4799f2"),
          new Spec(
              "setMetadata(uint256 agentId, string metadataKey, bytes metadataValue)",
              "0x466648da"),
          new Spec(
              "setAgentWallet(uint256 agentId, address newWallet, uint256 deadline, bytes signature)",
              "0x2d1ef5ae"),
          new Spec("getAgentWallet(uint256 agentId) view returns (address)", "0x00339509"),
          new Spec("unsetAgentWallet(uint256 agentId)", "0x3fddcf19"),
          // Not in the spec text but in the table: the reference's helper the other registries
          // call.
          new Spec(
              "isAuthorizedOrOwner(address spender, uint256 agentId) view returns (bool)",
              "0xd95e72be"));

  private static final List<Spec> IDENTITY_EVENTS =
      List.of(
          new Spec(
              "Registered(uint256 indexed agentId, string agentURI, address indexed owner)",
              "0xca52e62c367d81bb2e328eb795f7c7ba24afb478408a26c0e201d155c449bc4a"),
          new Spec(
              "MetadataSet(uint256 indexed agentId, string indexed indexedMetadataKey, string metadataKey, "
                  + "bytes metadataValue)",
              "0x2c149ed548c6d2993cd73efe187df6eccabe4538091b33adbd25fafdb8a1468b"),
          new Spec(
              "URIUpdated(uint256 indexed agentId, string newURI, address indexed updatedBy)",
              "0x3a2c7fffc2cba7582c690e3b82c453ea02a308326a98a3ad7576c606336409fb"),
          new Spec(
              "Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
              "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"));

  /**
   * ERC-721 (OpenZeppelin ERC721), ERC-165, ERC-5267 (OpenZeppelin EIP712) and the reference's
   * getVersion.
   */
  private static final List<String> IDENTITY_EXTRA_FUNCTIONS =
      List.of(
          "approve(address,uint256)",
          "balanceOf(address)",
          "getApproved(uint256)",
          "isApprovedForAll(address,address)",
          "name()",
          "ownerOf(uint256)",
          "safeTransferFrom(address,address,uint256)",
          "safeTransferFrom(address,address,uint256,bytes)",
          "setApprovalForAll(address,bool)",
          "supportsInterface(bytes4)",
          "symbol()",
          "tokenURI(uint256)",
          "transferFrom(address,address,uint256)",
          "eip712Domain()",
          "getVersion()");

  /**
   * ERC-721 approvals, ERC-4906 (OpenZeppelin ERC721URIStorage) and ERC-5267 (OpenZeppelin EIP712).
   */
  private static final List<String> IDENTITY_EXTRA_EVENTS =
      List.of(
          "Approval(address,address,uint256)",
          "ApprovalForAll(address,address,bool)",
          "MetadataUpdate(uint256)",
          "BatchMetadataUpdate(uint256,uint256)",
          "EIP712DomainChanged()");

  // -----------------------------------------------------------------------------------------
  // Reputation Registry

  private static final List<Spec> REPUTATION_FUNCTIONS =
      List.of(
          new Spec("initialize(address identityRegistry_)", "0xc4d66de8"),
          new Spec("getIdentityRegistry() view returns (address identityRegistry)", "0xbc4d861b"),
          new Spec(
              "giveFeedback(uint256 agentId, int128 value, uint8 valueDecimals, string tag1, string tag2, "
                  + "string endpoint, string feedbackURI, bytes32 feedbackHash)",
              "0x3c036a7e"),
          new Spec("revokeFeedback(uint256 agentId, uint64 feedbackIndex)", "0x4ab3ca99"),
          new Spec(
              "appendResponse(uint256 agentId, address clientAddress, uint64 feedbackIndex, string responseURI, "
                  + "bytes32 responseHash)",
              "0xc2349ab2"),
          new Spec(
              "getSummary(uint256 agentId, address[] clientAddresses, string tag1, string tag2) view "
                  + "returns (uint64 count, int128 summaryValue, uint8 summaryValueDecimals)",
              "0x81bbba58"),
          new Spec(
              "readFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex) view "
                  + "returns (int128 value, uint8 valueDecimals, string tag1, string tag2, bool isRevoked)",
              "0x232b0810"),
          new Spec(
              "readAllFeedback(uint256 agentId, address[] clientAddresses, string tag1, string tag2, "
                  + "bool includeRevoked) view returns (address[] clients, uint64[] feedbackIndexes, int128[] values, "
                  + "uint8[] valueDecimals, string[] tag1s, string[] tag2s, bool[] revokedStatuses)",
              "0xd9d84224"),
          new Spec(
              "getResponseCount(uint256 agentId, address clientAddress, uint64 feedbackIndex, "
                  + "address[] responders) view returns (uint64 count)",
              "0x6e04cacd"),
          new Spec("getClients(uint256 agentId) view returns (address[])", "0x42dd519c"),
          new Spec(
              "getLastIndex(uint256 agentId, address clientAddress) view returns (uint64)",
              "0xf2d81759"));

  private static final List<Spec> REPUTATION_EVENTS =
      List.of(
          new Spec(
              "NewFeedback(uint256 indexed agentId, address indexed clientAddress, uint64 feedbackIndex, "
                  + "int128 value, uint8 valueDecimals, string indexed indexedTag1, string tag1, string tag2, "
                  + "string endpoint, string feedbackURI, bytes32 feedbackHash)",
              "0x6a4a61743519c9d648a14e6493f47dbe3ff1aa29e7785c96c8326a205e58febc"),
          new Spec(
              "FeedbackRevoked(uint256 indexed agentId, address indexed clientAddress, "
                  + "uint64 indexed feedbackIndex)",
              "0x25156fd3288212246d8b008d5921fde376c71ed14ac2e072a506eb06fde6d09d"),
          new Spec(
              "ResponseAppended(uint256 indexed agentId, address indexed clientAddress, uint64 feedbackIndex, "
                  + "address indexed responder, string responseURI, bytes32 responseHash)",
              "0xb1c6be0b5b8aef6539e2fac0fd131a2faa7b49edf8e505b5eb0ad487d56051d4"));

  // -----------------------------------------------------------------------------------------
  // Validation Registry

  private static final List<Spec> VALIDATION_FUNCTIONS =
      List.of(
          new Spec("initialize(address identityRegistry_)", "0xc4d66de8"),
          new Spec("getIdentityRegistry() view returns (address identityRegistry)", "0xbc4d861b"),
          new Spec(
              "validationRequest(address validatorAddress, uint256 agentId, string requestURI, "
                  + "bytes32 requestHash)",
              "0xaaf400c4"),
          new Spec(
              "validationResponse(bytes32 requestHash, uint8 response, string responseURI, bytes32 responseHash, "
                  + "string tag)",
              "0x3d659a96"),
          new Spec(
              "getValidationStatus(bytes32 requestHash) view returns (address validatorAddress, uint256 agentId, "
                  + "uint8 response, bytes32 responseHash, string tag, uint256 lastUpdate)",
              "0xff2febfc"),
          new Spec(
              "getSummary(uint256 agentId, address[] validatorAddresses, string tag) view "
                  + "returns (uint64 count, uint8 averageResponse)",
              "0x1b7cabd6"),
          new Spec(
              "getAgentValidations(uint256 agentId) view returns (bytes32[] requestHashes)",
              "0x8d5d0c2d"),
          new Spec(
              "getValidatorRequests(address validatorAddress) view returns (bytes32[] requestHashes)",
              "0x4bf3158c"));

  private static final List<Spec> VALIDATION_EVENTS =
      List.of(
          new Spec(
              "ValidationRequest(address indexed validatorAddress, uint256 indexed agentId, string requestURI, "
                  + "bytes32 indexed requestHash)",
              "0x530436c3634a98e1e626b0898be2f1e9980cc1bd2a78c07a0aba52d0a48a5059"),
          new Spec(
              "ValidationResponse(address indexed validatorAddress, uint256 indexed agentId, "
                  + "bytes32 indexed requestHash, uint8 response, string responseURI, bytes32 responseHash, string tag)",
              "0xafddf629e874ccc3963b6a888c477bd464a6c8525024fc88759ea3b2326349ae"));

  /** The reference's version getter, as on the Identity Registry. */
  private static final List<String> REGISTRY_EXTRA_FUNCTIONS = List.of("getVersion()");

  @Test
  void identityRegistryAbiIsTheSpecs() {
    check(
        ContractArtifact.IDENTITY_REGISTRY,
        IDENTITY_FUNCTIONS,
        IDENTITY_EXTRA_FUNCTIONS,
        IDENTITY_EVENTS,
        IDENTITY_EXTRA_EVENTS);
  }

  @Test
  void reputationRegistryAbiIsTheSpecs() {
    check(
        ContractArtifact.REPUTATION_REGISTRY,
        REPUTATION_FUNCTIONS,
        REGISTRY_EXTRA_FUNCTIONS,
        REPUTATION_EVENTS,
        List.of());
  }

  @Test
  void validationRegistryAbiIsTheSpecs() {
    check(
        ContractArtifact.VALIDATION_REGISTRY,
        VALIDATION_FUNCTIONS,
        REGISTRY_EXTRA_FUNCTIONS,
        VALIDATION_EVENTS,
        List.of());
  }

  @Test
  void referenceOnlyUpgradeEntryPointsAreAbsent() {
    // The reference's UUPS initializer of the Identity Registry (table: initialize() = 0x8129fc1c)
    // and upgrade
    // hooks have no purpose in these non-upgradeable contracts.
    assertEquals("0x8129fc1c", selector("initialize()"));
    for (String name :
        List.of(
            ContractArtifact.IDENTITY_REGISTRY,
            ContractArtifact.REPUTATION_REGISTRY,
            ContractArtifact.VALIDATION_REGISTRY)) {
      Map<String, JsonNode> functions = entries(name, "function");
      assertFalse(functions.containsKey("initialize()"), name);
      assertFalse(functions.keySet().stream().anyMatch(s -> s.startsWith("upgradeTo")), name);
    }
  }

  @Test
  void metadataEntryStructHasTheSpecsFieldNames() {
    JsonNode register =
        entries(ContractArtifact.IDENTITY_REGISTRY, "function")
            .get("register(string,(string,bytes)[])");
    JsonNode metadata = register.path("inputs").get(1);
    assertEquals("struct IdentityRegistry.MetadataEntry[]", metadata.path("internalType").asText());
    assertEquals(
        List.of("metadataKey", "metadataValue"),
        List.of(
            metadata.path("components").get(0).path("name").asText(),
            metadata.path("components").get(1).path("name").asText()));
  }

  @Test
  void reservedKeyHashMatchesTheNotes() {
    assertEquals(
        "0x2ac6109326e720d1435c0db66f7e35eda7839f52b6f1f5520a60788e132b4e39",
        keccak("agentWallet"));
  }

  // ------------------------------------------------------------------------------------------------- checking

  private static void check(
      String artifact,
      List<Spec> specFunctions,
      List<String> extraFunctions,
      List<Spec> specEvents,
      List<String> extraEvents) {
    Map<String, JsonNode> functions = entries(artifact, "function");
    Map<String, JsonNode> events = entries(artifact, "event");

    TreeSet<String> expectedFunctions = new TreeSet<>(extraFunctions);
    for (Spec spec : specFunctions) {
      Decl d = Decl.parse(spec.declaration(), false);
      String signature = d.signature();
      assertEquals(spec.expectedHash(), selector(signature), "table selector of " + signature);
      assertTrue(expectedFunctions.add(signature), "listed twice: " + signature);
      JsonNode abi = functions.get(signature);
      assertTrue(abi != null, artifact + " lacks " + signature);
      assertEquals(
          spec.expectedHash(), selector(abiSignature(abi)), "ABI selector of " + signature);
      assertEquals(d.inputNames(), names(abi.path("inputs")), "parameter names of " + signature);
      assertEquals(d.outputs(), typesAndNames(abi.path("outputs")), "outputs of " + signature);
      assertEquals(
          d.view() ? "view" : "nonpayable",
          abi.path("stateMutability").asText(),
          "mutability of " + signature);
    }
    assertEquals(expectedFunctions, new TreeSet<>(functions.keySet()), artifact + " functions");
    // Both directions by selector too: no two entries may collide, and the ABI's set is the
    // expected set.
    assertEquals(
        selectors(expectedFunctions), selectors(functions.keySet()), artifact + " selectors");

    TreeSet<String> expectedEvents = new TreeSet<>(extraEvents);
    for (Spec spec : specEvents) {
      Decl d = Decl.parse(spec.declaration(), true);
      String signature = d.signature();
      assertEquals(spec.expectedHash(), keccak(signature), "table topic0 of " + signature);
      assertTrue(expectedEvents.add(signature), "listed twice: " + signature);
      JsonNode abi = events.get(signature);
      assertTrue(abi != null, artifact + " lacks event " + signature);
      assertEquals(spec.expectedHash(), keccak(abiSignature(abi)), "ABI topic0 of " + signature);
      assertEquals(d.inputNames(), names(abi.path("inputs")), "parameter names of " + signature);
      List<Boolean> indexed = new ArrayList<>();
      abi.path("inputs").forEach(i -> indexed.add(i.path("indexed").asBoolean()));
      assertEquals(d.indexed(), indexed, "indexed flags of " + signature);
      assertFalse(abi.path("anonymous").asBoolean(), signature);
    }
    assertEquals(expectedEvents, new TreeSet<>(events.keySet()), artifact + " events");
  }

  /** The ABI's functions or events of one contract, keyed by canonical signature. */
  private static Map<String, JsonNode> entries(String artifact, String kind) {
    Map<String, JsonNode> out = new TreeMap<>();
    for (JsonNode entry : ContractArtifact.load(artifact).abi()) {
      if (kind.equals(entry.path("type").asText())) {
        assertTrue(out.put(abiSignature(entry), entry) == null, "duplicate " + abiSignature(entry));
      }
    }
    return out;
  }

  private static String abiSignature(JsonNode entry) {
    return entry.path("name").asText() + canonicalTuple(entry.path("inputs"));
  }

  private static String canonicalTuple(JsonNode params) {
    List<String> types = new ArrayList<>();
    params.forEach(p -> types.add(canonicalType(p)));
    return "(" + String.join(",", types) + ")";
  }

  private static String canonicalType(JsonNode param) {
    String type = param.path("type").asText();
    return type.startsWith("tuple")
        ? canonicalTuple(param.path("components")) + type.substring("tuple".length())
        : type;
  }

  private static List<String> names(JsonNode params) {
    List<String> out = new ArrayList<>();
    params.forEach(p -> out.add(p.path("name").asText()));
    return out;
  }

  private static List<String> typesAndNames(JsonNode params) {
    List<String> out = new ArrayList<>();
    params.forEach(p -> out.add((canonicalType(p) + " " + p.path("name").asText()).trim()));
    return out;
  }

  private static TreeSet<String> selectors(Iterable<String> signatures) {
    TreeSet<String> out = new TreeSet<>();
    signatures.forEach(s -> assertTrue(out.add(selector(s)), "selector collision: " + s));
    return out;
  }

  private static String keccak(String text) {
    return Numeric.toHexString(Hash.sha3(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static String selector(String signature) {
    return keccak(signature).substring(0, 10);
  }

  /**
   * A Solidity-style declaration as the spec writes it: {@code name(type [indexed] name, ...)
   * [view] [returns (type [name], ...)]}; tuple types as {@code (type name, ...)[]}.
   */
  private record Decl(
      String name,
      List<String> inputTypes,
      List<String> inputNames,
      List<Boolean> indexed,
      List<String> outputs,
      boolean view) {

    static Decl parse(String text, boolean event) {
      int open = text.indexOf('(');
      int close = matching(text, open);
      String name = text.substring(0, open).trim();
      List<String> types = new ArrayList<>();
      List<String> names = new ArrayList<>();
      List<Boolean> indexed = new ArrayList<>();
      for (String param : splitTopLevel(text.substring(open + 1, close))) {
        Param p = Param.parse(param);
        types.add(p.type());
        names.add(p.name());
        indexed.add(p.indexed());
      }
      String rest = text.substring(close + 1).trim();
      boolean view = rest.startsWith("view");
      List<String> outputs = new ArrayList<>();
      int returns = rest.indexOf("returns");
      if (returns >= 0) {
        int o = rest.indexOf('(', returns);
        for (String param : splitTopLevel(rest.substring(o + 1, matching(rest, o)))) {
          Param p = Param.parse(param);
          outputs.add((p.type() + " " + p.name()).trim());
        }
      }
      if (event && (view || returns >= 0)) {
        throw new IllegalArgumentException("not an event: " + text);
      }
      return new Decl(name, types, names, indexed, outputs, view);
    }

    String signature() {
      return name + "(" + String.join(",", inputTypes) + ")";
    }
  }

  private record Param(String type, String name, boolean indexed) {
    /**
     * "type [indexed] [name]", where type may be a tuple "(t a, u b)[]" (reduced to its canonical
     * types).
     */
    static Param parse(String text) {
      String t = text.trim();
      String type;
      String rest;
      if (t.startsWith("(")) {
        int close = matching(t, 0);
        int end = close + 1;
        while (end < t.length() && !Character.isWhitespace(t.charAt(end))) {
          end++;
        }
        List<String> inner = new ArrayList<>();
        for (String component : splitTopLevel(t.substring(1, close))) {
          inner.add(parse(component).type());
        }
        type = "(" + String.join(",", inner) + ")" + t.substring(close + 1, end);
        rest = t.substring(end).trim();
      } else {
        int space = t.indexOf(' ');
        type = space < 0 ? t : t.substring(0, space);
        rest = space < 0 ? "" : t.substring(space + 1).trim();
      }
      boolean indexed = rest.startsWith("indexed");
      if (indexed) {
        rest = rest.substring("indexed".length()).trim();
      }
      return new Param(type, rest, indexed);
    }
  }

  private static int matching(String text, int open) {
    int depth = 0;
    for (int i = open; i < text.length(); i++) {
      if (text.charAt(i) == '(') {
        depth++;
      } else if (text.charAt(i) == ')' && --depth == 0) {
        return i;
      }
    }
    throw new IllegalArgumentException("unbalanced: " + text);
  }

  private static List<String> splitTopLevel(String text) {
    List<String> out = new ArrayList<>();
    if (text.isBlank()) {
      return out;
    }
    int depth = 0;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(text.substring(start, i));
        start = i + 1;
      }
    }
    out.add(text.substring(start));
    return out;
  }
}
