// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TestPlainToken
/// @notice The third dev token: a 6-decimal ERC-20 with neither EIP-3009 nor EIP-2612, so a payer can only pay it by
/// Permit2 after an on-chain approve(Permit2) -- which the facilitator sponsors under the erc20ApprovalGasSponsoring
/// extension (it funds the approval's gas and broadcasts the payer's signed approve transaction).
contract TestPlainToken is ERC20, Ownable {
    constructor(address initialOwner) ERC20("Plain Dollar", "PLUSD") Ownable(initialOwner) {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Dev-chain faucet: only the deployer may mint.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
