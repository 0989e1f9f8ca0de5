// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The part of the Identity Registry the other two registries rely on (our IdentityRegistry and the
/// reference v2.0.0 deployment both have it).
interface IIdentityRegistryAuth {
    function isAuthorizedOrOwner(address spender, uint256 agentId) external view returns (bool);
}

/// @title IdentityRegistryLink
/// @notice The identity-registry binding shared by the Reputation and Validation registries:
/// `initialize(address)` and `getIdentityRegistry()` as the spec names them.
/// @dev The registries are not upgradeable, so the address normally arrives in the constructor. `initialize` still
/// exists because the spec lists it, and it serves deployments that need constructor-free bytecode (e.g. CREATE2 to
/// the same address on every chain): deploy with address(0), then the deployer initializes once.
abstract contract IdentityRegistryLink {
    address private _identityRegistry;
    address private immutable _deployer;

    constructor(address identityRegistry_) {
        _deployer = msg.sender;
        _identityRegistry = identityRegistry_;
    }

    /// @notice Binds the identity registry when the constructor did not. Deployer only, once.
    function initialize(address identityRegistry_) external {
        require(msg.sender == _deployer, "Not authorized");
        require(_identityRegistry == address(0), "already initialized");
        require(identityRegistry_ != address(0), "bad identity");
        _identityRegistry = identityRegistry_;
    }

    /// @notice The Identity Registry whose agentIds this registry refers to.
    function getIdentityRegistry() external view returns (address identityRegistry) {
        return _identityRegistry;
    }

    /// @dev Whether msg.sender is the agent's owner, operator or approved address. An unknown agent reverts with
    /// a readable reason here rather than with the identity registry's custom error, which callers of this
    /// registry's ABI could not decode.
    function _callerControlsAgent(uint256 agentId) internal view returns (bool) {
        address registry = _identityRegistry;
        require(registry != address(0), "not initialized");
        try IIdentityRegistryAuth(registry).isAuthorizedOrOwner(msg.sender, agentId) returns (bool authorized) {
            return authorized;
        } catch {
            revert("Agent does not exist");
        }
    }
}
