// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IdentityRegistryLink} from "./IdentityRegistryLink.sol";

/// @title ReputationRegistry
/// @notice ERC-8004 (2026-01-25 text) Reputation Registry: clients post signed fixed-point feedback
/// (`value` with `valueDecimals`, 0..18) about agents, may revoke it, and anyone may append responses.
/// @dev Not upgradeable. Behaviour the spec leaves open follows the reference deployment (erc-8004-contracts v2.0.0),
/// including its revert strings; see contracts/DECISIONS.md.
contract ReputationRegistry is IdentityRegistryLink {
    event NewFeedback(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        int128 value,
        uint8 valueDecimals,
        string indexed indexedTag1,
        string tag1,
        string tag2,
        string endpoint,
        string feedbackURI,
        bytes32 feedbackHash
    );
    event FeedbackRevoked(uint256 indexed agentId, address indexed clientAddress, uint64 indexed feedbackIndex);
    event ResponseAppended(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        address indexed responder,
        string responseURI,
        bytes32 responseHash
    );

    struct Feedback {
        int128 value;
        uint8 valueDecimals;
        bool isRevoked;
        string tag1;
        string tag2;
    }

    /// @dev The matching entries of readAllFeedback, gathered in memory so the external function stays shallow.
    struct FeedbackList {
        address[] clients;
        uint64[] feedbackIndexes;
        int128[] values;
        uint8[] valueDecimals;
        string[] tag1s;
        string[] tag2s;
        bool[] revokedStatuses;
    }

    /// @dev getSummary's running totals, in memory to keep the stack shallow.
    struct Tally {
        int256 sum;
        uint64 count;
        uint64[19] perDecimals;
        bytes32 tag1Hash;
        bytes32 tag2Hash;
    }

    uint8 private constant MAX_DECIMALS = 18;
    /// @dev |value| at most 1e38 keeps value * 10^18 (the common scale getSummary sums at) far inside int256.
    int256 private constant MAX_ABS_VALUE = 1e38;

    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => Feedback))) private _feedback;
    mapping(uint256 agentId => mapping(address client => uint64 lastIndex)) private _lastIndex;
    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => mapping(address responder => uint64))))
        private _responseCount;
    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => address[]))) private _responders;
    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => mapping(address responder => bool))))
        private _responderKnown;
    mapping(uint256 agentId => address[]) private _clients;
    mapping(uint256 agentId => mapping(address client => bool)) private _clientKnown;

    constructor(address identityRegistry_) IdentityRegistryLink(identityRegistry_) {}

    // ------------------------------------------------------------------------------------------------ writes

    /// @notice Records feedback from msg.sender about `agentId`. The agent must exist; its owner, operators and
    /// approved address may not rate it. Only value, valueDecimals, tags and the revoked flag are stored;
    /// endpoint, feedbackURI and feedbackHash live in the event only.
    function giveFeedback(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string calldata tag1,
        string calldata tag2,
        string calldata endpoint,
        string calldata feedbackURI,
        bytes32 feedbackHash
    ) external {
        require(valueDecimals <= MAX_DECIMALS, "too many decimals");
        require(value <= MAX_ABS_VALUE && value >= -MAX_ABS_VALUE, "value too large");
        require(!_callerControlsAgent(agentId), "Self-feedback not allowed");

        uint64 feedbackIndex = ++_lastIndex[agentId][msg.sender];
        _feedback[agentId][msg.sender][feedbackIndex] =
            Feedback({value: value, valueDecimals: valueDecimals, isRevoked: false, tag1: tag1, tag2: tag2});
        if (!_clientKnown[agentId][msg.sender]) {
            _clientKnown[agentId][msg.sender] = true;
            _clients[agentId].push(msg.sender);
        }
        _emitNewFeedback(agentId, feedbackIndex, tag1, tag2, endpoint, feedbackURI, feedbackHash);
    }

    /// @dev Separate frame: the event has eleven fields, too many next to giveFeedback's calldata strings.
    function _emitNewFeedback(
        uint256 agentId,
        uint64 feedbackIndex,
        string memory tag1,
        string memory tag2,
        string memory endpoint,
        string memory feedbackURI,
        bytes32 feedbackHash
    ) private {
        Feedback storage f = _feedback[agentId][msg.sender][feedbackIndex];
        emit NewFeedback(
            agentId, msg.sender, feedbackIndex, f.value, f.valueDecimals, tag1, tag1, tag2, endpoint, feedbackURI,
            feedbackHash
        );
    }

    /// @notice Marks msg.sender's own feedback as revoked; it stays readable but drops out of summaries.
    function revokeFeedback(uint256 agentId, uint64 feedbackIndex) external {
        require(feedbackIndex > 0, "index must be > 0");
        require(feedbackIndex <= _lastIndex[agentId][msg.sender], "index out of bounds");
        Feedback storage f = _feedback[agentId][msg.sender][feedbackIndex];
        require(!f.isRevoked, "Already revoked");
        f.isRevoked = true;
        emit FeedbackRevoked(agentId, msg.sender, feedbackIndex);
    }

    /// @notice Anyone may attach a response (a refund proof, a spam tag, ...) to existing feedback, revoked or not;
    /// each call counts once for msg.sender.
    function appendResponse(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        string calldata responseURI,
        bytes32 responseHash
    ) external {
        require(feedbackIndex > 0, "index must be > 0");
        require(bytes(responseURI).length > 0, "Empty URI");
        require(feedbackIndex <= _lastIndex[agentId][clientAddress], "index out of bounds");
        if (!_responderKnown[agentId][clientAddress][feedbackIndex][msg.sender]) {
            _responderKnown[agentId][clientAddress][feedbackIndex][msg.sender] = true;
            _responders[agentId][clientAddress][feedbackIndex].push(msg.sender);
        }
        _responseCount[agentId][clientAddress][feedbackIndex][msg.sender]++;
        emit ResponseAppended(agentId, clientAddress, feedbackIndex, msg.sender, responseURI, responseHash);
    }

    // ------------------------------------------------------------------------------------------------- reads

    /// @notice Average of the non-revoked feedback from `clientAddresses` (required: an unfiltered average is
    /// open to Sybil clients), optionally only where tag1/tag2 match exactly ("" matches any).
    /// @dev Values are brought to 18 decimals, summed and averaged; the result is expressed in the most frequent
    /// valueDecimals among the matches (ties: the fewer decimals), truncating toward zero. (0,0,0) when none match.
    function getSummary(uint256 agentId, address[] calldata clientAddresses, string memory tag1, string memory tag2)
        external
        view
        returns (uint64 count, int128 summaryValue, uint8 summaryValueDecimals)
    {
        require(clientAddresses.length > 0, "clientAddresses required");
        Tally memory t;
        (t.tag1Hash, t.tag2Hash) = (_filterHash(tag1), _filterHash(tag2));
        for (uint256 i; i < clientAddresses.length; i++) {
            _tallyClient(t, agentId, clientAddresses[i]);
        }
        if (t.count == 0) {
            return (0, 0, 0);
        }
        for (uint8 d = 1; d <= MAX_DECIMALS; d++) {
            if (t.perDecimals[d] > t.perDecimals[summaryValueDecimals]) summaryValueDecimals = d;
        }
        int256 average = t.sum / int256(uint256(t.count)) / int256(10 ** (MAX_DECIMALS - summaryValueDecimals));
        require(average >= type(int128).min && average <= type(int128).max, "summary overflow");
        (count, summaryValue) = (t.count, int128(average));
    }

    function _tallyClient(Tally memory t, uint256 agentId, address client) private view {
        uint64 last = _lastIndex[agentId][client];
        for (uint64 j = 1; j <= last; j++) {
            Feedback storage f = _feedback[agentId][client][j];
            if (f.isRevoked || !_tagsMatch(f, t.tag1Hash, t.tag2Hash)) continue;
            t.sum += int256(f.value) * int256(10 ** (MAX_DECIMALS - f.valueDecimals));
            t.perDecimals[f.valueDecimals]++;
            t.count++;
        }
    }

    /// @notice One stored feedback entry; reverts for index 0 or beyond the client's last index.
    function readFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (int128 value, uint8 valueDecimals, string memory tag1, string memory tag2, bool isRevoked)
    {
        require(feedbackIndex > 0, "index must be > 0");
        require(feedbackIndex <= _lastIndex[agentId][clientAddress], "index out of bounds");
        Feedback storage f = _feedback[agentId][clientAddress][feedbackIndex];
        return (f.value, f.valueDecimals, f.tag1, f.tag2, f.isRevoked);
    }

    /// @notice All feedback matching the filters: `clientAddresses` empty means every client of the agent (in
    /// first-feedback order); "" tags match any; revoked entries only with includeRevoked.
    function readAllFeedback(
        uint256 agentId,
        address[] memory clientAddresses,
        string memory tag1,
        string memory tag2,
        bool includeRevoked
    )
        external
        view
        returns (
            address[] memory clients,
            uint64[] memory feedbackIndexes,
            int128[] memory values,
            uint8[] memory valueDecimals,
            string[] memory tag1s,
            string[] memory tag2s,
            bool[] memory revokedStatuses
        )
    {
        if (clientAddresses.length == 0) clientAddresses = _clients[agentId];
        FeedbackList memory list = _collect(agentId, clientAddresses, tag1, tag2, includeRevoked);
        clients = list.clients;
        feedbackIndexes = list.feedbackIndexes;
        values = list.values;
        valueDecimals = list.valueDecimals;
        tag1s = list.tag1s;
        tag2s = list.tag2s;
        revokedStatuses = list.revokedStatuses;
    }

    function _collect(
        uint256 agentId,
        address[] memory clientList,
        string memory tag1,
        string memory tag2,
        bool includeRevoked
    ) private view returns (FeedbackList memory list) {
        (bytes32 tag1Hash, bytes32 tag2Hash) = (_filterHash(tag1), _filterHash(tag2));
        uint256 total;
        for (uint256 i; i < clientList.length; i++) {
            uint64 last = _lastIndex[agentId][clientList[i]];
            for (uint64 j = 1; j <= last; j++) {
                Feedback storage f = _feedback[agentId][clientList[i]][j];
                if ((includeRevoked || !f.isRevoked) && _tagsMatch(f, tag1Hash, tag2Hash)) total++;
            }
        }
        list.clients = new address[](total);
        list.feedbackIndexes = new uint64[](total);
        list.values = new int128[](total);
        list.valueDecimals = new uint8[](total);
        list.tag1s = new string[](total);
        list.tag2s = new string[](total);
        list.revokedStatuses = new bool[](total);
        uint256 n;
        for (uint256 i; i < clientList.length; i++) {
            uint64 last = _lastIndex[agentId][clientList[i]];
            for (uint64 j = 1; j <= last; j++) {
                Feedback storage f = _feedback[agentId][clientList[i]][j];
                if (!((includeRevoked || !f.isRevoked) && _tagsMatch(f, tag1Hash, tag2Hash))) continue;
                list.clients[n] = clientList[i];
                list.feedbackIndexes[n] = j;
                list.values[n] = f.value;
                list.valueDecimals[n] = f.valueDecimals;
                list.tag1s[n] = f.tag1;
                list.tag2s[n] = f.tag2;
                list.revokedStatuses[n] = f.isRevoked;
                n++;
            }
        }
    }

    /// @notice Number of responses: `clientAddress` zero counts over every client and index, `feedbackIndex` zero
    /// over every index of that client; `responders` empty counts every responder.
    function getResponseCount(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        address[] calldata responders
    ) external view returns (uint64 count) {
        if (clientAddress == address(0)) {
            address[] storage all = _clients[agentId];
            for (uint256 i; i < all.length; i++) {
                count += _countForClient(agentId, all[i], responders);
            }
        } else if (feedbackIndex == 0) {
            count = _countForClient(agentId, clientAddress, responders);
        } else {
            count = _countResponses(agentId, clientAddress, feedbackIndex, responders);
        }
    }

    function _countForClient(uint256 agentId, address client, address[] calldata responders)
        private
        view
        returns (uint64 count)
    {
        uint64 last = _lastIndex[agentId][client];
        for (uint64 j = 1; j <= last; j++) {
            count += _countResponses(agentId, client, j, responders);
        }
    }

    function _countResponses(uint256 agentId, address client, uint64 feedbackIndex, address[] calldata responders)
        private
        view
        returns (uint64 count)
    {
        mapping(address => uint64) storage perResponder = _responseCount[agentId][client][feedbackIndex];
        if (responders.length == 0) {
            address[] storage known = _responders[agentId][client][feedbackIndex];
            for (uint256 k; k < known.length; k++) {
                count += perResponder[known[k]];
            }
        } else {
            for (uint256 k; k < responders.length; k++) {
                count += perResponder[responders[k]];
            }
        }
    }

    /// @notice Every address that has given the agent feedback, in order of their first feedback.
    function getClients(uint256 agentId) external view returns (address[] memory) {
        return _clients[agentId];
    }

    /// @notice The client's highest feedbackIndex for the agent (0 before any feedback).
    function getLastIndex(uint256 agentId, address clientAddress) external view returns (uint64) {
        return _lastIndex[agentId][clientAddress];
    }

    /// @notice The ABI generation implemented ("2.0.0", as the reference reports for this interface).
    function getVersion() external pure returns (string memory) {
        return "2.0.0";
    }

    /// @dev A tag filter as a hash, bytes32(0) meaning "any" (the empty string filters nothing).
    function _filterHash(string memory tag) private pure returns (bytes32) {
        return bytes(tag).length == 0 ? bytes32(0) : keccak256(bytes(tag));
    }

    function _tagsMatch(Feedback storage f, bytes32 tag1Hash, bytes32 tag2Hash) private view returns (bool) {
        return (tag1Hash == bytes32(0) || keccak256(bytes(f.tag1)) == tag1Hash)
            && (tag2Hash == bytes32(0) || keccak256(bytes(f.tag2)) == tag2Hash);
    }
}
