// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TestPermitToken
/// @notice TestUSDC's sibling for the tokens x402 pays with through Permit2: a 6-decimal ERC-20 with EIP-2612
/// `permit` (EIP-712 domain "Permit Dollar" / "1") and no EIP-3009, so a payer can only pay it by Permit2 and
/// approve Permit2 gaslessly by a signed permit (the eip2612GasSponsoring extension).
contract TestPermitToken is ERC20, ERC20Permit, Ownable {
    constructor(address initialOwner) ERC20("Permit Dollar", "PUSD") ERC20Permit("Permit Dollar") Ownable(initialOwner) {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice The EIP-712 domain version, read by wallets and x402 servers to fill `extra.version`.
    function version() external pure returns (string memory) {
        return "1";
    }

    /// @notice Dev-chain faucet: only the deployer may mint.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
