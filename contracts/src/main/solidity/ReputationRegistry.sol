// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
// Placeholder replaced by the ERC-8004 implementation.
contract ReputationRegistry { address public immutable identityRegistry; constructor(address r) { identityRegistry = r; } }
