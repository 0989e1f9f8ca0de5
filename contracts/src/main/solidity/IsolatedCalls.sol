// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IsolatedCall
/// @notice Runs one call with a fixed gas limit and reverts with its outcome, abi.encode(bool success, bytes
/// returnData): whatever the call changed (balances, used authorizations, deployed wallets, warm slots) is undone,
/// so the next call in a batch sees the chain exactly as a call of its own would.
contract IsolatedCall {
    constructor(address target, bytes memory data, uint256 gasCap) {
        (bool ok, bytes memory ret) = target.call{gas: gasCap}(data);
        bytes memory out = abi.encode(ok, ret);
        assembly {
            revert(add(out, 32), mload(out))
        }
    }
}

/// @title IsolatedCalls
/// @notice Deployless batch of eth_calls: an eth_call with no `to` and this creation code plus its constructor
/// arguments returns abi.encode(bool[] success, bytes[] returnData), each call run in its own IsolatedCall (its
/// effects rolled back, its gas capped at gasCaps[i]). Never deployed; a sub-call whose outcome cannot be read (the
/// child ran out of gas) reports success = false.
contract IsolatedCalls {
    constructor(address[] memory targets, bytes[] memory data, uint256[] memory gasCaps) {
        uint256 n = targets.length;
        require(data.length == n && gasCaps.length == n, "length mismatch");
        bool[] memory ok = new bool[](n);
        bytes[] memory ret = new bytes[](n);
        for (uint256 i = 0; i < n; i++) {
            try new IsolatedCall(targets[i], data[i], gasCaps[i]) {
                // unreachable: IsolatedCall always reverts
            } catch (bytes memory outcome) {
                if (outcome.length >= 64) {
                    (ok[i], ret[i]) = abi.decode(outcome, (bool, bytes));
                }
            }
        }
        bytes memory out = abi.encode(ok, ret);
        assembly {
            return(add(out, 32), mload(out))
        }
    }
}
