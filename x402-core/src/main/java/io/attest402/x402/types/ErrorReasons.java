package io.attest402.x402.types;

/**
 * The reason codes the official exact/EVM facilitator returns ({@code @x402/evm} 2.27.0 {@code
 * exact/facilitator/errors.ts}, identical to the Go constants), plus the resource-server strings.
 * Clients treat unknown codes as opaque.
 */
public final class ErrorReasons {
  private ErrorReasons() {}

  public static final String ASSET_NOT_DEPLOYED_CONTRACT = "asset_not_deployed_contract";
  public static final String INVALID_SCHEME = "invalid_exact_evm_scheme";
  public static final String NETWORK_MISMATCH = "invalid_exact_evm_network_mismatch";
  public static final String MISSING_EIP712_DOMAIN = "invalid_exact_evm_missing_eip712_domain";
  public static final String RECIPIENT_MISMATCH = "invalid_exact_evm_recipient_mismatch";
  public static final String INVALID_SIGNATURE = "invalid_exact_evm_signature";
  public static final String VALID_BEFORE_EXPIRED =
      "invalid_exact_evm_payload_authorization_valid_before";
  public static final String VALID_AFTER_IN_FUTURE =
      "invalid_exact_evm_payload_authorization_valid_after";

  /** v1 amount mismatch. */
  public static final String AUTHORIZATION_VALUE = "invalid_exact_evm_authorization_value";

  /** v2 amount mismatch. */
  public static final String AUTHORIZATION_VALUE_MISMATCH =
      "invalid_exact_evm_payload_authorization_value_mismatch";

  public static final String UNDEPLOYED_SMART_WALLET =
      "invalid_exact_evm_payload_undeployed_smart_wallet";
  public static final String TRANSACTION_FAILED = "invalid_exact_evm_transaction_failed";
  public static final String TRANSFER_EVENT_MISMATCH = "invalid_exact_evm_transfer_event_mismatch";
  public static final String TOKEN_NAME_MISMATCH = "invalid_exact_evm_token_name_mismatch";
  public static final String TOKEN_VERSION_MISMATCH = "invalid_exact_evm_token_version_mismatch";
  public static final String EIP3009_NOT_SUPPORTED = "invalid_exact_evm_eip3009_not_supported";
  public static final String NONCE_ALREADY_USED = "invalid_exact_evm_nonce_already_used";
  public static final String INSUFFICIENT_BALANCE = "invalid_exact_evm_insufficient_balance";
  public static final String SIMULATION_FAILED = "invalid_exact_evm_transaction_simulation_failed";
  public static final String FAILED_TO_PARSE_SIGNATURE =
      "invalid_exact_evm_failed_to_parse_signature";
  public static final String UNSUPPORTED_PAYLOAD_TYPE = "unsupported_payload_type";
  public static final String INVALID_TRANSACTION_STATE = "invalid_transaction_state";
  public static final String FACTORY_NOT_ALLOWED = "eip6492_factory_not_allowed";
  public static final String SMART_WALLET_DEPLOYMENT_FAILED = "smart_wallet_deployment_failed";

  /** Non-terminal settle outcome: broadcast, receipt not yet seen; carries the tx hash. */
  public static final String SETTLEMENT_PENDING = "settlement_pending";

  /** The resource server answers this one with HTTP 412 instead of 402. */
  public static final String PERMIT2_ALLOWANCE_REQUIRED = "permit2_allowance_required";

  // Generic spec codes
  public static final String INVALID_PAYLOAD = "invalid_payload";
  public static final String INVALID_PAYMENT_REQUIREMENTS = "invalid_payment_requirements";
  public static final String INVALID_X402_VERSION = "invalid_x402_version";
  public static final String UNSUPPORTED_SCHEME = "unsupported_scheme";
  public static final String INVALID_NETWORK = "invalid_network";
  public static final String UNEXPECTED_VERIFY_ERROR = "unexpected_verify_error";
  public static final String UNEXPECTED_SETTLE_ERROR = "unexpected_settle_error";

  // Resource-server strings (PaymentRequired.error)
  public static final String PAYMENT_REQUIRED = "Payment required";
  public static final String NO_MATCHING_REQUIREMENTS = "No matching payment requirements";
  public static final String EXTENSION_ECHO_MISMATCH = "extension_echo_mismatch";
  public static final String VERIFICATION_FAILED = "Verification failed";
  public static final String SETTLEMENT_FAILED = "Settlement failed";

