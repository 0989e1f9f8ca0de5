// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SettlementLog
/// @notice Public anchors of receipt chains: a facilitator records, from its own account, the sequence number and
/// hash of the newest receipt it has signed. Anyone can then tell whether the chain a facilitator serves later is
/// the one it anchored (no receipt removed or rewritten, no older copy of its journal running under the same key).
/// @dev Not upgradeable, no owner. Anchors are kept per sender and only move forward: `seq` must be strictly greater
/// than the sender's last one, so a restored or forked copy of a facilitator cannot overwrite what was anchored.
contract SettlementLog {
    struct Anchor {
        uint64 seq;
        uint64 blockNumber;
        uint64 timestamp;
        bytes32 head;
    }

    event Anchored(address indexed facilitator, uint64 indexed seq, bytes32 head, uint64 count);

    mapping(address => Anchor) private _latest;
    mapping(address => mapping(uint64 => bytes32)) private _heads;
    mapping(address => uint64) private _count;

    /// @notice Records that the sender's receipt with sequence number `seq` has hash `head`.
    function anchor(uint64 seq, bytes32 head) external {
        require(head != bytes32(0), "empty head");
        uint64 n = _count[msg.sender];
        require(n == 0 || seq > _latest[msg.sender].seq, "seq not increasing");
        _latest[msg.sender] = Anchor(seq, uint64(block.number), uint64(block.timestamp), head);
        _heads[msg.sender][seq] = head;
        _count[msg.sender] = n + 1;
        emit Anchored(msg.sender, seq, head, n + 1);
    }

    /// @notice The sender's newest anchor; `exists` is false (and the rest zero) when it never anchored.
    function latest(address facilitator)
        external
        view
        returns (bool exists, uint64 seq, bytes32 head, uint64 blockNumber, uint64 timestamp)
    {
        Anchor storage a = _latest[facilitator];
        return (_count[facilitator] != 0, a.seq, a.head, a.blockNumber, a.timestamp);
    }

    /// @notice The head `facilitator` anchored at `seq`, or zero when it anchored none there.
    function headAt(address facilitator, uint64 seq) external view returns (bytes32) {
        return _heads[facilitator][seq];
    }

    /// @notice How many anchors `facilitator` recorded.
    function anchorCount(address facilitator) external view returns (uint64) {
        return _count[facilitator];
    }
}
