// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

import {Permit2} from "./Permit2.sol";

/// @title Shared part of the x402 Permit2 proxies
/// @notice Our own implementation with the ABI, errors, events and witness types of x402's x402ExactPermit2Proxy and
/// x402UptoPermit2Proxy as the official x402 EVM package (2.27) names them. The proxy is the Permit2 `spender` the payer signs for, and
/// the witness binds the recipient (and, for upto, the facilitator), so whoever submits cannot redirect funds.
/// @dev PERMIT2 is immutable (part of the runtime code), so code deployed with the canonical Permit2 address and
/// then placed at the canonical proxy address works there.
abstract contract X402Permit2ProxyBase is ReentrancyGuard {
    /// @notice EIP-2612 permit of the payer for Permit2, grouped as the official ABI does.
    struct EIP2612Permit {
        uint256 value;
        uint256 deadline;
        bytes32 r;
        bytes32 s;
        uint8 v;
    }

    // solhint-disable-next-line var-name-mixedcase
    Permit2 public immutable PERMIT2;

    event Settled();
    event SettledWithPermit();

    error InvalidPermit2Address();
    error InvalidDestination();
    error InvalidOwner();
    error PaymentTooEarly();
    error Permit2612AmountMismatch();

    constructor(address permit2) {
        if (permit2 == address(0)) revert InvalidPermit2Address();
        PERMIT2 = Permit2(permit2);
    }

    /// @dev Checks the parties and time window, then lets Permit2 check signature, nonce, deadline and amount.
    function _transfer(
        Permit2.PermitTransferFrom calldata permit,
        uint256 amount,
        address owner,
        address to,
        uint256 validAfter,
        bytes32 witnessHash,
        string memory witnessTypeString,
        bytes calldata signature
    ) internal {
        if (owner == address(0)) revert InvalidOwner();
        if (to == address(0)) revert InvalidDestination();
        if (block.timestamp < validAfter) revert PaymentTooEarly();
        PERMIT2.permitWitnessTransferFrom(
            permit, Permit2.SignatureTransferDetails({to: to, requestedAmount: amount}), owner, witnessHash,
            witnessTypeString, signature
        );
    }

    /// @dev Submits the payer's EIP-2612 approval of Permit2. A failing permit is ignored (it may have been
    /// submitted already by someone else, or the allowance exist): the transfer then fails on its own if the
    /// allowance is missing.
    function _permitPermit2(address token, address owner, EIP2612Permit calldata p, uint256 permitted) internal {
        if (p.value != permitted) revert Permit2612AmountMismatch();
        try IERC20Permit(token).permit(owner, address(PERMIT2), p.value, p.deadline, p.v, p.r, p.s) {} catch {}
    }
}