  // Permit2 (exact with assetTransferMethod "permit2"), as @x402/evm 2.27 names them
  public static final String PERMIT2_INVALID_SPENDER = "invalid_permit2_spender";
  public static final String PERMIT2_RECIPIENT_MISMATCH = "invalid_permit2_recipient_mismatch";
  public static final String PERMIT2_DEADLINE_EXPIRED = "permit2_deadline_expired";
  public static final String PERMIT2_NOT_YET_VALID = "permit2_not_yet_valid";
  public static final String PERMIT2_AMOUNT_MISMATCH = "permit2_amount_mismatch";
  public static final String PERMIT2_TOKEN_MISMATCH = "permit2_token_mismatch";
  public static final String PERMIT2_INVALID_SIGNATURE = "invalid_permit2_signature";
  public static final String PERMIT2_SIMULATION_FAILED = "permit2_simulation_failed";
  public static final String PERMIT2_INSUFFICIENT_BALANCE = "permit2_insufficient_balance";
  public static final String PERMIT2_PROXY_NOT_DEPLOYED = "permit2_proxy_not_deployed";
  public static final String PERMIT2_INVALID_AMOUNT = "permit2_invalid_amount";
  public static final String PERMIT2_INVALID_DESTINATION = "permit2_invalid_destination";
  public static final String PERMIT2_INVALID_OWNER = "permit2_invalid_owner";
  public static final String PERMIT2_PAYMENT_TOO_EARLY = "permit2_payment_too_early";
  public static final String PERMIT2_INVALID_NONCE = "permit2_invalid_nonce";
  public static final String PERMIT2_2612_AMOUNT_MISMATCH = "permit2_2612_amount_mismatch";
  public static final String EIP2612_INVALID_FORMAT = "invalid_eip2612_extension_format";
  public static final String EIP2612_FROM_MISMATCH = "eip2612_from_mismatch";
  public static final String EIP2612_ASSET_MISMATCH = "eip2612_asset_mismatch";
  public static final String EIP2612_SPENDER_NOT_PERMIT2 = "eip2612_spender_not_permit2";
  public static final String EIP2612_DEADLINE_EXPIRED = "eip2612_deadline_expired";

  // upto/EVM (@x402/evm 2.27.0 upto/facilitator/errors.ts)
  public static final String UPTO_TRANSACTION_FAILED = "invalid_upto_evm_transaction_failed";
  public static final String UPTO_INVALID_SCHEME = "invalid_upto_evm_scheme";
  public static final String UPTO_NETWORK_MISMATCH = "invalid_upto_evm_network_mismatch";
  public static final String UPTO_SETTLEMENT_EXCEEDS_AMOUNT =
      "invalid_upto_evm_payload_settlement_exceeds_amount";
  public static final String UPTO_AMOUNT_EXCEEDS_PERMITTED = "upto_amount_exceeds_permitted";
  public static final String UPTO_UNAUTHORIZED_FACILITATOR = "upto_unauthorized_facilitator";
  public static final String UPTO_FACILITATOR_MISMATCH = "upto_facilitator_mismatch";

  // erc20ApprovalGasSponsoring: the official reasons (@x402/evm 2.27 shared/erc20approval.ts)
  public static final String ERC20_APPROVAL_INVALID_FORMAT =
      "invalid_erc20_approval_extension_format";
  public static final String ERC20_APPROVAL_FROM_MISMATCH = "erc20_approval_from_mismatch";
  public static final String ERC20_APPROVAL_ASSET_MISMATCH = "erc20_approval_asset_mismatch";
  public static final String ERC20_APPROVAL_SPENDER_NOT_PERMIT2 =
      "erc20_approval_spender_not_permit2";
  public static final String ERC20_APPROVAL_TX_WRONG_TARGET = "erc20_approval_tx_wrong_target";
  public static final String ERC20_APPROVAL_TX_WRONG_SELECTOR = "erc20_approval_tx_wrong_selector";
  public static final String ERC20_APPROVAL_TX_WRONG_SPENDER = "erc20_approval_tx_wrong_spender";
  public static final String ERC20_APPROVAL_TX_INVALID_CALLDATA =
      "erc20_approval_tx_invalid_calldata";
  public static final String ERC20_APPROVAL_TX_SIGNER_MISMATCH =
      "erc20_approval_tx_signer_mismatch";
  public static final String ERC20_APPROVAL_TX_INVALID_SIGNATURE =
      "erc20_approval_tx_invalid_signature";
  public static final String ERC20_APPROVAL_TX_PARSE_FAILED = "erc20_approval_tx_parse_failed";
  public static final String ERC20_APPROVAL_BROADCAST_FAILED = "erc20_approval_broadcast_failed";

  /**
   * attest402's own refusals of a sponsored approval the official code would broadcast and pay for:
   * one that approves less than the payment (the settlement would revert after the facilitator paid
   * the approval's gas), one for another chain, with a value, or with gas or fees above what the
   * facilitator funds, or at a nonce the payer's account is not at.
   */
  public static final String ERC20_APPROVAL_TX_AMOUNT_TOO_LOW = "erc20_approval_tx_amount_too_low";

  public static final String ERC20_APPROVAL_TX_WRONG_CHAIN = "erc20_approval_tx_wrong_chain";
  public static final String ERC20_APPROVAL_TX_HAS_VALUE = "erc20_approval_tx_has_value";
  public static final String ERC20_APPROVAL_TX_GAS_TOO_HIGH = "erc20_approval_tx_gas_too_high";
  public static final String ERC20_APPROVAL_TX_FEE_TOO_HIGH = "erc20_approval_tx_fee_too_high";
  public static final String ERC20_APPROVAL_TX_NONCE_MISMATCH = "erc20_approval_tx_nonce_mismatch";
}
