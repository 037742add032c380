// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title DatanetRegistry
/// @notice Public, append-only history of Tributary Datanets: who owns each one and the Merkle root of
///         every published version.
/// @dev A Datanet is keyed by `datanetKey = keccak256(abi.encode(owner, idHash))`, where
///      `idHash = keccak256(bytes(appDatanetId))` (the app's `dn-…` string id) and `owner` is the owner the
///      Datanet names when it is registered. The key is bound to that owner, so nobody can take a Datanet's
///      key by registering its public id first: a squatter only ever registers a key of their own.
///      Registration needs the owner's consent: sent by the owner, or carrying the owner's EIP-712
///      signature of `RegisterDatanet(bytes32 idHash,string name,address owner)` (domain
///      {name "Tributary DatanetRegistry", version "2", chainId, this}). Ownership moves in two steps
///      (transfer, then accept by the new owner); the key stays the same.
///      A version's root is the OpenZeppelin StandardMerkleTree root over `[bytes32 contributionId,
///      address contributor]` leaves of every accepted contribution (see `src/core/merkle.ts`).
contract DatanetRegistry is EIP712 {
    /// @notice A registered Datanet.
    struct Datanet {
        address owner;
        /// Latest anchored version (0 while none).
        uint32 latestVersion;
        /// The owner-to-be of a transfer in progress (zero when none).
        address pendingOwner;
        /// Human-readable name given at registration (informative only).
        string name;
    }

    /// @notice An anchored version.
    struct Version {
        bytes32 merkleRoot;
        uint32 contributionCount;
        uint64 anchoredAt;
    }

    /// @notice EIP-712 type hash of the owner's consent to a registration.
    bytes32 public constant REGISTER_TYPEHASH = keccak256("RegisterDatanet(bytes32 idHash,string name,address owner)");

    mapping(bytes32 datanetKey => Datanet) private _datanets;
    mapping(bytes32 datanetKey => mapping(uint32 version => Version)) private _versions;

    /// @notice A Datanet was registered for `owner`.
    event DatanetRegistered(bytes32 indexed datanetKey, bytes32 indexed idHash, address indexed owner, string name);
    /// @notice A version root was anchored.
    event VersionAnchored(bytes32 indexed datanetKey, uint32 indexed version, bytes32 merkleRoot, uint32 contributionCount);
    /// @notice The owner offered the Datanet to `newOwner` (zero: offer withdrawn).
    event DatanetOwnershipTransferStarted(bytes32 indexed datanetKey, address indexed owner, address indexed newOwner);
    /// @notice The owner of a Datanet changed (the new owner accepted).
    event DatanetOwnershipTransferred(bytes32 indexed datanetKey, address indexed previousOwner, address indexed newOwner);

    /// @notice The key is already registered.
    error DatanetAlreadyRegistered(bytes32 datanetKey);
    /// @notice No Datanet is registered under this key.
    error DatanetNotRegistered(bytes32 datanetKey);
    /// @notice The caller is not the Datanet's owner.
    error NotDatanetOwner(bytes32 datanetKey, address caller);
    /// @notice The caller is not the pending owner of the Datanet.
    error NotPendingOwner(bytes32 datanetKey, address caller);
    /// @notice The registration is neither sent by the owner nor signed by the owner.
    error InvalidOwnerSignature(bytes32 idHash, address owner);
    /// @notice Versions must strictly increase.
    error VersionNotIncreasing(bytes32 datanetKey, uint32 version, uint32 latestVersion);
    /// @notice A version needs a non-zero root and at least one contribution.
    error EmptyVersion(bytes32 datanetKey, uint32 version);
    /// @notice The name is empty.
    error EmptyName();
    /// @notice The zero key or zero address was given.
    error ZeroValue();

    constructor() EIP712("Tributary DatanetRegistry", "2") {}

    modifier onlyDatanetOwner(bytes32 datanetKey) {
        address owner = _datanets[datanetKey].owner;
        if (owner == address(0)) revert DatanetNotRegistered(datanetKey);
        if (owner != msg.sender) revert NotDatanetOwner(datanetKey, msg.sender);
        _;
    }

    /// @notice The registry key of the Datanet with id hash `idHash` registered by `owner`.
    function datanetKeyOf(bytes32 idHash, address owner) public pure returns (bytes32) {
        return keccak256(abi.encode(owner, idHash));
    }

    /// @notice The EIP-712 digest `owner` signs to consent to registering `idHash` as `name`.
    function registrationDigest(bytes32 idHash, string calldata name, address owner) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(REGISTER_TYPEHASH, idHash, keccak256(bytes(name)), owner)));
    }

    /// @notice Registers a Datanet for `owner` under `datanetKeyOf(idHash, owner)`. Sent by the owner
    ///         (signature may be empty) or by anyone with the owner's signature. A key registers once.
    /// @param idHash keccak256 of the app's Datanet id.
    /// @param name The Datanet's display name (non-empty).
    /// @param owner The Datanet's owner (the owner its signed record names).
    /// @param signature The owner's EIP-712 `RegisterDatanet` signature (ignored when the owner sends).
    /// @return datanetKey The key the Datanet is registered under.
    function register(bytes32 idHash, string calldata name, address owner, bytes calldata signature)
        external
        returns (bytes32 datanetKey)
    {
        if (idHash == bytes32(0) || owner == address(0)) revert ZeroValue();
        if (bytes(name).length == 0) revert EmptyName();
        if (
            msg.sender != owner
                && !SignatureChecker.isValidSignatureNowCalldata(owner, registrationDigest(idHash, name, owner), signature)
        ) revert InvalidOwnerSignature(idHash, owner);
        datanetKey = datanetKeyOf(idHash, owner);
        Datanet storage d = _datanets[datanetKey];
        if (d.owner != address(0)) revert DatanetAlreadyRegistered(datanetKey);
        d.owner = owner;
        d.name = name;
        emit DatanetRegistered(datanetKey, idHash, owner, name);
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

    /// @notice Offers a Datanet to `newOwner`, who becomes owner on {acceptDatanetOwnership}. Owner only.
    ///         The zero address withdraws the offer. Until accepted, the current owner keeps every right.
    function transferDatanetOwnership(bytes32 datanetKey, address newOwner) external onlyDatanetOwner(datanetKey) {
        _datanets[datanetKey].pendingOwner = newOwner;
        emit DatanetOwnershipTransferStarted(datanetKey, msg.sender, newOwner);
    }

    /// @notice Accepts a pending transfer: the caller becomes the owner.
    function acceptDatanetOwnership(bytes32 datanetKey) external {
        Datanet storage d = _datanets[datanetKey];
        if (d.owner == address(0)) revert DatanetNotRegistered(datanetKey);
        if (d.pendingOwner != msg.sender) revert NotPendingOwner(datanetKey, msg.sender);
        emit DatanetOwnershipTransferred(datanetKey, d.owner, msg.sender);
        d.owner = msg.sender;
        d.pendingOwner = address(0);
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
