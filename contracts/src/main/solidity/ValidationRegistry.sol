// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IdentityRegistryLink} from "./IdentityRegistryLink.sol";

/// @title ValidationRegistry
/// @notice ERC-8004 (2026-01-25 text) Validation Registry: an agent's owner asks a named validator to check its
/// work (`validationRequest`); that validator answers 0..100 (`validationResponse`), as often as it likes.
/// @dev Not upgradeable. Behaviour the spec leaves open follows the reference deployment (erc-8004-contracts v2.0.0),
/// including its revert strings; see contracts/DECISIONS.md.
contract ValidationRegistry is IdentityRegistryLink {
    event ValidationRequest(
        address indexed validatorAddress, uint256 indexed agentId, string requestURI, bytes32 indexed requestHash
    );
    event ValidationResponse(
        address indexed validatorAddress,
        uint256 indexed agentId,
        bytes32 indexed requestHash,
        uint8 response,
        string responseURI,
        bytes32 responseHash,
        string tag
    );

    struct ValidationStatus {
        address validatorAddress;
        uint8 response;
        bool hasResponse;
        uint256 agentId;
        bytes32 responseHash;
        string tag;
        uint256 lastUpdate;
    }

    uint8 private constant MAX_RESPONSE = 100;

    mapping(bytes32 requestHash => ValidationStatus) private _validations;
    mapping(uint256 agentId => bytes32[]) private _agentValidations;
    mapping(address validator => bytes32[]) private _validatorRequests;

    constructor(address identityRegistry_) IdentityRegistryLink(identityRegistry_) {}

    /// @notice Asks `validatorAddress` to validate the work described at `requestURI`; `requestHash` (keccak256
    /// of that payload) identifies the request and must be new. Owner, operator or approved address of the agent.
    function validationRequest(
        address validatorAddress,
        uint256 agentId,
        string calldata requestURI,
        bytes32 requestHash
    ) external {
        require(validatorAddress != address(0), "bad validator");
        require(_validations[requestHash].validatorAddress == address(0), "exists");
        require(_callerControlsAgent(agentId), "Not authorized");

        ValidationStatus storage s = _validations[requestHash];
        s.validatorAddress = validatorAddress;
        s.agentId = agentId;
        s.lastUpdate = block.timestamp;
        _agentValidations[agentId].push(requestHash);
        _validatorRequests[validatorAddress].push(requestHash);
        emit ValidationRequest(validatorAddress, agentId, requestURI, requestHash);
    }

    /// @notice The named validator's answer, 0 (failed) .. 100 (passed). A later call replaces the stored
    /// response, hash and tag (e.g. "soft" then "hard" finality); every call is logged.
    function validationResponse(
        bytes32 requestHash,
        uint8 response,
        string calldata responseURI,
        bytes32 responseHash,
        string calldata tag
    ) external {
        require(response <= MAX_RESPONSE, "resp>100");
        ValidationStatus storage s = _validations[requestHash];
        address validatorAddress = s.validatorAddress;
        require(validatorAddress != address(0), "unknown");
        require(msg.sender == validatorAddress, "not validator");

        s.response = response;
        s.hasResponse = true;
        s.responseHash = responseHash;
        s.tag = tag;
        s.lastUpdate = block.timestamp;
        emit ValidationResponse(validatorAddress, s.agentId, requestHash, response, responseURI, responseHash, tag);
    }

    /// @notice The request's current state; reverts "unknown" for a hash never requested. Before any response,
    /// response is 0, tag "" and lastUpdate the request time (the ValidationResponse log tells the two apart).
    function getValidationStatus(bytes32 requestHash)
        external
        view
        returns (
            address validatorAddress,
            uint256 agentId,
            uint8 response,
            bytes32 responseHash,
            string memory tag,
            uint256 lastUpdate
        )
    {
        ValidationStatus storage s = _validations[requestHash];
        require(s.validatorAddress != address(0), "unknown");
        return (s.validatorAddress, s.agentId, s.response, s.responseHash, s.tag, s.lastUpdate);
    }

    /// @notice Count and integer average of the answered requests for `agentId`, optionally only from
    /// `validatorAddresses` and only with tag `tag` ("" matches any). Unanswered requests are not counted.
    function getSummary(uint256 agentId, address[] calldata validatorAddresses, string calldata tag)
        external
        view
        returns (uint64 count, uint8 averageResponse)
    {
        bytes32 tagHash = bytes(tag).length == 0 ? bytes32(0) : keccak256(bytes(tag));
        bytes32[] storage hashes = _agentValidations[agentId];
        uint256 total;
        for (uint256 i; i < hashes.length; i++) {
            ValidationStatus storage s = _validations[hashes[i]];
            if (!s.hasResponse) continue;
            if (tagHash != bytes32(0) && keccak256(bytes(s.tag)) != tagHash) continue;
            if (!_contains(validatorAddresses, s.validatorAddress)) continue;
            total += s.response;
            count++;
        }
        averageResponse = count == 0 ? 0 : uint8(total / count);
    }

    /// @notice Every requestHash ever requested for the agent, in request order.
    function getAgentValidations(uint256 agentId) external view returns (bytes32[] memory requestHashes) {
        return _agentValidations[agentId];
    }

    /// @notice Every requestHash addressed to the validator, in request order.
    function getValidatorRequests(address validatorAddress) external view returns (bytes32[] memory requestHashes) {
        return _validatorRequests[validatorAddress];
    }

    /// @notice The ABI generation implemented ("2.0.0", as the reference reports for this interface).
    function getVersion() external pure returns (string memory) {
        return "2.0.0";
    }

    /// @dev An empty filter admits every validator.
    function _contains(address[] calldata filter, address validator) private pure returns (bool) {
        if (filter.length == 0) return true;
        for (uint256 j; j < filter.length; j++) {
            if (filter[j] == validator) return true;
        }
        return false;
    }
}
