// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title GasBurningWallet
/// @notice A hostile ERC-1271 payer: it accepts any signature, but only after burning `burn` gas in
/// isValidSignature, so a facilitator that does not cap gas pays millions of gas to settle a payment from it.
contract GasBurningWallet {
    uint256 public immutable burn;

    constructor(uint256 burn_) {
        burn = burn_;
    }

    function isValidSignature(bytes32 hash, bytes memory) external view returns (bytes4) {
        uint256 start = gasleft();
        bytes32 h = hash;
        while (start - gasleft() < burn) {
            h = keccak256(abi.encode(h));
        }
        return h == bytes32(0) ? bytes4(0) : bytes4(0x1626ba7e);
    }
}
