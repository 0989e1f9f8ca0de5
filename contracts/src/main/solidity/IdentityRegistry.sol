// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";
import {ERC721Utils} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Utils.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title IdentityRegistry
/// @notice ERC-8004 (2026-01-25 text) Identity Registry: every agent is an ERC-721 token (agentId = tokenId,
/// agentURI = tokenURI) with on-chain metadata and a verified payment address under the reserved key `agentWallet`.
/// @dev Not upgradeable. Behaviour the spec leaves open follows the reference deployment (erc-8004-contracts v2.0.0):
/// agentIds start at 0, revert strings are the reference's, `agentWallet` is stored as 20 packed bytes in the
/// metadata map. See contracts/DECISIONS.md.
contract IdentityRegistry is ERC721URIStorage, EIP712 {
    struct MetadataEntry {
        string metadataKey;
        bytes metadataValue;
    }

    event Registered(uint256 indexed agentId, string agentURI, address indexed owner);
    event MetadataSet(
        uint256 indexed agentId, string indexed indexedMetadataKey, string metadataKey, bytes metadataValue
    );
    event URIUpdated(uint256 indexed agentId, string newURI, address indexed updatedBy);

    string private constant AGENT_WALLET_KEY = "agentWallet";
    bytes32 private constant AGENT_WALLET_KEY_HASH = keccak256(bytes(AGENT_WALLET_KEY));
    /// @dev The reference's type, so wallets signing for the canonical registries sign for this one unchanged.
    bytes32 private constant AGENT_WALLET_SET_TYPEHASH =
        keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)");
    /// @dev The signature carries no nonce, so a short horizon bounds how long a consent can be replayed.
    uint256 private constant MAX_DEADLINE_DELAY = 5 minutes;

    uint256 private _lastId;
    mapping(uint256 agentId => mapping(string metadataKey => bytes metadataValue)) private _metadata;

    constructor() ERC721("AgentIdentity", "AGENT") EIP712("ERC8004IdentityRegistry", "1") {}

    // ------------------------------------------------------------------------------------------- registration

    /// @notice Registers an agent without a URI (set it later with setAgentURI). agentWallet starts as the caller.
    function register() external returns (uint256 agentId) {
        agentId = _mintAgent();
        _completeRegistration(agentId, "");
    }

    /// @notice Registers an agent whose registration file is at `agentURI`. agentWallet starts as the caller.
    function register(string calldata agentURI) external returns (uint256 agentId) {
        agentId = _mintAgent();
        _setTokenURI(agentId, agentURI);
        _completeRegistration(agentId, agentURI);
    }

    /// @notice Registers an agent with a URI and extra metadata; the reserved key `agentWallet` is rejected.
    function register(string calldata agentURI, MetadataEntry[] calldata metadata)
        external
        returns (uint256 agentId)
    {
        agentId = _mintAgent();
        _setTokenURI(agentId, agentURI);
        for (uint256 i; i < metadata.length; i++) {
            _setMetadata(agentId, metadata[i].metadataKey, metadata[i].metadataValue);
        }
        _completeRegistration(agentId, agentURI);
    }

    /// @dev Mints without the receiver callback (that runs last, in _completeRegistration, once the agent is
    /// fully set up) and records the caller as the initial agentWallet, as the spec requires.
    function _mintAgent() private returns (uint256 agentId) {
        agentId = _lastId++;
        _mint(msg.sender, agentId);
        _writeWallet(agentId, abi.encodePacked(msg.sender));
    }

    function _completeRegistration(uint256 agentId, string memory agentURI) private {
        emit Registered(agentId, agentURI, msg.sender);
        // Same acceptance check as _safeMint, done after all state is written so a receiving contract sees a
        // complete agent and cannot re-enter a half-registered one.
        ERC721Utils.checkOnERC721Received(msg.sender, address(0), msg.sender, agentId, "");
    }

    // --------------------------------------------------------------------------------------------- agentURI

    /// @notice Points the agent at a new registration file. Owner, operator or approved address only.
    function setAgentURI(uint256 agentId, string calldata newURI) external {
        _requireAuthorized(agentId);
        _setTokenURI(agentId, newURI);
        emit URIUpdated(agentId, newURI, msg.sender);
    }

    // --------------------------------------------------------------------------------------------- metadata

    /// @notice Raw metadata bytes (empty when unset). `agentWallet` reads as 20 packed address bytes.
    function getMetadata(uint256 agentId, string memory metadataKey) external view returns (bytes memory) {
        return _metadata[agentId][metadataKey];
    }

    /// @notice Sets one metadata entry. Owner, operator or approved address only; `agentWallet` is reserved.
    function setMetadata(uint256 agentId, string memory metadataKey, bytes memory metadataValue) external {
        _requireAuthorized(agentId);
        _setMetadata(agentId, metadataKey, metadataValue);
    }

    function _setMetadata(uint256 agentId, string memory metadataKey, bytes memory metadataValue) private {
        require(keccak256(bytes(metadataKey)) != AGENT_WALLET_KEY_HASH, "reserved key");
        _metadata[agentId][metadataKey] = metadataValue;
        emit MetadataSet(agentId, metadataKey, metadataKey, metadataValue);
    }

    // ------------------------------------------------------------------------------------------ agentWallet

    /// @notice Sets the agent's payment address after proving that `newWallet` consents: an EIP-712
    /// `AgentWalletSet(agentId,newWallet,owner,deadline)` signature by `newWallet` (ECDSA for EOAs, ERC-1271 for
    /// contract wallets), valid until `deadline`, which may be at most 5 minutes ahead.
    /// @dev Called by the owner, an operator or the approved address; the signature comes from the wallet.
    function setAgentWallet(uint256 agentId, address newWallet, uint256 deadline, bytes calldata signature)
        external
    {
        address owner = _requireAuthorized(agentId);
        require(newWallet != address(0), "bad wallet");
        require(block.timestamp <= deadline, "expired");
        require(deadline <= block.timestamp + MAX_DEADLINE_DELAY, "deadline too far");
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(AGENT_WALLET_SET_TYPEHASH, agentId, newWallet, owner, deadline)));
        require(_isWalletSignature(newWallet, digest, signature), "invalid wallet sig");
        _writeWallet(agentId, abi.encodePacked(newWallet));
    }

    /// @notice The agent's verified payment address; the zero address when unset, cleared or unregistered.
    function getAgentWallet(uint256 agentId) external view returns (address) {
        bytes memory packed = _metadata[agentId][AGENT_WALLET_KEY];
        return packed.length == 20 ? address(bytes20(packed)) : address(0);
    }

    /// @notice Clears the agent's payment address. Owner, operator or approved address only.
    function unsetAgentWallet(uint256 agentId) external {
        _requireAuthorized(agentId);
        _writeWallet(agentId, "");
    }

    /// @dev ECDSA first, then ERC-1271 (as the reference does): an EIP-7702 account has code yet still signs with its
    /// key, which SignatureChecker.isValidSignatureNow alone would send down the ERC-1271 path only.
    function _isWalletSignature(address wallet, bytes32 digest, bytes calldata signature) private view returns (bool) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == wallet) {
            return true;
        }
        return wallet.code.length > 0 && SignatureChecker.isValidERC1271SignatureNow(wallet, digest, signature);
    }

    function _writeWallet(uint256 agentId, bytes memory packed) private {
        _metadata[agentId][AGENT_WALLET_KEY] = packed;
        emit MetadataSet(agentId, AGENT_WALLET_KEY, AGENT_WALLET_KEY, packed);
    }

    /// @dev A transfer (not a mint) clears agentWallet: the new owner must prove a wallet of its own.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != address(0) && to != address(0)) {
            _writeWallet(tokenId, "");
        }
    }

    // ----------------------------------------------------------------------------------- reference extras

    /// @notice True when `spender` is the agent's owner, an operator of the owner, or the approved address.
    /// Reverts ERC721NonexistentToken for an unknown agent. The other registries use it (as in the reference).
    function isAuthorizedOrOwner(address spender, uint256 agentId) external view returns (bool) {
        return _isAuthorized(_requireOwned(agentId), spender, agentId);
    }

    /// @notice The ABI generation implemented: "2.0.0" is what the reference reports for the 2026-01-25 interface.
    function getVersion() external pure returns (string memory) {
        return "2.0.0";
    }

    /// @dev Returns the owner; reverts ERC721NonexistentToken for an unknown agent, "Not authorized" for others.
    function _requireAuthorized(uint256 agentId) private view returns (address owner) {
        owner = _requireOwned(agentId);
        require(_isAuthorized(owner, msg.sender, agentId), "Not authorized");
    }
}
