// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title DatanetRegistry
/// @notice Public, append-only history of Tributary Datanets: who owns each one and the Merkle root of
///         every published version.
/// @dev A Datanet is keyed by `datanetKey = keccak256(bytes(appDatanetId))` (the app's `dn-…` string id).
///      A version's root is the OpenZeppelin StandardMerkleTree root over `[bytes32 contributionId,
///      address contributor]` leaves of every accepted contribution (see `src/core/merkle.ts`), so a
///      contributor proves membership with OpenZeppelin's `MerkleProof` (see {verifyContribution}).
contract DatanetRegistry {
    /// @notice A registered Datanet.
    struct Datanet {
        address owner;
        /// Latest anchored version (0 while none).
        uint32 latestVersion;
        /// Human-readable name given at registration (informative only).
        string name;
    }

    /// @notice An anchored version.
    struct Version {
        bytes32 merkleRoot;
        uint32 contributionCount;
        uint64 anchoredAt;
    }

    mapping(bytes32 datanetKey => Datanet) private _datanets;
    mapping(bytes32 datanetKey => mapping(uint32 version => Version)) private _versions;

    /// @notice A Datanet was registered by `owner`.
    event DatanetRegistered(bytes32 indexed datanetKey, address indexed owner, string name);
    /// @notice A version root was anchored.
    event VersionAnchored(bytes32 indexed datanetKey, uint32 indexed version, bytes32 merkleRoot, uint32 contributionCount);
    /// @notice The owner of a Datanet changed.
    event DatanetOwnershipTransferred(bytes32 indexed datanetKey, address indexed previousOwner, address indexed newOwner);

    /// @notice The key is already registered.
    error DatanetAlreadyRegistered(bytes32 datanetKey);
    /// @notice No Datanet is registered under this key.
    error DatanetNotRegistered(bytes32 datanetKey);
    /// @notice The caller is not the Datanet's owner.
    error NotDatanetOwner(bytes32 datanetKey, address caller);
    /// @notice Versions must strictly increase.
    error VersionNotIncreasing(bytes32 datanetKey, uint32 version, uint32 latestVersion);
    /// @notice A version needs a non-zero root and at least one contribution.
    error EmptyVersion(bytes32 datanetKey, uint32 version);
    /// @notice The name is empty.
    error EmptyName();
    /// @notice The zero key or zero address was given.
    error ZeroValue();

    modifier onlyDatanetOwner(bytes32 datanetKey) {
        address owner = _datanets[datanetKey].owner;
        if (owner == address(0)) revert DatanetNotRegistered(datanetKey);
        if (owner != msg.sender) revert NotDatanetOwner(datanetKey, msg.sender);
        _;
    }

    /// @notice Registers a Datanet; the caller becomes its owner. A key can be registered once.
    /// @param datanetKey keccak256 of the app's Datanet id.
    /// @param name The Datanet's display name (non-empty).
    function register(bytes32 datanetKey, string calldata name) external {
        if (datanetKey == bytes32(0)) revert ZeroValue();
        if (bytes(name).length == 0) revert EmptyName();
        Datanet storage d = _datanets[datanetKey];
        if (d.owner != address(0)) revert DatanetAlreadyRegistered(datanetKey);
        d.owner = msg.sender;
        d.name = name;
        emit DatanetRegistered(datanetKey, msg.sender, name);
    }

    /// @notice Anchors the Merkle root of a new version. Owner only; `version` must exceed the latest.
    /// @param datanetKey The Datanet.
    /// @param version The version number (strictly increasing, gaps allowed).
    /// @param merkleRoot StandardMerkleTree root over `[contributionId, contributor]` leaves (non-zero).
    /// @param contributionCount Number of leaves (at least 1).
    function anchorVersion(bytes32 datanetKey, uint32 version, bytes32 merkleRoot, uint32 contributionCount)
        external
        onlyDatanetOwner(datanetKey)
    {
        Datanet storage d = _datanets[datanetKey];
        if (version <= d.latestVersion) revert VersionNotIncreasing(datanetKey, version, d.latestVersion);
        if (merkleRoot == bytes32(0) || contributionCount == 0) revert EmptyVersion(datanetKey, version);
        d.latestVersion = version;
        _versions[datanetKey][version] = Version(merkleRoot, contributionCount, uint64(block.timestamp));
        emit VersionAnchored(datanetKey, version, merkleRoot, contributionCount);
    }

    /// @notice Hands a Datanet to `newOwner`. Owner only.
    function transferDatanetOwnership(bytes32 datanetKey, address newOwner) external onlyDatanetOwner(datanetKey) {
        if (newOwner == address(0)) revert ZeroValue();
        emit DatanetOwnershipTransferred(datanetKey, msg.sender, newOwner);
        _datanets[datanetKey].owner = newOwner;
    }

    /// @notice The Datanet registered under `datanetKey` (owner is zero when none).
    function datanet(bytes32 datanetKey) external view returns (Datanet memory) {
        return _datanets[datanetKey];
    }

    /// @notice The owner of a Datanet (zero when not registered).
    function ownerOf(bytes32 datanetKey) external view returns (address) {
        return _datanets[datanetKey].owner;
    }

    /// @notice An anchored version (all zero when not anchored).
    function versionOf(bytes32 datanetKey, uint32 version) external view returns (Version memory) {
        return _versions[datanetKey][version];
    }

    /// @notice The StandardMerkleTree leaf of a contribution: keccak256(bytes.concat(keccak256(abi.encode(id, contributor)))).
    function contributionLeaf(bytes32 contributionId, address contributor) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(contributionId, contributor))));
    }

    /// @notice True when `proof` shows `[contributionId, contributor]` in the anchored `version`.
    function verifyContribution(
        bytes32 datanetKey,
        uint32 version,
        bytes32 contributionId,
        address contributor,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 root = _versions[datanetKey][version].merkleRoot;
        if (root == bytes32(0)) return false;
        return MerkleProof.verifyCalldata(proof, root, contributionLeaf(contributionId, contributor));
    }
}
