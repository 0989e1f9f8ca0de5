package io.attest402.erc8004;

import io.attest402.contracts.generated.IdentityRegistry;
import io.attest402.contracts.generated.ReputationRegistry;
import io.attest402.contracts.generated.ValidationRegistry;
import org.web3j.abi.EventEncoder;

/** topic0 of the registry events (keccak of the event signatures of the 2026-01-25 ABI). */
public final class Events {
  private Events() {}

  public static final String REGISTERED = EventEncoder.encode(IdentityRegistry.REGISTERED_EVENT);
  public static final String URI_UPDATED = EventEncoder.encode(IdentityRegistry.URIUPDATED_EVENT);
  public static final String METADATA_SET = EventEncoder.encode(IdentityRegistry.METADATASET_EVENT);
  public static final String TRANSFER = EventEncoder.encode(IdentityRegistry.TRANSFER_EVENT);
  public static final String NEW_FEEDBACK =
      EventEncoder.encode(ReputationRegistry.NEWFEEDBACK_EVENT);
  public static final String FEEDBACK_REVOKED =
      EventEncoder.encode(ReputationRegistry.FEEDBACKREVOKED_EVENT);
  public static final String RESPONSE_APPENDED =
      EventEncoder.encode(ReputationRegistry.RESPONSEAPPENDED_EVENT);
  public static final String VALIDATION_REQUEST =
      EventEncoder.encode(ValidationRegistry.VALIDATIONREQUEST_EVENT);
  public static final String VALIDATION_RESPONSE =
      EventEncoder.encode(ValidationRegistry.VALIDATIONRESPONSE_EVENT);
}
