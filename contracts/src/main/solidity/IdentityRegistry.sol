// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
// Placeholder replaced by the ERC-8004 implementation.
contract IdentityRegistry {}
